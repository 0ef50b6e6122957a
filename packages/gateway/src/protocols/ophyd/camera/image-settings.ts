/**
 * What the settings PVs say of the image, as the real server's settings frame says it:
 * `{"x": W, "y": H, "colorMode": "Mono", "dataType": "UInt16"}`.
 *
 * x and y are SizeX and SizeY: in areaDetector they are the size of the region read out, whatever
 * its offset (MinX, MinY), so they are the size of the frames. The real server sends SizeX - MinX,
 * which matches its frames only when the region starts at 0 (with an offset its frames fail to
 * reshape and nothing is shown); beamgate keeps showing the region. Binning is ignored, as there.
 * The labels come from the PVs' enum strings, or, for a PV without any, the real server's default
 * lists. `startX` and `startY` are watched (a change of region is a change of settings) but do not
 * enter the size.
 */
import type { Meta, Value } from "../../../core/values.js";
import { DATA_TYPES } from "./data-types.js";
import { COLOR_MODES } from "./normalize.js";
import { pyJson } from "./py-json.js";
import type { SettingKey } from "./settings.js";

export interface ImageSettings {
  readonly x: number;
  readonly y: number;
  readonly colorMode: string;
  readonly dataType: string;
}

/** A settings PV's current value and metadata. */
export interface SettingValue {
  readonly value: Value;
  readonly meta: Meta | undefined;
}

export function imageSettings(values: Readonly<Record<SettingKey, SettingValue>>): ImageSettings {
  const n = (key: SettingKey) => (typeof values[key].value === "number" ? (values[key].value as number) : Number.NaN);
  return {
    x: roundHalfEven(n("sizeX")),
    y: roundHalfEven(n("sizeY")),
    colorMode: label(values.colorMode, COLOR_MODES),
    dataType: label(values.dataType, DATA_TYPES),
  };
}

/** The settings frame's text. */
export function settingsText(s: ImageSettings): string {
  return pyJson({ x: s.x, y: s.y, colorMode: s.colorMode, dataType: s.dataType });
}

function label({ value, meta }: SettingValue, defaults: readonly string[]): string {
  if (typeof value === "string") return value;
  const labels = meta?.enumLabels?.length ? meta.enumLabels : defaults;
  return typeof value === "number" ? (labels[value] ?? String(value)) : String(value);
}

/** Python 3's `round()` of a float to an integer. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
