/**
 * Sample buffers: the `buffer` of PeriodicData, TimestampedData and RowData holds fixed-width
 * little-endian values of the channel's config type (`u8 … f64`, default f64), back to back.
 * Values come out as float64, which holds every type exactly. Buffers may start at any byte
 * (a protobuf `bytes` field is a view into the message), so reads go through a DataView.
 */
import { RtaFormatError } from "./errors.js";

export type SampleType = "u8" | "s8" | "u16" | "s16" | "u32" | "s32" | "f32" | "f64";

interface Layout {
  readonly width: number;
  /** Integer range; undefined for floats. */
  readonly min?: number;
  readonly max?: number;
  readonly get: (view: DataView, offset: number) => number;
  readonly set: (view: DataView, offset: number, value: number) => void;
}

const LAYOUTS: Record<SampleType, Layout> = {
  u8: { width: 1, min: 0, max: 0xff, get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x) },
  s8: { width: 1, min: -0x80, max: 0x7f, get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x) },
  u16: {
    width: 2,
    min: 0,
    max: 0xffff,
    get: (v, o) => v.getUint16(o, true),
    set: (v, o, x) => v.setUint16(o, x, true),
  },
  s16: {
    width: 2,
    min: -0x8000,
    max: 0x7fff,
    get: (v, o) => v.getInt16(o, true),
    set: (v, o, x) => v.setInt16(o, x, true),
  },
  u32: {
    width: 4,
    min: 0,
    max: 0xffffffff,
    get: (v, o) => v.getUint32(o, true),
    set: (v, o, x) => v.setUint32(o, x, true),
  },
  s32: {
    width: 4,
    min: -0x80000000,
    max: 0x7fffffff,
    get: (v, o) => v.getInt32(o, true),
    set: (v, o, x) => v.setInt32(o, x, true),
  },
  f32: { width: 4, get: (v, o) => v.getFloat32(o, true), set: (v, o, x) => v.setFloat32(o, x, true) },
  f64: { width: 8, get: (v, o) => v.getFloat64(o, true), set: (v, o, x) => v.setFloat64(o, x, true) },
};

/** Every sample type, in the order of the config documentation. */
export const SAMPLE_TYPES: readonly SampleType[] = ["u8", "s8", "u16", "s16", "u32", "s32", "f32", "f64"];

export function isSampleType(text: string): text is SampleType {
  return Object.hasOwn(LAYOUTS, text);
}

/** Bytes per sample. */
export function sampleWidth(type: SampleType): number {
  return LAYOUTS[type].width;
}

/** Decodes a buffer of `type` samples. Throws RtaFormatError if its length is not a whole number of samples. */
export function decodeSamples(type: SampleType, buffer: Uint8Array): Float64Array {
  const { width, get } = LAYOUTS[type];
  if (buffer.byteLength % width !== 0) {
    throw new RtaFormatError(`${buffer.byteLength} bytes are not a whole number of ${type} samples (${width} bytes)`);
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const out = new Float64Array(buffer.byteLength / width);
  for (let i = 0; i < out.length; i++) out[i] = get(view, i * width);
  return out;
}

/**
 * Encodes values as `type` samples. Integer types round to the nearest integer (Math.round, so
 * halves go up) and throw RangeError for NaN, infinities and values outside the type's range
 * rather than clamp or wrap: a wrong sample on the wire is worse than a refused one. f32 rounds to
 * the nearest float32 (out of range becomes ±Infinity); f32 and f64 keep NaN and infinities.
 */
export function encodeSamples(type: SampleType, values: ArrayLike<number>): Uint8Array {
  const { width, min, max, set } = LAYOUTS[type];
  const out = new Uint8Array(values.length * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    let value = values[i] as number;
    if (min !== undefined && max !== undefined) {
      value = Math.round(value);
      if (!(value >= min && value <= max)) {
        throw new RangeError(`sample ${i} (${values[i]}) is not a ${type} value (${min} to ${max})`);
      }
    }
    set(view, i * width, value);
  }
  return out;
}
