/**
 * A record once durable, as delivered to live followers. Its wire forms (the RTA stream's
 * StreamData element, a native topic's samples) are computed once and shared by every follower.
 */
import type { DataRecord } from "./records.js";

export class PublishedRecord {
  #encoded: Map<string, unknown> | undefined;

  constructor(readonly record: DataRecord) {}

  /** The encoding of this record under `format`, computed the first time only. */
  encoded<T>(format: string, encode: (record: DataRecord) => T): T {
    this.#encoded ??= new Map();
    let value = this.#encoded.get(format) as T | undefined;
    if (value === undefined) {
      value = encode(this.record);
      this.#encoded.set(format, value);
    }
    return value;
  }
}
