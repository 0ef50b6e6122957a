/** @beamgate/bench-kit: what beamgate's benchmarks share. Not part of the product. */

export * from "./ipc.js";
export * from "./machine.js";
export * from "./table.js";
