/**
 * The analog records of the sim IOC: `ai1`, a sine that crosses its HIGH and HIHI (LOW and LOLO)
 * limits, so that its alarm goes MINOR then MAJOR and back, posted with each value; `setpoint`, an
 * ao clamped to its drive limits as an ao clamps to DRVL/DRVH; `readback`, an ai that follows the
 * setpoint with a first-order lag and a little noise.
 */
import type { DbrLimits, ServerPv } from "@beamgate/epics-ca";
import { limitAlarm } from "./alarm.js";
import { gaussian } from "./random.js";
import { first, numberOf, numberPv, postNumber } from "./records.js";
import type { Ticker } from "./ticker.js";

/** How often the analog inputs are processed (SCAN ".1 second"). */
export const ANALOG_PERIOD_MS = 100;

/** ai1: a sine of amplitude 10 V and period 6 s, starting at 0 when the IOC starts. */
const SINE_AMPLITUDE = 10;
const SINE_PERIOD_S = 6;
const SINE_LIMITS: DbrLimits = {
  upperDisplay: 10,
  lowerDisplay: -10,
  upperAlarm: 9,
  upperWarning: 7,
  lowerWarning: -7,
  lowerAlarm: -9,
  upperControl: 10,
  lowerControl: -10,
};

const DRIVE_LIMIT = 100;
const SETPOINT_LIMITS: DbrLimits = {
  upperDisplay: DRIVE_LIMIT,
  lowerDisplay: -DRIVE_LIMIT,
  upperAlarm: 0,
  upperWarning: 0,
  lowerWarning: 0,
  lowerAlarm: 0,
  upperControl: DRIVE_LIMIT,
  lowerControl: -DRIVE_LIMIT,
};
/** The readback's time constant, and its noise (standard deviation, in units). */
const READBACK_TAU_S = 1;
const READBACK_NOISE = 0.01;

export function analogPvs(ticker: Ticker, prefix: string): Map<string, ServerPv> {
  const ai1 = numberPv("DOUBLE", 0, { units: "V", precision: 3, limits: SINE_LIMITS, writable: false });
  const setpoint = numberPv("DOUBLE", 0, {
    units: "A",
    precision: 2,
    limits: SETPOINT_LIMITS,
    onWrite: (pv, v) => postNumber(pv, Math.min(DRIVE_LIMIT, Math.max(-DRIVE_LIMIT, first(v)))),
  });
  const readback = numberPv("DOUBLE", 0, { units: "A", precision: 2, limits: SETPOINT_LIMITS, writable: false });

  const startMs = ticker.now();
  const lag = 1 - Math.exp(-ANALOG_PERIOD_MS / 1000 / READBACK_TAU_S);
  ticker.every(ANALOG_PERIOD_MS, (now) => {
    const value = SINE_AMPLITUDE * Math.sin((2 * Math.PI * (now - startMs)) / 1000 / SINE_PERIOD_S);
    postNumber(ai1, value, limitAlarm(value, SINE_LIMITS));
    const current = numberOf(readback);
    postNumber(readback, current + (numberOf(setpoint) - current) * lag + READBACK_NOISE * gaussian());
  });

  return new Map([
    [`${prefix}ai1`, ai1],
    [`${prefix}setpoint`, setpoint],
    [`${prefix}readback`, readback],
  ]);
}
