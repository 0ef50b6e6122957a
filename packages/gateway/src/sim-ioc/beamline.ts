/**
 * The simulated beamline: four motors, a camera that sees the beam move with the sample stage (m1,
 * m2), and the analog, array and soft records, under their prefixes and driven by one ticker.
 * Knows no sockets: `sim-ioc.ts` serves it over Channel Access.
 */
import type { ServerPv } from "@beamgate/epics-ca";
import { analogPvs } from "./analog.js";
import { SimCamera } from "./camera.js";
import { SimMotor } from "./motor.js";
import { softPvs } from "./soft.js";
import type { Ticker } from "./ticker.js";
import { waveformPvs } from "./waveforms.js";

/** How far the beam spot moves on the camera per millimetre of the sample stage, in sensor pixels. */
const PIXELS_PER_MM = 10;

/** Every PV of the beamline by name: `prefix` for all but the camera's, which take `cameraPrefix`. */
export function beamlinePvs(ticker: Ticker, prefix: string, cameraPrefix: string): Map<string, ServerPv> {
  const mm = { units: "mm", precision: 3, velocity: 1, low: -25, high: 25, position: 0 };
  const sampleX = new SimMotor(ticker, `${prefix}m1`, { ...mm, description: "Sample X" });
  const sampleY = new SimMotor(ticker, `${prefix}m2`, { ...mm, description: "Sample Y" });
  const rotation = new SimMotor(ticker, `${prefix}m3`, {
    description: "Sample rotation",
    units: "deg",
    precision: 2,
    velocity: 10,
    low: -180,
    high: 180,
    position: 0,
  });
  const distance = new SimMotor(ticker, `${prefix}m4`, {
    description: "Detector distance",
    units: "mm",
    precision: 1,
    velocity: 20,
    low: 100,
    high: 1000,
    position: 300,
  });
  const camera = new SimCamera(ticker, cameraPrefix, () => ({
    x: sampleX.position * PIXELS_PER_MM,
    y: sampleY.position * PIXELS_PER_MM,
  }));
  return new Map([
    ...sampleX.pvs,
    ...sampleY.pvs,
    ...rotation.pvs,
    ...distance.pvs,
    ...camera.pvs,
    ...analogPvs(ticker, prefix),
    ...waveformPvs(ticker, prefix),
    ...softPvs(ticker, prefix),
  ]);
}
