/** How busy the whole machine was during a window, for the record. */
import { readFileSync } from "node:fs";

/** Busy time of all the machine's cores together, from /proc/stat (Linux; NaN elsewhere). */
export interface MachineSample {
  /** CPU seconds the cores spent on processes (user, nice, system, steal). */
  readonly processSeconds: number;
  /** CPU seconds in interrupts, mostly loopback TCP work here, charged to no process. */
  readonly interruptSeconds: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node runs on

export function sampleMachine(): MachineSample {
  let line: string | undefined;
  try {
    line = /^cpu\s+(.*)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1];
  } catch {
    // not Linux
  }
  if (!line) return { processSeconds: Number.NaN, interruptSeconds: Number.NaN };
  const [user, nice, system, , , irq, softirq, steal] = line.split(" ").map(Number) as number[];
  const seconds = (...ticks: (number | undefined)[]) =>
    ticks.reduce<number>((a, b) => a + (b ?? 0), 0) / TICKS_PER_SECOND;
  return { processSeconds: seconds(user, nice, system, steal), interruptSeconds: seconds(irq, softirq) };
}
