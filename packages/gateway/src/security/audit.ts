/**
 * The audit log: one JSON line per write (puts and sets, and later uploads, deletes and key
 * management): when, who, from where, through which endpoint, to what, a summary of the value,
 * and the outcome. Values are summarized, never copied whole; credentials never reach it.
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";

export interface AuditEntry {
  /** The principal's name (a user, an API key's id, `anonymous`). */
  readonly principal: string;
  readonly client: string;
  /** The endpoint the write came through, e.g. `/api/v1/pv-socket`. */
  readonly endpoint: string;
  readonly action: string;
  readonly topic?: string;
  readonly value?: unknown;
  /** `ok`, or the error code. */
  readonly result: string;
}

const MAX_TEXT = 120;
const MAX_ITEMS = 8;

/** A short, JSON-safe picture of a value: small scalars as they are, long texts and arrays cut. */
export function summarizeValue(value: unknown): unknown {
  if (typeof value === "string")
    return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}… (${value.length} chars)` : value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    const items = Array.from(value as ArrayLike<unknown>);
    const head = items.slice(0, MAX_ITEMS).map((v) => (typeof v === "number" || typeof v === "boolean" ? v : typeof v));
    return items.length > MAX_ITEMS ? { length: items.length, first: head } : head;
  }
  if (value === undefined) return undefined;
  return typeof value;
}

export class AuditLog {
  readonly #out: Writable;
  readonly #owned: boolean;

  /** Appends to `file`, or writes to standard error when it is empty. */
  constructor(file: string) {
    this.#owned = file !== "";
    this.#out = this.#owned ? createWriteStream(file, { flags: "a", mode: 0o600 }) : process.stderr;
  }

  write(entry: AuditEntry): void {
    const line = { time: new Date().toISOString(), audit: true, ...entry, value: summarizeValue(entry.value) };
    this.#out.write(`${JSON.stringify(line)}\n`);
  }

  close(): Promise<void> {
    if (!this.#owned) return Promise.resolve();
    return new Promise((resolve) => this.#out.end(resolve));
  }
}
