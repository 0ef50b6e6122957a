/**
 * areaDetector's DataType labels and how a Channel Access array is read under each, as the real
 * server's `np.array(raw, dtype=...)` casts it: a value wraps into the type's width (a SHORT
 * waveform carrying UInt16 pixels, negative above 32767, reads back as 0..65535), floats truncate
 * toward zero. Same-width reinterpretations are views, not copies.
 *
 * CA has no 64-bit integers: Int64 and UInt64 pixels arrive as LONG (32 bits) or DOUBLE. Int64
 * reads them as they are (doubles truncated); UInt64 reads a signed integer array as unsigned of
 * its own width (the bits the IOC sent, rather than numpy's wrap to 2^64), doubles truncated.
 */
import { AD_DATA_TYPES, type AdDataType } from "../../../area-detector.js";
import type { NumericArray } from "../../../core/values.js";

export const DATA_TYPES = AD_DATA_TYPES;
export type DataType = AdDataType;

export function isDataType(label: string): label is DataType {
  return (DATA_TYPES as readonly string[]).includes(label);
}

type Ctor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => NumericArray;
type CastCtor = { new (length: number): NumericArray };

/** The typed array numpy's dtype maps to, for the fixed-width types. */
const FIXED: Partial<Record<DataType, Ctor & CastCtor>> = {
  Int8: Int8Array,
  UInt8: Uint8Array,
  Int16: Int16Array,
  UInt16: Uint16Array,
  Int32: Int32Array,
  UInt32: Uint32Array,
  Float32: Float32Array,
};

const UNSIGNED_OF = new Map<Function, Ctor>([
  [Int8Array, Uint8Array],
  [Int16Array, Uint16Array],
  [Int32Array, Uint32Array],
]);

/** `raw` read as pixels of `dataType`: the array itself, a view of its bytes, or a converted copy. */
export function asDataType(raw: NumericArray, dataType: DataType): NumericArray {
  const fixed = FIXED[dataType];
  if (fixed) {
    if (raw instanceof fixed) return raw;
    if (
      isInteger(raw) &&
      isIntegerCtor(fixed) &&
      raw.BYTES_PER_ELEMENT === (fixed as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
    ) {
      return new fixed(raw.buffer, raw.byteOffset, raw.length);
    }
    // Float32 holds every 8- and 16-bit integer exactly: no copy needed to read their values.
    if (fixed === Float32Array && isInteger(raw) && raw.BYTES_PER_ELEMENT <= 2) return raw;
    // set() converts as a C cast does: integers wrap to the width, floats truncate (NaN becomes 0).
    const out = new fixed(raw.length);
    out.set(raw);
    return out;
  }
  if (dataType === "Float64") return raw; // every CA value is exact as a double
  if (isInteger(raw)) {
    const unsigned = dataType === "UInt64" ? UNSIGNED_OF.get(raw.constructor) : undefined;
    return unsigned ? new unsigned(raw.buffer, raw.byteOffset, raw.length) : raw;
  }
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = Math.trunc(raw[i] as number);
  return out;
}

function isInteger(a: NumericArray): boolean {
  return !(a instanceof Float32Array || a instanceof Float64Array);
}

function isIntegerCtor(c: Function): boolean {
  return c !== Float32Array && c !== Float64Array;
}
