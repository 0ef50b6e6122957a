/** @beamgate/gateway: the package's public entry. */
export { loadConfig } from "./config/load.js";
export { type Config, ConfigSchema } from "./config/schema.js";
export type { DataEvent, Gap, MetaEvent, StatusEvent, TopicEvent } from "./core/events.js";
export { Hub, type HubOptions, type SubscribeOptions } from "./core/hub.js";
export type { Source, TopicSink, Upstream } from "./core/source.js";
export type { Subscriber, Subscription } from "./core/subscription.js";
export type { Alarm, Dtype, Meta, NumericArray, Sample, Status, Value } from "./core/values.js";
export { BeamgateError, ERRORS, type ErrorCode } from "./errors.js";
export { type Gateway, startGateway } from "./gateway.js";
export { VERSION } from "./version.js";
