/** Frames of the simulated camera: sizes and element orders per colour mode, spots, saturation, binning. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ColorLayout,
  dimensionsOf,
  type FrameGeometry,
  FrameRenderer,
  type Spot,
} from "../../src/sim-ioc/frames.js";

/** A repeatable random sequence (a linear congruential generator). */
function seeded(seed = 1): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function geometry(overrides: Partial<FrameGeometry> = {}): FrameGeometry {
  return { width: 100, height: 80, minX: 0, minY: 0, binX: 1, binY: 1, layout: "Mono", fullScale: 255, ...overrides };
}

const red: Spot = { x: 30, y: 20, sigma: 3, rgb: [1, 0, 0] };

describe("FrameRenderer", () => {
  it("makes width x height x colours elements, with areaDetector's dimensions", () => {
    const renderer = new FrameRenderer(seeded());
    const cases: Array<[ColorLayout, number, [number, number, number]]> = [
      ["Mono", 100 * 80, [100, 80, 0]],
      ["RGB1", 3 * 100 * 80, [3, 100, 80]],
      ["RGB2", 3 * 100 * 80, [100, 3, 80]],
      ["RGB3", 3 * 100 * 80, [100, 80, 3]],
    ];
    for (const [layout, count, dims] of cases) {
      assert.equal(renderer.render(geometry({ layout }), []).length, count, layout);
      assert.deepEqual(dimensionsOf(layout, 100, 80), dims, layout);
    }
  });

  it("draws a noisy background near 5 % of full scale", () => {
    const frame = new FrameRenderer(seeded()).render(geometry({ fullScale: 65535 }), []);
    const mean = frame.reduce((s, v) => s + v, 0) / frame.length;
    assert.ok(Math.abs(mean - 0.05 * 65535) < 100, `mean ${mean}`);
    assert.ok(new Set(frame).size > 100, "noise");
  });

  it("puts a spot's peak at its centre, in its colour's element of each layout", () => {
    const renderer = new FrameRenderer(seeded());
    const { width: w, height: h } = geometry();
    const at: Record<ColorLayout, (c: number) => number> = {
      Mono: () => 30 + 20 * w,
      RGB1: (c) => 3 * (30 + 20 * w) + c,
      RGB2: (c) => 30 + w * (c + 3 * 20),
      RGB3: (c) => 30 + 20 * w + c * w * h,
    };
    for (const layout of ["RGB1", "RGB2", "RGB3"] as const) {
      const frame = renderer.render(geometry({ layout }), [red]);
      const [r, g, b] = [0, 1, 2].map((c) => frame[at[layout](c)] as number);
      assert.ok((r as number) > 200 && (g as number) < 40 && (b as number) < 40, `${layout}: ${r} ${g} ${b}`);
    }
    const mono = renderer.render(geometry(), [red]);
    let brightest = 0;
    for (let i = 1; i < mono.length; i++) if ((mono[i] as number) > (mono[brightest] as number)) brightest = i;
    assert.equal(brightest, at.Mono(0), "Mono's brightest pixel is the spot's centre");
  });

  it("saturates at full scale instead of wrapping", () => {
    const spot: Spot = { x: 50, y: 40, sigma: 5, rgb: [1, 1, 1] };
    const frame = new FrameRenderer(seeded()).render(geometry(), [spot, spot, spot]);
    assert.equal(Math.max(...frame), 255);
    assert.equal(frame[50 + 40 * 100], 255);
  });

  it("samples the region from MinX/MinY in bins, and skips spots off the frame", () => {
    const renderer = new FrameRenderer(seeded());
    // Sensor x = 100 + (i + 0.5) * 2, so the spot at sensor (151, 41) is frame pixel (25, 20).
    const g = geometry({ minX: 100, binX: 2, width: 50, height: 40 });
    const frame = renderer.render(g, [{ x: 151, y: 20.5, sigma: 2, rgb: [1, 1, 1] }]);
    let brightest = 0;
    for (let i = 1; i < frame.length; i++) if ((frame[i] as number) > (frame[brightest] as number)) brightest = i;
    assert.deepEqual([brightest % 50, Math.floor(brightest / 50)], [25, 20]);
    const empty = renderer.render(g, [{ x: 5000, y: 5000, sigma: 2, rgb: [1, 1, 1] }]);
    assert.ok(Math.max(...empty) < 0.2 * 255, "nothing drawn");
  });
});
