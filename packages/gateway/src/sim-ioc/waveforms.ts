/**
 * The array records of the sim IOC: `wave`, a sine of 1000 DOUBLE points travelling along the
 * array, and `spectrum`, an MCA-like LONG histogram of 1024 channels (three peaks on a falling
 * background, with counting noise) measured afresh at each update.
 */
import { ServerPv } from "@beamgate/epics-ca";
import { ANALOG_PERIOD_MS } from "./analog.js";
import { gaussian } from "./random.js";
import type { Ticker } from "./ticker.js";

const WAVE_POINTS = 1000;
/** Periods along the array, and how fast they travel (periods per second). */
const WAVE_PERIODS = 3;
const WAVE_SPEED_HZ = 0.5;

const SPECTRUM_CHANNELS = 1024;
/** Peaks of the spectrum: centre and width (channels), height (counts). */
const PEAKS = [
  { centre: 220, width: 6, height: 900 },
  { centre: 380, width: 9, height: 450 },
  { centre: 705, width: 12, height: 600 },
] as const;

export function waveformPvs(ticker: Ticker, prefix: string): Map<string, ServerPv> {
  const wave = new ServerPv({
    base: "DOUBLE",
    value: new Float64Array(WAVE_POINTS),
    units: "V",
    precision: 3,
    limits: { upperDisplay: 1, lowerDisplay: -1, upperAlarm: 0, upperWarning: 0, lowerWarning: 0, lowerAlarm: 0 },
    writable: false,
  });
  const spectrum = new ServerPv({
    base: "LONG",
    value: new Int32Array(SPECTRUM_CHANNELS),
    units: "counts",
    writable: false,
  });
  const expected = Float64Array.from({ length: SPECTRUM_CHANNELS }, (_, i) => expectedCounts(i));

  ticker.every(ANALOG_PERIOD_MS, (now) => {
    const phase = (WAVE_SPEED_HZ * now) / 1000;
    wave.post(
      Float64Array.from({ length: WAVE_POINTS }, (_, i) =>
        Math.sin(2 * Math.PI * ((WAVE_PERIODS * i) / WAVE_POINTS - phase)),
      ),
    );
    // Counting noise: Poisson, close enough to normal with variance = mean at these counts.
    spectrum.post(Int32Array.from(expected, (mean) => Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian()))));
  });

  return new Map([
    [`${prefix}wave`, wave],
    [`${prefix}spectrum`, spectrum],
  ]);
}

function expectedCounts(channel: number): number {
  let counts = 40 * Math.exp(-channel / 300) + 5;
  for (const { centre, width, height } of PEAKS) {
    const d = (channel - centre) / width;
    counts += height * Math.exp(-0.5 * d * d);
  }
  return counts;
}
