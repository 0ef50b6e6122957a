/**
 * What the simulated camera looks at: a white beam spot that the beamline moves (the sample stage
 * motors, in `beamline.ts`) and three coloured spots drifting on slow Lissajous paths, so that
 * every frame differs and each colour plane has its own content.
 */
import type { Spot } from "./frames.js";

/** A drifting spot; positions and widths are fractions of the sensor size, frequencies in Hz. */
interface Drift {
  readonly x: number;
  readonly y: number;
  readonly amplitudeX: number;
  readonly amplitudeY: number;
  readonly hzX: number;
  readonly hzY: number;
  readonly sigma: number;
  readonly rgb: readonly [number, number, number];
}

const DRIFTS: readonly Drift[] = [
  { x: 0.3, y: 0.3, amplitudeX: 0.15, amplitudeY: 0.1, hzX: 0.13, hzY: 0.21, sigma: 0.03, rgb: [0.9, 0.15, 0.1] },
  { x: 0.7, y: 0.35, amplitudeX: 0.1, amplitudeY: 0.2, hzX: 0.17, hzY: 0.11, sigma: 0.04, rgb: [0.1, 0.8, 0.2] },
  { x: 0.45, y: 0.7, amplitudeX: 0.25, amplitudeY: 0.1, hzX: 0.07, hzY: 0.19, sigma: 0.025, rgb: [0.15, 0.3, 0.95] },
];

const BEAM_SIGMA = 0.015;

/**
 * The spots at `seconds`, on a square sensor of `sensorSize` pixels; `beam` is the beam spot's
 * offset from the sensor's centre, in pixels.
 */
export function spotsAt(seconds: number, sensorSize: number, beam: { x: number; y: number }): Spot[] {
  const spots: Spot[] = DRIFTS.map((d) => ({
    x: sensorSize * (d.x + d.amplitudeX * Math.sin(2 * Math.PI * d.hzX * seconds)),
    y: sensorSize * (d.y + d.amplitudeY * Math.sin(2 * Math.PI * d.hzY * seconds)),
    sigma: sensorSize * d.sigma,
    rgb: d.rgb,
  }));
  spots.push({
    x: sensorSize / 2 + beam.x,
    y: sensorSize / 2 + beam.y,
    sigma: sensorSize * BEAM_SIGMA,
    rgb: [0.85, 0.85, 0.85],
  });
  return spots;
}
