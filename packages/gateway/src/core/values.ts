/**
 * What flows through the hub: values, alarms, metadata and connection state, independent of any
 * wire format. Sources produce these; protocol encoders turn them into bytes.
 */

/** Numeric arrays travel as typed arrays so binary encoders can send their bytes as they are. */
export type NumericArray =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export type Value = number | string | NumericArray | readonly string[];

/** Element types, named as numpy names them (`float64`, `int32`, ...), plus `string` and `enum`. */
export type Dtype =
  | "float64"
  | "float32"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "string"
  | "enum";

/** EPICS alarm severities. */
export const Severity = { NO_ALARM: 0, MINOR: 1, MAJOR: 2, INVALID: 3 } as const;

/** EPICS alarm status codes (EPICS defines up to 21; all pass through). */
export const AlarmStatus = {
  NO_ALARM: 0,
  READ: 1,
  WRITE: 2,
  HIHI: 3,
  HIGH: 4,
  LOLO: 5,
  LOW: 6,
  STATE: 7,
  COS: 8,
  COMM: 9,
  TIMEOUT: 10,
  UDF: 17,
} as const;

export interface Alarm {
  readonly severity: number;
  readonly status: number;
}

export const NO_ALARM: Alarm = { severity: Severity.NO_ALARM, status: AlarmStatus.NO_ALARM };

export interface Range {
  readonly low: number;
  readonly high: number;
}

/** Alarm limits in the EPICS sense: LOLO < LOW < HIGH < HIHI. */
export interface AlarmLimits {
  readonly lolo: number;
  readonly low: number;
  readonly high: number;
  readonly hihi: number;
}

/** What a topic's values are: sent to a subscriber first and again whenever it changes. */
export interface Meta {
  /** `state`: the latest value counts. `log`: every record counts, with sequence numbers and replay. */
  readonly kind: "state" | "log";
  readonly dtype: Dtype;
  /**
   * Present for arrays: the number of elements; for variable-length arrays the maximum, or 0 when
   * the length has no fixed bound (local arrays).
   */
  readonly count?: number;
  readonly units?: string;
  readonly precision?: number;
  readonly display?: Range;
  readonly control?: Range;
  readonly alarmLimits?: AlarmLimits;
  readonly enumLabels?: readonly string[];
  readonly description?: string;
}

/** Connection and access state of a topic's upstream. */
export interface Status {
  readonly connected: boolean;
  readonly readAccess: boolean;
  readonly writeAccess: boolean;
}

export const DISCONNECTED: Status = { connected: false, readAccess: false, writeAccess: false };

/** One value of a topic, as the source produced it. */
export interface Sample {
  readonly value: Value;
  /** Source timestamp in milliseconds since the Unix epoch (fractional part: sub-millisecond). */
  readonly timestamp: number;
  readonly alarm: Alarm;
}

const TYPED_ARRAY_DTYPES = new Map<Function, Dtype>([
  [Float64Array, "float64"],
  [Float32Array, "float32"],
  [Int8Array, "int8"],
  [Uint8Array, "uint8"],
  [Int16Array, "int16"],
  [Uint16Array, "uint16"],
  [Int32Array, "int32"],
  [Uint32Array, "uint32"],
]);

export function isNumericArray(v: unknown): v is NumericArray {
  return ArrayBuffer.isView(v) && TYPED_ARRAY_DTYPES.has(v.constructor);
}

/** The dtype of a typed array's elements. */
export function arrayDtype(v: NumericArray): Dtype {
  return TYPED_ARRAY_DTYPES.get(v.constructor) as Dtype;
}

/** Approximate size of a value in bytes, for window and queue accounting. */
export function valueBytes(v: Value): number {
  if (typeof v === "number") return 8;
  if (typeof v === "string") return v.length * 2;
  if (isNumericArray(v)) return v.byteLength;
  let n = 0;
  for (const s of v) n += s.length * 2 + 8;
  return n;
}

/** Whether two samples carry the same value and alarm (timestamps aside). */
export function sameSample(a: Sample, b: Sample): boolean {
  return a.alarm.severity === b.alarm.severity && a.alarm.status === b.alarm.status && sameValue(a.value, b.value);
}

/** Value equality, element-wise for arrays; used to send only changes. */
export function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object") return Number.isNaN(a) && Number.isNaN(b);
  if (a.length !== b.length || isNumericArray(a) !== isNumericArray(b)) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
