/**
 * One local PV: its type (from `<Type>` or its initial value, as in Phoebus), its current value,
 * and the validation of writes against that type.
 */

import { nowMs } from "../../core/time.js";
import { type Meta, NO_ALARM, type Sample, sameValue, type Value } from "../../core/values.js";
import { BeamgateError } from "../../errors.js";
import type { Argument, Call } from "../call-syntax.js";

export const LOC_TYPES = ["VDouble", "VLong", "VString", "VDoubleArray", "VStringArray", "VEnum"] as const;
export type LocType = (typeof LOC_TYPES)[number];

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export class LocalPv {
  readonly name: string;
  readonly type: LocType;
  readonly meta: Meta;
  #sample: Sample;

  constructor(call: Call) {
    this.name = call.name;
    const args = call.args ?? [];
    const type = call.type ?? inferType(call.name, args);
    if (!(LOC_TYPES as readonly string[]).includes(type)) {
      throw invalid(call.name, `unknown type <${type}>; types are ${LOC_TYPES.join(", ")}`);
    }
    this.type = type as LocType;
    let initial: Value;
    let labels: string[] | undefined;
    if (this.type === "VEnum") {
      const [index = 0, ...rest] = args;
      if (rest.length === 0 || rest.some((l) => typeof l !== "string")) {
        throw invalid(call.name, 'an enum needs an index then its labels: loc://name<VEnum>(0, "Off", "On")');
      }
      labels = rest as string[];
      initial = this.#coerceEnum(index, labels);
    } else {
      try {
        initial = this.coerce(defaultInitial(this.type, args), `loc://${call.name}`);
      } catch (e) {
        throw invalid(call.name, `bad initial value: ${(e as Error).message}`);
      }
    }
    this.meta = metaFor(this.type, labels);
    this.#sample = { value: initial, timestamp: nowMs(), alarm: NO_ALARM };
  }

  get sample(): Sample {
    return this.#sample;
  }

  /** Sets the value; returns the new sample, or undefined when the value did not change. */
  write(input: unknown): Sample | undefined {
    const value = this.coerce(input, `loc://${this.name}`);
    if (sameValue(value, this.#sample.value)) return undefined;
    this.#sample = { value, timestamp: nowMs(), alarm: NO_ALARM };
    return this.#sample;
  }

  /** Converts a value from a client to this PV's type, or throws BG_ERR_PUT_INVALID_VALUE. */
  coerce(input: unknown, label: string): Value {
    const bad = (expected: string) =>
      new BeamgateError("BG_ERR_PUT_INVALID_VALUE", `${label} holds ${expected}; cannot write ${describe(input)}`);
    switch (this.type) {
      case "VDouble": {
        const n = toNumber(input);
        if (n === undefined) throw bad("a number");
        return n;
      }
      case "VLong": {
        const n = toNumber(input);
        if (n === undefined || !Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) {
          throw bad("a 32-bit integer");
        }
        return n;
      }
      case "VString":
        if (typeof input !== "string") throw bad("a string");
        return input;
      case "VDoubleArray": {
        if (!Array.isArray(input)) throw bad("an array of numbers");
        const out = new Float64Array(input.length);
        for (let i = 0; i < input.length; i++) {
          const n = toNumber(input[i]);
          if (n === undefined) throw bad("an array of numbers");
          out[i] = n;
        }
        return out;
      }
      case "VStringArray":
        if (!Array.isArray(input) || input.some((s) => typeof s !== "string")) throw bad("an array of strings");
        return [...(input as string[])];
      case "VEnum":
        return this.#coerceEnum(input, this.meta.enumLabels as readonly string[], bad);
    }
  }

  #coerceEnum(
    input: unknown,
    labels: readonly string[],
    bad = (expected: string) => invalid(this.name, `initial value must be ${expected}`),
  ): number {
    if (typeof input === "string" && labels.includes(input)) return labels.indexOf(input);
    const n = toNumber(input);
    if (n === undefined || !Number.isInteger(n) || n < 0 || n >= labels.length) {
      throw bad(`an enum index from 0 to ${labels.length - 1} or one of ${JSON.stringify(labels)}`);
    }
    return n;
  }
}

function inferType(name: string, args: readonly Argument[]): LocType {
  if (args.length === 0) return "VDouble";
  const strings = args.filter((a) => typeof a === "string").length;
  if (strings !== 0 && strings !== args.length) throw invalid(name, "initial values mix numbers and strings");
  if (args.length === 1) return strings ? "VString" : "VDouble";
  return strings ? "VStringArray" : "VDoubleArray";
}

function defaultInitial(type: LocType, args: readonly Argument[]): unknown {
  switch (type) {
    case "VDouble":
    case "VLong":
      return args.length === 0 ? 0 : args.length === 1 ? args[0] : [...args];
    case "VString":
      return args.length === 0 ? "" : args.length === 1 ? args[0] : [...args];
    default:
      return [...args];
  }
}

function metaFor(type: LocType, labels?: readonly string[]): Meta {
  switch (type) {
    case "VDouble":
      return { kind: "state", dtype: "float64" };
    case "VLong":
      return { kind: "state", dtype: "int32", precision: 0 };
    case "VString":
      return { kind: "state", dtype: "string" };
    case "VDoubleArray":
      return { kind: "state", dtype: "float64", count: 0 };
    case "VStringArray":
      return { kind: "state", dtype: "string", count: 0 };
    case "VEnum":
      return { kind: "state", dtype: "enum", enumLabels: labels ?? [] };
  }
}

/** Numbers, and strings that are entirely a finite number ("7.25", "-4"). */
function toNumber(input: unknown): number | undefined {
  if (typeof input === "number") return Number.isFinite(input) ? input : undefined;
  if (typeof input === "string" && input.trim() !== "") {
    const n = Number(input);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function describe(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return `an array of ${input.length}`;
  if (typeof input === "string") return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}...` : input);
  if (typeof input === "object") return "an object";
  return String(input);
}

function invalid(name: string, why: string): BeamgateError {
  return new BeamgateError("BG_ERR_TOPIC_INVALID", `loc://${name}: ${why}`);
}
