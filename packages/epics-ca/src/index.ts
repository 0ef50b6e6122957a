/** @beamgate/epics-ca: EPICS Channel Access in pure TypeScript. The package's only public entry. */
export * from "./commands.js";
export * from "./constants.js";
export * from "./convert.js";
export * from "./dbr.js";
export * from "./header.js";
export * from "./circuit.js";
export * from "./message-reader.js";
export * from "./states.js";
