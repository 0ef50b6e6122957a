/** CPU time of a bench process, comparable across processes. */

/** This process's CPU time (user + system) and the time it was read. */
export interface CpuSample {
  /** CPU µs used so far by this process. */
  readonly cpuMicros: number;
  /** When (`performance.timeOrigin + performance.now()`, ms): comparable across processes. */
  readonly at: number;
}

export function sampleCpu(): CpuSample {
  const { user, system } = process.cpuUsage();
  return { cpuMicros: user + system, at: performance.timeOrigin + performance.now() };
}
