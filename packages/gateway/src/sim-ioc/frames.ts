/**
 * The pixels of the simulated camera: gaussian spots on a noisy background, in the element orders
 * of the areaDetector colour modes (Mono; RGB1, RGB2, RGB3: colour interleaved by pixel, by row, by
 * plane), scaled to the data type's full scale. Cheap enough for 1024x1024 RGB at tens of Hz: the
 * background is copied in blocks from a precomputed noise table, and a spot is separable,
 * exp(-(dx²+dy²)/2σ²) = gx(dx)·gy(dy), so it costs one Math.exp per column and row of its box, not
 * one per pixel. What the spots do lives in `scene.ts`, the PVs in `camera.ts`.
 */
import { gaussian } from "./random.js";

export type ColorLayout = "Mono" | "RGB1" | "RGB2" | "RGB3";

export interface FrameGeometry {
  /** Size of the frame in pixels, after binning. */
  readonly width: number;
  readonly height: number;
  /** The sensor pixel at the frame's first corner, and sensor pixels per frame pixel. */
  readonly minX: number;
  readonly minY: number;
  readonly binX: number;
  readonly binY: number;
  readonly layout: ColorLayout;
  /** The largest pixel value: 255 for UInt8, 65535 for UInt16. */
  readonly fullScale: number;
}

export interface Spot {
  /** Centre, in sensor pixels. */
  readonly x: number;
  readonly y: number;
  /** Width (standard deviation), in sensor pixels. */
  readonly sigma: number;
  /** Peak height in red, green and blue, as fractions of full scale. */
  readonly rgb: readonly [number, number, number];
}

/** The background level and its noise (standard deviation), as fractions of full scale. */
const BACKGROUND = 0.05;
const NOISE = 0.015;
/** A prime, so the noise pattern does not line up with rows of common widths. */
const NOISE_TABLE_SIZE = 65_521;
/** A spot is drawn out to this many standard deviations (exp(-8) ≈ 0.03 % of its peak). */
const SPOT_REACH_SIGMAS = 4;

export function channelsOf(layout: ColorLayout): number {
  return layout === "Mono" ? 1 : 3;
}

/** areaDetector's NDArray dimensions (ArraySize0, 1, 2) of a frame; 0 where there is none. */
export function dimensionsOf(layout: ColorLayout, width: number, height: number): [number, number, number] {
  switch (layout) {
    case "Mono":
      return [width, height, 0];
    case "RGB1":
      return [3, width, height];
    case "RGB2":
      return [width, 3, height];
    case "RGB3":
      return [width, height, 3];
  }
}

/** Distance in elements between neighbouring columns, rows and colours. */
function stridesOf(layout: ColorLayout, width: number, height: number): { x: number; y: number; c: number } {
  switch (layout) {
    case "Mono":
      return { x: 1, y: width, c: 0 };
    case "RGB1":
      return { x: 3, y: 3 * width, c: 1 };
    case "RGB2":
      return { x: 1, y: 3 * width, c: width };
    case "RGB3":
      return { x: 1, y: width, c: width * height };
  }
}

export class FrameRenderer {
  /** Background plus noise, in pixel values, by full scale. */
  readonly #backgrounds = new Map<number, Uint16Array>();
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** A new frame: width × height × channels elements in the layout's order. */
  render(geometry: FrameGeometry, spots: readonly Spot[]): Uint16Array {
    const { width, height, layout, fullScale } = geometry;
    const out = new Uint16Array(width * height * channelsOf(layout));
    this.#fillBackground(out, fullScale);
    const strides = stridesOf(layout, width, height);
    for (const spot of spots) this.#drawSpot(out, geometry, strides, spot);
    return out;
  }

  #fillBackground(out: Uint16Array, fullScale: number): void {
    const table = this.#background(fullScale);
    // A new starting point each frame, so the noise moves.
    let from = Math.floor(this.#random() * table.length);
    for (let i = 0; i < out.length; ) {
      const n = Math.min(table.length - from, out.length - i);
      out.set(table.subarray(from, from + n), i);
      i += n;
      from = 0;
    }
  }

  #background(fullScale: number): Uint16Array {
    let table = this.#backgrounds.get(fullScale);
    if (!table) {
      table = new Uint16Array(NOISE_TABLE_SIZE);
      for (let i = 0; i < table.length; i++) {
        const level = fullScale * (BACKGROUND + NOISE * gaussian(this.#random));
        table[i] = Math.min(fullScale, Math.max(0, Math.round(level)));
      }
      this.#backgrounds.set(fullScale, table);
    }
    return table;
  }

  #drawSpot(out: Uint16Array, g: FrameGeometry, strides: { x: number; y: number; c: number }, spot: Spot): void {
    const columns = profile(spot.x, spot.sigma, g.minX, g.binX, g.width);
    const rows = profile(spot.y, spot.sigma, g.minY, g.binY, g.height);
    if (!columns || !rows) return;
    const [red, green, blue] = spot.rgb;
    // Mono sees the spot's mean brightness over the three colours.
    const peaks = g.layout === "Mono" ? [(red + green + blue) / 3] : [red, green, blue];
    const { fullScale } = g;
    for (let c = 0; c < peaks.length; c++) {
      const peak = (peaks[c] as number) * fullScale;
      if (peak <= 0) continue;
      for (let j = 0; j < rows.values.length; j++) {
        const rowPeak = peak * (rows.values[j] as number);
        let index = (rows.first + j) * strides.y + columns.first * strides.x + c * strides.c;
        for (let i = 0; i < columns.values.length; i++, index += strides.x) {
          const v = (out[index] as number) + rowPeak * (columns.values[i] as number);
          out[index] = v > fullScale ? fullScale : v;
        }
      }
    }
  }
}

/**
 * A spot's gaussian along one axis, sampled at the centres of the frame pixels it reaches: the
 * first frame pixel and the values, or undefined when the spot is off the frame.
 */
function profile(
  centre: number,
  sigma: number,
  min: number,
  bin: number,
  size: number,
): { first: number; values: Float64Array } | undefined {
  const reach = SPOT_REACH_SIGMAS * sigma;
  const first = Math.max(0, Math.ceil((centre - reach - min) / bin - 0.5));
  const last = Math.min(size - 1, Math.floor((centre + reach - min) / bin - 0.5));
  if (last < first) return undefined;
  const values = new Float64Array(last - first + 1);
  for (let i = 0; i < values.length; i++) {
    const d = min + (first + i + 0.5) * bin - centre;
    values[i] = Math.exp((-d * d) / (2 * sigma * sigma));
  }
  return { first, values };
}
