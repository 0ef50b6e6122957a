/** @beamgate/epics-ca: EPICS Channel Access in pure TypeScript. The package's only public entry. */

export * from "./beacon-tracker.js";
export * from "./circuit.js";
export * from "./commands.js";
export * from "./constants.js";
export * from "./convert.js";
export * from "./dbr.js";
export * from "./header.js";
export * from "./message-reader.js";
export * from "./names.js";
export * from "./node/client.js";
export * from "./node/env.js";
export * from "./node/pv.js";
export * from "./node/repeater.js";
export * from "./node/server.js";
export * from "./states.js";
