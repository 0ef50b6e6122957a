/**
 * What Linux says about processes and the machine. Process CPU time and resident memory are read
 * from /proc/<pid>/stat and /proc/<pid>/status by the bench itself, so a child whose event loop
 * is saturated is measured as accurately as an idle one; the machine's busy time from /proc/stat
 * shows what else ran during a measurement.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of the CPU times in /proc/<pid>/stat. */
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

export interface CpuSample {
  /** CPU seconds used so far. */
  readonly cpuSeconds: number;
  /** When it was taken (`performance.now()`, ms). */
  readonly at: number;
}

export interface ProcSample extends CpuSample {
  readonly rssBytes: number;
}

export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: rssKb * 1024, at: performance.now() };
}

export interface MachineSample {
  /** Time the cores spent on processes (user, nice, system, steal). */
  readonly processes: CpuSample;
  /** Time the cores spent in interrupts, mostly network work (loopback TCP here), charged to no process. */
  readonly interrupts: CpuSample;
}

/** Busy time of all the machine's cores together, from /proc/stat. */
export function sampleMachine(): MachineSample {
  const line = /^cpu\s+(.*)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1] ?? "";
  const [user, nice, system, , , irq, softirq, steal] = line.split(" ").map(Number) as number[];
  const at = performance.now();
  const seconds = (...ticks: (number | undefined)[]) =>
    ticks.reduce<number>((a, b) => a + (b ?? 0), 0) / TICKS_PER_SECOND;
  return {
    processes: { cpuSeconds: seconds(user, nice, system, steal), at },
    interrupts: { cpuSeconds: seconds(irq, softirq), at },
  };
}

/** CPU used between two samples, in cores (CPU seconds per second). */
export function cpuCores(from: CpuSample, to: CpuSample): number {
  return (to.cpuSeconds - from.cpuSeconds) / ((to.at - from.at) / 1000);
}
