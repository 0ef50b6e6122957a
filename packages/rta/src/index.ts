/**
 * @beamgate/rta: the wire format of McLaren ATLAS RTA v2 (protobuf messages, raw LZ4 blocks, sample
 * buffers, timestamps, channel expressions, stream bursts, chunked REST framing). It knows no
 * sockets and no gateway. The package's only public entry.
 */

export * from "./burst.js";
export * from "./channel-expression.js";
export * from "./chunked.js";
export * from "./constants.js";
export { RtaFormatError } from "./errors.js";
export * from "./list-items.js";
export * from "./lz4.js";
export * from "./messages.js";
export * from "./sample-type.js";
export * from "./timestamps.js";
