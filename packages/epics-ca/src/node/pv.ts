/**
 * A process variable a server serves: its native type and value with metadata, its access rights,
 * and who is told when it changes. Reading it as another DBR type converts (`convert.ts`). No I/O.
 */
import { DBE, type DbrBase } from "../constants.js";
import { type ConversionContext, convertValues } from "../convert.js";
import type { DbrArray, DbrData, EpicsTimeStamp } from "../dbr.js";

/** Called with the event mask (DBE_VALUE | DBE_ALARM | DBE_PROPERTY) of each change. */
export type PvListener = (mask: number) => void;

export interface PvOptions {
  readonly base: DbrBase;
  readonly value: DbrArray;
  /** Maximum element count (arrays may hold fewer); defaults to the initial length. */
  readonly maxCount?: number;
  readonly units?: string;
  readonly precision?: number;
  readonly limits?: DbrData["limits"];
  readonly enumStrings?: readonly string[];
  readonly readable?: boolean;
  readonly writable?: boolean;
  /**
   * Applies a write already converted to the native type; resolves when it is complete (a motor
   * when it arrives). Without it, a write sets the value at once.
   */
  readonly onWrite?: (pv: ServerPv, value: DbrArray) => Promise<void> | void;
}

const EPICS_EPOCH_MS = 631_152_000_000;

/** The EPICS time stamp of a Unix time in milliseconds. */
export function epicsStamp(ms: number): EpicsTimeStamp {
  const seconds = Math.floor(ms / 1000);
  return { secondsPastEpoch: seconds - EPICS_EPOCH_MS / 1000, nanoseconds: Math.round((ms - seconds * 1000) * 1e6) };
}

export class ServerPv {
  readonly base: DbrBase;
  readonly maxCount: number;
  readonly readable: boolean;
  readonly writable: boolean;
  #data: DbrData;
  readonly #listeners = new Set<PvListener>();
  readonly #onWrite: PvOptions["onWrite"];

  constructor(options: PvOptions) {
    this.base = options.base;
    this.maxCount = options.maxCount ?? Math.max(options.value.length, 1);
    this.readable = options.readable ?? true;
    this.writable = options.writable ?? true;
    this.#onWrite = options.onWrite;
    this.#data = {
      value: options.value,
      status: 0,
      severity: 0,
      stamp: epicsStamp(Date.now()),
      ...(options.units !== undefined ? { units: options.units } : {}),
      ...(options.precision !== undefined ? { precision: options.precision } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.enumStrings ? { enumStrings: options.enumStrings } : {}),
    };
  }

  get data(): DbrData {
    return this.#data;
  }

  get context(): ConversionContext {
    return {
      ...(this.#data.enumStrings ? { enumStrings: this.#data.enumStrings } : {}),
      ...(this.#data.precision !== undefined ? { precision: this.#data.precision } : {}),
    };
  }

  /** Sets value and alarm, stamps them, and tells listeners (DBE_VALUE, plus DBE_ALARM if the alarm changed). */
  post(value: DbrArray, alarm: { status?: number; severity?: number } = {}, timeMs = Date.now()): void {
    const status = alarm.status ?? this.#data.status ?? 0;
    const severity = alarm.severity ?? this.#data.severity ?? 0;
    const alarmChanged = status !== this.#data.status || severity !== this.#data.severity;
    this.#data = { ...this.#data, value, status, severity, stamp: epicsStamp(timeMs) };
    this.#notify(DBE.VALUE | DBE.LOG | (alarmChanged ? DBE.ALARM : 0));
  }

  /** Changes metadata (units, limits, labels...) and tells listeners (DBE_PROPERTY). */
  setProperties(properties: Pick<DbrData, "units" | "precision" | "limits" | "enumStrings">): void {
    this.#data = { ...this.#data, ...properties };
    this.#notify(DBE.PROPERTY);
  }

  /** A client's write, already in the native type. */
  async write(value: DbrArray): Promise<void> {
    const limited = value.length > this.maxCount ? (value.slice(0, this.maxCount) as DbrArray) : value;
    if (this.#onWrite) await this.#onWrite(this, limited);
    else this.post(limited);
  }

  /** Converts a value of another base type to this PV's native type. */
  fromType(value: DbrArray, base: DbrBase): DbrArray {
    return convertValues(value, base, this.base, this.context);
  }

  listen(listener: PvListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(mask: number): void {
    for (const listener of this.#listeners) listener(mask);
  }
}
