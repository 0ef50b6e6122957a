/**
 * A simulated motor in the style of the EPICS motor record, with the fields clients use most: VAL
 * (also the bare name), RBV, DMOV, MOVN, STOP, VELO, HLM, LLM, EGU, PREC, DESC, plus LVIO and DESC$
 * (DESC as a long string). A put to VAL moves at VELO with no acceleration, posting RBV at each poll
 * of the shared ticker, and completes on arrival, as the record's put callback does; a target
 * beyond [LLM, HLM] is refused (LVIO=1) and nothing moves; STOP=1 stops where the motor is.
 */
import { charsToString, type DbrLimits, type ServerPv } from "@beamgate/epics-ca";
import { first, longStringPv, numberOf, numberPv, postNumber, postText, stringPv, textOf } from "./records.js";
import type { Ticker } from "./ticker.js";

export interface MotorSpec {
  readonly description: string;
  /** Engineering units (EGU). */
  readonly units: string;
  /** Decimal places (PREC). */
  readonly precision: number;
  /** Speed in units per second (VELO). */
  readonly velocity: number;
  /** Soft limits (LLM, HLM), in units. */
  readonly low: number;
  readonly high: number;
  /** Starting position, in units. */
  readonly position: number;
}

/** How often a moving motor's position is posted: the 10 Hz a motor driver typically polls at. */
const MOTOR_POLL_MS = 100;

/** A DBF_STRING field such as DESC holds 40 characters and a NUL. */
const STRING_FIELD_BYTES = 41;

export class SimMotor {
  /** Every PV of the motor, by full name. */
  readonly pvs: ReadonlyMap<string, ServerPv>;
  readonly #ticker: Ticker;
  readonly #val: ServerPv;
  readonly #rbv: ServerPv;
  readonly #dmov: ServerPv;
  readonly #movn: ServerPv;
  readonly #velo: ServerPv;
  readonly #hlm: ServerPv;
  readonly #llm: ServerPv;
  readonly #egu: ServerPv;
  readonly #prec: ServerPv;
  readonly #lvio: ServerPv;
  readonly #desc: ServerPv;
  readonly #descChars: ServerPv;
  /** Stops the polling job; set while the motor moves. */
  #stopPolling: (() => void) | undefined;
  #target: number;
  #lastStepMs = 0;
  /** Completions of the puts to VAL waiting for the motor to arrive or stop. */
  #pending: Array<() => void> = [];

  /** `name` is the record name, e.g. `SIM:m1`. */
  constructor(ticker: Ticker, name: string, spec: MotorSpec) {
    this.#ticker = ticker;
    this.#target = spec.position;
    const display = { units: spec.units, precision: spec.precision, limits: softLimits(spec.low, spec.high) };
    this.#val = numberPv("DOUBLE", spec.position, { ...display, onWrite: (_, v) => this.#move(first(v)) });
    this.#rbv = numberPv("DOUBLE", spec.position, { ...display, writable: false });
    this.#dmov = numberPv("SHORT", 1, { writable: false });
    this.#movn = numberPv("SHORT", 0, { writable: false });
    this.#lvio = numberPv("SHORT", 0, { writable: false });
    const stop = numberPv("SHORT", 0, {
      onWrite: (pv, v) => {
        pv.post(v);
        if (first(v) !== 0) this.#stop();
        postNumber(pv, 0); // the record resets STOP once it has acted on it
      },
    });
    this.#velo = numberPv("DOUBLE", spec.velocity, {
      units: `${spec.units}/s`,
      precision: spec.precision,
      onWrite: (pv, v) => {
        const velocity = first(v);
        if (!(velocity > 0 && Number.isFinite(velocity))) throw new RangeError(`VELO must be > 0, not ${velocity}`);
        pv.post(v);
      },
    });
    this.#hlm = numberPv("DOUBLE", spec.high, { ...display, onWrite: (_, v) => this.#setLimits(this.low, first(v)) });
    this.#llm = numberPv("DOUBLE", spec.low, { ...display, onWrite: (_, v) => this.#setLimits(first(v), this.high) });
    this.#egu = stringPv(spec.units, {
      onWrite: (pv, v) => {
        pv.post(v);
        this.#updateProperties();
      },
    });
    this.#prec = numberPv("SHORT", spec.precision, {
      onWrite: (pv, v) => {
        pv.post(v);
        this.#updateProperties();
      },
    });
    // DESC and DESC$ are one field seen two ways: a write to either shows in both.
    this.#desc = stringPv(spec.description, { onWrite: (_, v) => this.#describe(String(v[0] ?? "")) });
    this.#descChars = longStringPv(spec.description, STRING_FIELD_BYTES, {
      onWrite: (_, v) => this.#describe(charsToString(v as Uint8Array)),
    });
    this.pvs = new Map([
      [name, this.#val],
      [`${name}.VAL`, this.#val],
      [`${name}.RBV`, this.#rbv],
      [`${name}.DMOV`, this.#dmov],
      [`${name}.MOVN`, this.#movn],
      [`${name}.STOP`, stop],
      [`${name}.VELO`, this.#velo],
      [`${name}.HLM`, this.#hlm],
      [`${name}.LLM`, this.#llm],
      [`${name}.EGU`, this.#egu],
      [`${name}.PREC`, this.#prec],
      [`${name}.DESC`, this.#desc],
      [`${name}.DESC$`, this.#descChars],
      [`${name}.LVIO`, this.#lvio],
    ]);
  }

  /** The readback position (RBV), in units. */
  get position(): number {
    return numberOf(this.#rbv);
  }

  get low(): number {
    return numberOf(this.#llm);
  }

  get high(): number {
    return numberOf(this.#hlm);
  }

  get moving(): boolean {
    return this.#stopPolling !== undefined;
  }

  #move(target: number): Promise<void> {
    if (!(target >= this.low && target <= this.high)) {
      postNumber(this.#lvio, 1);
      throw new RangeError(`${target} is outside the soft limits [${this.low}, ${this.high}]`);
    }
    if (numberOf(this.#lvio) !== 0) postNumber(this.#lvio, 0);
    postNumber(this.#val, target);
    this.#target = target;
    const arrived = new Promise<void>((resolve) => this.#pending.push(resolve));
    if (target === this.position && !this.moving) this.#finish();
    else if (!this.moving) {
      postNumber(this.#dmov, 0);
      postNumber(this.#movn, 1);
      this.#lastStepMs = this.#ticker.now();
      this.#stopPolling = this.#ticker.every(MOTOR_POLL_MS, (now) => this.#step(now));
    }
    return arrived;
  }

  #step(nowMs: number): void {
    const stepSize = (numberOf(this.#velo) * (nowMs - this.#lastStepMs)) / 1000;
    this.#lastStepMs = nowMs;
    const distance = this.#target - this.position;
    if (Math.abs(distance) <= stepSize) {
      postNumber(this.#rbv, this.#target);
      this.#finish();
    } else {
      postNumber(this.#rbv, this.position + Math.sign(distance) * stepSize);
    }
  }

  #stop(): void {
    if (!this.moving) return;
    this.#target = this.position;
    postNumber(this.#val, this.#target);
    this.#finish();
  }

  /** Ends a move (or a move of no distance): DMOV last, as the record posts it, then the put callbacks. */
  #finish(): void {
    if (this.#stopPolling) {
      this.#stopPolling();
      this.#stopPolling = undefined;
      postNumber(this.#movn, 0);
      postNumber(this.#dmov, 1);
    }
    const pending = this.#pending;
    this.#pending = [];
    for (const resolve of pending) resolve();
  }

  #describe(text: string): void {
    postText(this.#descChars, text);
    postText(this.#desc, textOf(this.#descChars));
  }

  #setLimits(low: number, high: number): void {
    if (!(low <= high)) throw new RangeError(`LLM (${low}) must not be above HLM (${high})`);
    postNumber(this.#llm, low);
    postNumber(this.#hlm, high);
    this.#updateProperties();
  }

  /** Shows EGU, PREC and the soft limits in the metadata of the fields that carry them. */
  #updateProperties(): void {
    const units = textOf(this.#egu);
    const precision = numberOf(this.#prec);
    const display = { units, precision, limits: softLimits(this.low, this.high) };
    for (const pv of [this.#val, this.#rbv, this.#hlm, this.#llm]) pv.setProperties(display);
    this.#velo.setProperties({ units: `${units}/s`, precision });
  }
}

/** Display and control limits at the soft limits; no alarm limits (0, as the record leaves them). */
function softLimits(low: number, high: number): DbrLimits {
  return {
    upperDisplay: high,
    lowerDisplay: low,
    upperControl: high,
    lowerControl: low,
    upperAlarm: 0,
    upperWarning: 0,
    lowerWarning: 0,
    lowerAlarm: 0,
  };
}
