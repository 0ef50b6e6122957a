/**
 * The targets the fan-out benchmark checks, from the issue that asked for it. A target is passed,
 * failed, or not measured by this run; failing one does not fail the process.
 */
import type { IdleResult } from "./idle.js";
import type { LoadResult } from "./load.js";

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** Undefined: this run did not measure it. */
  readonly pass: boolean | undefined;
}

const RATIO_CLIENTS = 1000;
const MIN_RATIO = 0.5;
const LATENCY_LOAD_PER_SECOND = 100_000;
/** A scenario sustains its load if its clients receive at least this share of what it offers. */
const SUSTAINED = 0.95;
const MAX_P99_MS = 5;
const MAX_IDLE_BYTES = 16 * 1024;

export const ratio = (r: LoadResult) => r.gateway.deliveriesPerSecond / r.baseline.deliveriesPerSecond;

const percent = (x: number) => `${(x * 100).toFixed(0)} %`;
const perSecond = (x: number) => `${Math.round(x / 1000)}k/s`;

function checks<T>(
  target: string,
  results: readonly T[],
  measure: (r: T) => { measured: string; pass: boolean },
): TargetCheck[] {
  if (results.length === 0) return [{ target, measured: "not measured in this run", pass: undefined }];
  return results.map((r) => ({ target, ...measure(r) }));
}

export function checkTargets(loads: readonly LoadResult[], idle: readonly IdleResult[]): TargetCheck[] {
  return [
    ...checks(
      `deliveries/s ≥ ${percent(MIN_RATIO)} of the raw ws baseline at ${RATIO_CLIENTS} clients`,
      loads.filter((r) => r.scenario.clients === RATIO_CLIENTS),
      (r) => ({
        measured: `${r.scenario.name}: ${percent(ratio(r))} (${perSecond(r.gateway.deliveriesPerSecond)} vs ${perSecond(r.baseline.deliveriesPerSecond)})`,
        pass: ratio(r) >= MIN_RATIO,
      }),
    ),
    ...checks(
      `p99 latency < ${MAX_P99_MS} ms at ${LATENCY_LOAD_PER_SECOND / 1000}k deliveries/s (unbatched, load sustained)`,
      loads.filter((r) => r.scenario.batchWindowMs === 0 && r.offeredPerSecond === LATENCY_LOAD_PER_SECOND),
      (r) => {
        const p99 = r.gateway.latency.quantile(0.99) / 1000;
        const baseline = r.baseline.latency.quantile(0.99) / 1000;
        const share = r.gateway.deliveriesPerSecond / r.offeredPerSecond;
        return {
          measured:
            `${r.scenario.name}: p99 ${p99.toFixed(1)} ms at ${perSecond(r.gateway.deliveriesPerSecond)} ` +
            `(${percent(share)} of offered; baseline p99 ${baseline.toFixed(1)} ms)`,
          pass: p99 < MAX_P99_MS && share >= SUSTAINED,
        };
      },
    ),
    ...checks(
      `≤ ${MAX_IDLE_BYTES / 1024} KB RSS per idle connection`,
      idle.filter((r) => r.server !== "baseline"),
      (r) => ({
        measured: `${r.server}: ${(r.rssBytesPerConnection / 1024).toFixed(1)} KB`,
        pass: r.rssBytesPerConnection <= MAX_IDLE_BYTES,
      }),
    ),
  ];
}
