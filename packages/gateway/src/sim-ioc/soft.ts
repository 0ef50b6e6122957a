/**
 * The soft records of the sim IOC: enums (`mode`, an mbbo; `enable`, a bo), strings (`status`, a
 * stringout; `time`, a stringin showing the IOC's clock each second), a long string (`longString`,
 * a CHAR array of up to 1024 bytes), and `counter`, a LONG counting up at 100 Hz for load tests.
 */
import type { ServerPv } from "@beamgate/epics-ca";
import { enumPv, longStringPv, numberOf, numberPv, postNumber, postText, stringPv } from "./records.js";
import type { Ticker } from "./ticker.js";

/** The counter's period: 100 Hz, fast enough to load a client, cheap enough to run in the gateway. */
export const COUNTER_PERIOD_MS = 10;
const TIME_PERIOD_MS = 1000;
export const LONG_STRING_BYTES = 1024;

const LONG_TEXT =
  "beamgate sim-ioc: a simulated beamline served over EPICS Channel Access. It has motors in the " +
  "style of the motor record (m1 to m4), an areaDetector-like camera (cam1: and image1:), " +
  "analog inputs that cross their alarm limits, enums, strings, waveforms and a fast counter. This " +
  "text is longer than the 40 characters of a DBR_STRING, so it travels as a CHAR array, as EPICS " +
  "long strings do (the field name's '$' suffix); write up to 1023 bytes of UTF-8 to replace it.";

export function softPvs(ticker: Ticker, prefix: string): Map<string, ServerPv> {
  const time = stringPv(clock(), { writable: false });
  const counter = numberPv("LONG", 0, { writable: false });
  ticker.every(TIME_PERIOD_MS, () => postText(time, clock()));
  // LONG wraps as the record's 32-bit VAL would.
  ticker.every(COUNTER_PERIOD_MS, () => postNumber(counter, (numberOf(counter) + 1) | 0));

  return new Map([
    [`${prefix}mode`, enumPv(["Idle", "Step", "Fly", "Calibrate"], 0)],
    [`${prefix}enable`, enumPv(["Disabled", "Enabled"], 1)],
    [`${prefix}status`, stringPv("Ready")],
    [`${prefix}time`, time],
    [`${prefix}longString`, longStringPv(LONG_TEXT, LONG_STRING_BYTES)],
    [`${prefix}counter`, counter],
  ]);
}

/** The time as ISO 8601 to the second, in UTC: 20 characters, well within a DBR_STRING. */
function clock(): string {
  return new Date().toISOString().slice(0, 19) + "Z";
}
