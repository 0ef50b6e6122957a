/**
 * A process variable a server serves: its native type and value with metadata, its access rights,
 * and who is told when it changes. Reading it as another DBR type converts (`convert.ts`). No I/O.
 */
import { DBE, type DbrBase, ECA } from "../constants.js";
import { type ConversionContext, ConversionError, convertValues } from "../convert.js";
import { type DbrArray, type DbrData, dbrLayout, type EpicsTimeStamp, encodeDbr } from "../dbr.js";

/** The payload of a read or monitor update, or the ECA status that replaces it. */
export interface PvReading {
  readonly data: Uint8Array;
  readonly dataCount: number;
  readonly status: number;
}

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
  /** Readings of the current data by "type/count": many clients monitoring one PV share one encoding. */
  #readings = new Map<string, PvReading>();
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
    this.#change({ ...this.#data, value, status, severity, stamp: epicsStamp(timeMs) });
    this.#notify(DBE.VALUE | DBE.LOG | (alarmChanged ? DBE.ALARM : 0));
  }

  /** Changes metadata (units, limits, labels...) and tells listeners (DBE_PROPERTY). */
  setProperties(properties: Pick<DbrData, "units" | "precision" | "limits" | "enumStrings">): void {
    this.#change({ ...this.#data, ...properties });
    this.#notify(DBE.PROPERTY);
  }

  /**
   * The current data as DBR `dataType` with `dataCount` elements (0: as many as it holds; up to
   * `maxCount`, padded), converted as RSRV does, or a failing ECA status with no data.
   */
  read(dataType: number, dataCount: number): PvReading {
    const key = `${dataType}/${dataCount}`;
    let reading = this.#readings.get(key);
    if (!reading) {
      reading = this.#encode(dataType, dataCount);
      this.#readings.set(key, reading);
    }
    return reading;
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

  /** Returns the function that stops listening. */
  listen(listener: PvListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** How many listen (monitors of every client); a closed circuit leaves none behind. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  #change(data: DbrData): void {
    this.#data = data;
    if (this.#readings.size > 0) this.#readings = new Map();
  }

  #encode(dataType: number, dataCount: number): PvReading {
    const failed = (status: number) => ({ data: new Uint8Array(0), dataCount: 0, status });
    if (!this.readable) return failed(ECA.NORDACCESS);
    const layout = dbrLayout(dataType);
    if (!layout) return failed(ECA.BADTYPE);
    // More elements than the PV can hold is refused before anything is allocated (RSRV: BADCOUNT).
    if (dataCount > this.maxCount) return failed(ECA.BADCOUNT);
    let value: DbrArray;
    try {
      value = convertValues(this.#data.value, this.base, layout.base, this.context);
    } catch (e) {
      if (e instanceof ConversionError) return failed(ECA.NOCONVERT);
      throw e;
    }
    const count = dataCount === 0 ? Math.max(this.#data.value.length, 1) : dataCount;
    return {
      data: encodeDbr(layout, { ...this.#data, value: resize(value, count) }),
      dataCount: count,
      status: ECA.NORMAL,
    };
  }

  #notify(mask: number): void {
    for (const listener of this.#listeners) listener(mask);
  }
}

function resize(value: DbrArray, count: number): DbrArray {
  if (value.length === count) return value;
  if (Array.isArray(value)) return Array.from({ length: count }, (_, i) => value[i] ?? "");
  const out = new (value.constructor as new (n: number) => Exclude<DbrArray, string[]>)(count);
  out.set(value.subarray(0, count) as never);
  return out;
}
