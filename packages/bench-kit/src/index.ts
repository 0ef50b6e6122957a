/** @beamgate/bench-kit: what beamgate's benchmarks share. Not part of the product. */

export * from "./doc-section.js";
export * from "./ipc.js";
export * from "./machine.js";
export * from "./run.js";
export * from "./run-info.js";
export * from "./stats.js";
export * from "./table.js";
