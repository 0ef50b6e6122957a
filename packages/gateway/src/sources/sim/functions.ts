/**
 * The simulated PV functions, after Phoebus' `sim://` PVs: `sine(min, max, update_seconds)` and
 * friends, plus a counter, strings, an enum, and a console log. Each makes a signal that produces
 * one sample per period. Analog signals put their warning limits at 80 % and alarm limits at 90 %
 * of the range (as Phoebus does) and raise HIGH/HIHI/LOW/LOLO alarms when they cross them.
 */

import {
  type Alarm,
  type AlarmLimits,
  AlarmStatus,
  type Meta,
  NO_ALARM,
  Severity,
  type Value,
} from "../../core/values.js";
import { BeamgateError } from "../../errors.js";

export interface SimSignal {
  readonly meta: Meta;
  readonly periodMs: number;
  /** The next sample, or `null` when the signal is disconnected during this period. */
  next(): { value: Value; alarm: Alarm } | null;
}

interface SimFunction {
  /** The accepted argument lists, for help and error messages. */
  readonly forms: readonly string[];
  make(args: readonly number[]): SimSignal;
}

export const MIN_PERIOD_SECONDS = 0.001;
export const MAX_ARRAY_SIZE = 100_000;

const invalid = (name: string, why: string) => new BeamgateError("BG_ERR_TOPIC_INVALID", `sim://${name}: ${why}`);

/** Picks the argument list matching one of `arities`, filling defaults when none are given. */
function args(name: string, given: readonly number[], fn: SimFunction, defaults: readonly number[]): number[] {
  if (given.length === 0) return [...defaults];
  const arities = fn.forms.map((f) => f.split(",").length);
  if (!arities.includes(given.length)) {
    throw invalid(name, `expected ${fn.forms.map((f) => `${name}(${f})`).join(" or ")}`);
  }
  return [...given];
}

function period(name: string, seconds: number): number {
  if (!(seconds >= MIN_PERIOD_SECONDS) || seconds > 86_400) {
    throw invalid(name, `update_seconds must be between ${MIN_PERIOD_SECONDS} and 86400`);
  }
  return seconds * 1000;
}

function range(name: string, min: number, max: number): void {
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(max > min)) {
    throw invalid(name, "max must be greater than min, both finite");
  }
}

/** Elements per second one simulated array may produce, so that one subscription cannot hog the server. */
export const MAX_ARRAY_ELEMENTS_PER_SECOND = 1_000_000;

function size(name: string, n: number, updateSeconds: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_ARRAY_SIZE) {
    throw invalid(name, `size must be an integer from 1 to ${MAX_ARRAY_SIZE}`);
  }
  if (n / updateSeconds > MAX_ARRAY_ELEMENTS_PER_SECOND) {
    throw invalid(name, `size / update_seconds may be at most ${MAX_ARRAY_ELEMENTS_PER_SECOND} elements per second`);
  }
  return n;
}

/** Phoebus' analog metadata: display range min..max, warnings at 80 %, alarms at 90 %. */
function analogMeta(min: number, max: number, extra: Partial<Meta> = {}): Meta {
  const mid = (min + max) / 2;
  const half = (max - min) / 2;
  return {
    kind: "state",
    dtype: "float64",
    units: "V",
    precision: 3,
    display: { low: min, high: max },
    control: { low: min, high: max },
    alarmLimits: { lolo: mid - 0.9 * half, low: mid - 0.8 * half, high: mid + 0.8 * half, hihi: mid + 0.9 * half },
    ...extra,
  };
}

export function alarmFor(value: number, limits: AlarmLimits): Alarm {
  if (value >= limits.hihi) return { severity: Severity.MAJOR, status: AlarmStatus.HIHI };
  if (value <= limits.lolo) return { severity: Severity.MAJOR, status: AlarmStatus.LOLO };
  if (value >= limits.high) return { severity: Severity.MINOR, status: AlarmStatus.HIGH };
  if (value <= limits.low) return { severity: Severity.MINOR, status: AlarmStatus.LOW };
  return NO_ALARM;
}

function analog(meta: Meta, periodMs: number, next: () => number): SimSignal {
  const limits = meta.alarmLimits as AlarmLimits;
  return {
    meta,
    periodMs,
    next() {
      const value = next();
      return { value, alarm: alarmFor(value, limits) };
    },
  };
}

function gaussian(): number {
  // Box-Muller
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

const ENUM_LABELS = ["Idle", "Acquire", "Readout", "Fault"] as const;

export const SIM_FUNCTIONS: Readonly<Record<string, SimFunction>> = {
  sine: {
    forms: ["min, max, update_seconds", "min, max, steps, update_seconds"],
    make(given) {
      const a = args("sine", given, this, [-5, 5, 0.1]);
      const [min, max] = a as [number, number];
      const steps = a.length === 4 ? (a[2] as number) : 10;
      range("sine", min, max);
      if (!(steps >= 2)) throw invalid("sine", "steps must be at least 2");
      let i = 0;
      return analog(analogMeta(min, max), period("sine", a[a.length - 1] as number), () => {
        const v = (min + max) / 2 + ((max - min) / 2) * Math.sin((2 * Math.PI * i++) / steps);
        return v;
      });
    },
  },
  ramp: {
    forms: ["min, max, update_seconds", "min, max, step, update_seconds"],
    make(given) {
      const a = args("ramp", given, this, [-5, 5, 1]);
      const [min, max] = a as [number, number];
      const step = a.length === 4 ? (a[2] as number) : 1;
      range("ramp", min, max);
      if (!(step > 0)) throw invalid("ramp", "step must be positive");
      let v = min - step;
      return analog(analogMeta(min, max), period("ramp", a[a.length - 1] as number), () => {
        v = v + step > max ? min : v + step;
        return v;
      });
    },
  },
  noise: {
    forms: ["min, max, update_seconds"],
    make(given) {
      const [min, max, secs] = args("noise", given, this, [-5, 5, 1]) as [number, number, number];
      range("noise", min, max);
      return analog(analogMeta(min, max), period("noise", secs), () => min + Math.random() * (max - min));
    },
  },
  gaussianNoise: {
    forms: ["center, std_dev, update_seconds"],
    make(given) {
      const [center, sd, secs] = args("gaussianNoise", given, this, [0, 1, 0.1]) as [number, number, number];
      if (!(sd > 0) || !Number.isFinite(center)) throw invalid("gaussianNoise", "std_dev must be positive");
      const meta = analogMeta(center - 4 * sd, center + 4 * sd, {
        alarmLimits: { lolo: center - 3 * sd, low: center - 2 * sd, high: center + 2 * sd, hihi: center + 3 * sd },
      });
      return analog(meta, period("gaussianNoise", secs), () => center + sd * gaussian());
    },
  },
  counter: {
    forms: ["update_seconds"],
    make(given) {
      const [secs] = args("counter", given, this, [1]) as [number];
      let n = 0;
      return {
        meta: { kind: "state", dtype: "int32", units: "counts", precision: 0, display: { low: 0, high: 2 ** 31 - 1 } },
        periodMs: period("counter", secs),
        next: () => ({ value: n++ % 2 ** 31, alarm: NO_ALARM }),
      };
    },
  },
  sinewave: {
    forms: ["period_seconds, wavelength, size, update_seconds"],
    make(given) {
      const [periodS, wavelength, n, secs] = args("sinewave", given, this, [1, 10, 50, 0.1]) as number[] as [
        number,
        number,
        number,
        number,
      ];
      if (!(periodS > 0) || !(wavelength > 0))
        throw invalid("sinewave", "period_seconds and wavelength must be positive");
      const count = size("sinewave", n, secs);
      const started = performance.now();
      return {
        meta: { kind: "state", dtype: "float64", count, units: "V", precision: 3, display: { low: -1, high: 1 } },
        periodMs: period("sinewave", secs),
        next() {
          const t = (performance.now() - started) / 1000;
          const wave = new Float64Array(count);
          for (let x = 0; x < count; x++) wave[x] = Math.sin(2 * Math.PI * (x / wavelength - t / periodS));
          return { value: wave, alarm: NO_ALARM };
        },
      };
    },
  },
  gaussianWave: {
    forms: ["period_seconds, std_dev, size, update_seconds"],
    make(given) {
      const [periodS, sd, n, secs] = args("gaussianWave", given, this, [1, 10, 100, 0.1]) as [
        number,
        number,
        number,
        number,
      ];
      if (!(periodS > 0) || !(sd > 0)) throw invalid("gaussianWave", "period_seconds and std_dev must be positive");
      const count = size("gaussianWave", n, secs);
      const started = performance.now();
      return {
        meta: { kind: "state", dtype: "float64", count, precision: 3, display: { low: 0, high: 1 } },
        periodMs: period("gaussianWave", secs),
        next() {
          const t = (performance.now() - started) / 1000;
          const centre = (count / 2) * (1 + Math.sin((2 * Math.PI * t) / periodS) * 0.5);
          const wave = new Float64Array(count);
          for (let x = 0; x < count; x++) wave[x] = Math.exp(-((x - centre) ** 2) / (2 * sd * sd));
          return { value: wave, alarm: NO_ALARM };
        },
      };
    },
  },
  noisewave: {
    forms: ["min, max, update_seconds", "min, max, size, update_seconds"],
    make(given) {
      const a = args("noisewave", given, this, [-5, 5, 1]);
      const [min, max] = a as [number, number];
      range("noisewave", min, max);
      const count = size("noisewave", a.length === 4 ? (a[2] as number) : 10, a[a.length - 1] as number);
      return {
        meta: { ...analogMeta(min, max), count },
        periodMs: period("noisewave", a[a.length - 1] as number),
        next() {
          const wave = new Float64Array(count);
          for (let x = 0; x < count; x++) wave[x] = min + Math.random() * (max - min);
          return { value: wave, alarm: NO_ALARM };
        },
      };
    },
  },
  strings: {
    forms: ["update_seconds"],
    make(given) {
      const [secs] = args("strings", given, this, [1]) as [number];
      let n = 0;
      return {
        meta: { kind: "state", dtype: "string" },
        periodMs: period("strings", secs),
        next: () => ({ value: `Message ${++n}`, alarm: NO_ALARM }),
      };
    },
  },
  enum: {
    forms: ["update_seconds"],
    make(given) {
      const [secs] = args("enum", given, this, [1]) as [number];
      let i = -1;
      const fault = ENUM_LABELS.indexOf("Fault");
      return {
        meta: { kind: "state", dtype: "enum", enumLabels: ENUM_LABELS },
        periodMs: period("enum", secs),
        next() {
          i = (i + 1) % ENUM_LABELS.length;
          const alarm = i === fault ? { severity: Severity.MAJOR, status: AlarmStatus.STATE } : NO_ALARM;
          return { value: i, alarm };
        },
      };
    },
  },
  flipflop: {
    forms: ["update_seconds"],
    make(given) {
      const [secs] = args("flipflop", given, this, [1]) as [number];
      let on = true;
      return {
        meta: { kind: "state", dtype: "enum", enumLabels: ["false", "true"] },
        periodMs: period("flipflop", secs),
        next() {
          on = !on;
          return { value: on ? 1 : 0, alarm: NO_ALARM };
        },
      };
    },
  },
  intermittent: {
    forms: ["update_seconds"],
    make(given) {
      const [secs] = args("intermittent", given, this, [1]) as [number];
      let tick = 0;
      return {
        meta: { kind: "state", dtype: "float64", precision: 0, display: { low: 0, high: 1_000_000 } },
        periodMs: period("intermittent", secs),
        // Connected for two periods, then disconnected for one: exercises connection state.
        next: () => (tick++ % 3 === 2 ? null : { value: tick, alarm: NO_ALARM }),
      };
    },
  },
  console: {
    forms: ["update_seconds"],
    make(given) {
      const [secs] = args("console", given, this, [1]) as [number];
      let n = 0;
      return {
        meta: { kind: "log", dtype: "string", description: "Simulated console output, one line per record" },
        periodMs: period("console", secs),
        next() {
          n++;
          const level = n % 10 === 0 ? "W" : "I";
          const text =
            n % 10 === 0 ? `Step ${n}: detector readout slow` : `Step ${n}: moved x_motor to ${(n % 7) * 0.5}`;
          return { value: `[${level} ${new Date().toISOString()} sim] ${text}\n`, alarm: NO_ALARM };
        },
      };
    },
  },
};
