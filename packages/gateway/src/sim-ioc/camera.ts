/**
 * A simulated areaDetector camera in the style of ADSimDetector: the `cam1:` driver records
 * (region, binning, colour mode, data type, acquisition) with the `_RBV` readbacks that show what
 * the driver made of each setting, and an NDStdArrays plugin `image1:` whose ArrayData waveform
 * carries each frame, next to the sizes, colour mode and data type a viewer reshapes it by.
 * While Acquire=1, frames come every max(AcquireTime, AcquirePeriod), at most 50 Hz; a put of
 * Acquire=1 completes when acquisition ends, as areaDetector's busy record does.
 *
 * ArrayData is a SHORT waveform, as in ADSimDetector's example IOC (NDStdArrays with FTVL=SHORT):
 * a CA channel's native type is fixed when it connects, so one waveform carries every data type
 * (UInt8 as 0-255; UInt16 as the same 16 bits, negative above 32767, to be read back as unsigned
 * by DataType_RBV). Pixel generation is in `frames.ts`, what the camera sees in `scene.ts`.
 */
import type { DbrArray, ServerPv } from "@beamgate/epics-ca";
import { AD_DATA_TYPES } from "../area-detector.js";
import { type ColorLayout, dimensionsOf, type FrameGeometry, FrameRenderer } from "./frames.js";
import { enumPv, first, numberOf, numberPv, postIfChanged, postNumber, stringPv } from "./records.js";
import { spotsAt } from "./scene.js";
import type { Ticker } from "./ticker.js";

export const COLOR_MODES = ["Mono", "Bayer", "RGB1", "RGB2", "RGB3", "YUV444", "YUV422", "YUV421"] as const;
export const DATA_TYPES = AD_DATA_TYPES;
const IMAGE_MODES = ["Single", "Multiple", "Continuous"] as const;
const ACQUIRE = ["Done", "Acquire"] as const;
const DETECTOR_STATES = [
  "Idle",
  "Acquire",
  "Readout",
  "Correct",
  "Saving",
  "Aborting",
  "Error",
  "Waiting",
  "Initializing",
  "Disconnected",
  "Aborted",
] as const;

/** The colour modes and data types the simulator draws; the others are refused. */
const LAYOUTS: Partial<Record<(typeof COLOR_MODES)[number], ColorLayout>> = {
  Mono: "Mono",
  RGB1: "RGB1",
  RGB2: "RGB2",
  RGB3: "RGB3",
};
const FULL_SCALE: Partial<Record<(typeof DATA_TYPES)[number], number>> = {
  Int8: 127,
  UInt8: 255,
  Int16: 32767,
  UInt16: 65535,
};

/** The sensor is square: MaxSizeX_RBV = MaxSizeY_RBV. */
export const SENSOR_SIZE = 1024;
const MIN_FRAME_PERIOD_MS = 20;

interface SettingSpec {
  readonly initial: number;
  readonly base?: "LONG" | "DOUBLE";
  readonly labels?: readonly string[];
  readonly units?: string;
  /** Throws for a value the driver refuses. */
  readonly check?: (n: number) => void;
}

const nonNegativeSeconds = (n: number) => {
  if (!(n >= 0 && Number.isFinite(n))) throw new RangeError(`a time must be >= 0 s, not ${n}`);
};

/** The driver settings, each with an `_RBV`; the default frame is 640x480 Mono UInt8 at 10 Hz. */
const SETTINGS = {
  SizeX: { initial: 640 },
  SizeY: { initial: 480 },
  MinX: { initial: 0 },
  MinY: { initial: 0 },
  BinX: { initial: 1 },
  BinY: { initial: 1 },
  ColorMode: {
    initial: 0,
    labels: COLOR_MODES,
    check: (n) => {
      if (!LAYOUTS[COLOR_MODES[n] ?? "Bayer"]) throw new RangeError(`ColorMode ${COLOR_MODES[n]} is not simulated`);
    },
  },
  DataType: {
    initial: 1,
    labels: DATA_TYPES,
    check: (n) => {
      if (!FULL_SCALE[DATA_TYPES[n] ?? "Float64"]) throw new RangeError(`DataType ${DATA_TYPES[n]} is not simulated`);
    },
  },
  AcquireTime: { initial: 0.1, base: "DOUBLE", units: "s", check: nonNegativeSeconds },
  AcquirePeriod: { initial: 0, base: "DOUBLE", units: "s", check: nonNegativeSeconds },
  ImageMode: { initial: 2, labels: IMAGE_MODES },
  NumImages: { initial: 10 },
} as const satisfies Record<string, SettingSpec>;

type SettingName = keyof typeof SETTINGS;

const READ_ONLY = { writable: false } as const;

export class SimCamera {
  /** Every PV of the camera, by full name. */
  readonly pvs: ReadonlyMap<string, ServerPv>;
  readonly #ticker: Ticker;
  readonly #beam: () => { x: number; y: number };
  readonly #renderer = new FrameRenderer();
  readonly #settings = Object.fromEntries(
    Object.entries(SETTINGS).map(([name, spec]) => [name, this.#makeSetting(spec)]),
  ) as Record<SettingName, { readonly pv: ServerPv; readonly rbv: ServerPv }>;
  /** The driver's records other than the settings. */
  readonly #cam = {
    Acquire: enumPv(ACQUIRE, 0, { onWrite: (_, v) => (first(v) ? this.#start() : this.#stop()) }),
    Acquire_RBV: enumPv(ACQUIRE, 0, READ_ONLY),
    ArrayCounter: numberPv("LONG", 0, {
      onWrite: (pv, v) => {
        pv.post(v);
        postNumber(this.#cam.ArrayCounter_RBV, first(v));
      },
    }),
    ArrayCounter_RBV: numberPv("LONG", 0, READ_ONLY),
    NumImagesCounter_RBV: numberPv("LONG", 0, READ_ONLY),
    DetectorState_RBV: enumPv(DETECTOR_STATES, 0, READ_ONLY),
    MaxSizeX_RBV: numberPv("LONG", SENSOR_SIZE, READ_ONLY),
    MaxSizeY_RBV: numberPv("LONG", SENSOR_SIZE, READ_ONLY),
    ArraySizeX_RBV: numberPv("LONG", 0, READ_ONLY),
    ArraySizeY_RBV: numberPv("LONG", 0, READ_ONLY),
    ArraySizeZ_RBV: numberPv("LONG", 0, READ_ONLY),
    ArraySize_RBV: numberPv("LONG", 0, READ_ONLY),
    Manufacturer_RBV: stringPv("Simulated detector", READ_ONLY),
    Model_RBV: stringPv("Basic simulator", READ_ONLY),
  };
  /** The NDStdArrays plugin's records. */
  readonly #image = {
    ArrayData: numberPv("SHORT", 0, { ...READ_ONLY, maxCount: SENSOR_SIZE * SENSOR_SIZE * 3 }),
    NDimensions_RBV: numberPv("LONG", 0, READ_ONLY),
    ArraySize0_RBV: numberPv("LONG", 0, READ_ONLY),
    ArraySize1_RBV: numberPv("LONG", 0, READ_ONLY),
    ArraySize2_RBV: numberPv("LONG", 0, READ_ONLY),
    ColorMode_RBV: enumPv(COLOR_MODES, 0, READ_ONLY),
    DataType_RBV: enumPv(DATA_TYPES, 1, READ_ONLY),
    ArrayCounter_RBV: numberPv("LONG", 0, READ_ONLY),
    UniqueId_RBV: numberPv("LONG", 0, READ_ONLY),
  };
  /** Stops the frame job; set while acquiring. */
  #stopFrames: (() => void) | undefined;
  #framePeriodMs = 0;
  /** Completions of the puts of Acquire=1, waiting for acquisition to end. */
  #pending: Array<() => void> = [];

  /**
   * `prefix` is the detector's, e.g. `13SIM1:`; `beam` gives the beam spot's offset from the
   * sensor's centre, in pixels.
   */
  constructor(ticker: Ticker, prefix: string, beam: () => { x: number; y: number }) {
    this.#ticker = ticker;
    this.#beam = beam;
    const pvs = new Map<string, ServerPv>();
    for (const [name, { pv, rbv }] of Object.entries(this.#settings)) {
      pvs.set(`${prefix}cam1:${name}`, pv).set(`${prefix}cam1:${name}_RBV`, rbv);
    }
    for (const [name, pv] of Object.entries(this.#cam)) pvs.set(`${prefix}cam1:${name}`, pv);
    for (const [name, pv] of Object.entries(this.#image)) pvs.set(`${prefix}image1:${name}`, pv);
    this.pvs = pvs;
  }

  #makeSetting(spec: SettingSpec): { pv: ServerPv; rbv: ServerPv } {
    const onWrite = (pv: ServerPv, v: DbrArray) => {
      spec.check?.(first(v));
      pv.post(v);
      this.#applySettings();
    };
    if (spec.labels) {
      return {
        pv: enumPv(spec.labels, spec.initial, { onWrite }),
        rbv: enumPv(spec.labels, spec.initial, READ_ONLY),
      };
    }
    const base = spec.base ?? "LONG";
    const display = spec.units ? { units: spec.units, precision: 3 } : {};
    return {
      pv: numberPv(base, spec.initial, { ...display, onWrite }),
      rbv: numberPv(base, spec.initial, { ...display, ...READ_ONLY }),
    };
  }

  #setting(name: SettingName): number {
    return numberOf(this.#settings[name].pv);
  }

  /** What the driver makes of the settings: the region clipped to the sensor, bins within it. */
  #readbacks(): Record<SettingName, number> {
    const minX = clamp(this.#setting("MinX"), 0, SENSOR_SIZE - 1);
    const minY = clamp(this.#setting("MinY"), 0, SENSOR_SIZE - 1);
    const sizeX = clamp(this.#setting("SizeX"), 1, SENSOR_SIZE - minX);
    const sizeY = clamp(this.#setting("SizeY"), 1, SENSOR_SIZE - minY);
    return {
      MinX: minX,
      MinY: minY,
      SizeX: sizeX,
      SizeY: sizeY,
      BinX: clamp(this.#setting("BinX"), 1, sizeX),
      BinY: clamp(this.#setting("BinY"), 1, sizeY),
      ColorMode: this.#setting("ColorMode"),
      DataType: this.#setting("DataType"),
      AcquireTime: this.#setting("AcquireTime"),
      AcquirePeriod: this.#setting("AcquirePeriod"),
      ImageMode: this.#setting("ImageMode"),
      NumImages: Math.max(1, this.#setting("NumImages")),
    };
  }

  #applySettings(): void {
    for (const [name, value] of Object.entries(this.#readbacks()) as Array<[SettingName, number]>) {
      postIfChanged(this.#settings[name].rbv, value);
    }
    if (this.#stopFrames && this.#periodMs() !== this.#framePeriodMs) this.#scheduleFrames();
  }

  #periodMs(): number {
    const { AcquireTime, AcquirePeriod } = this.#readbacks();
    return Math.max(MIN_FRAME_PERIOD_MS, 1000 * Math.max(AcquireTime, AcquirePeriod));
  }

  #start(): Promise<void> {
    const done = new Promise<void>((resolve) => this.#pending.push(resolve));
    if (!this.#stopFrames) {
      postNumber(this.#cam.NumImagesCounter_RBV, 0);
      for (const pv of [this.#cam.Acquire, this.#cam.Acquire_RBV, this.#cam.DetectorState_RBV]) {
        postNumber(pv, 1);
      }
      this.#scheduleFrames();
    }
    return done;
  }

  #stop(): void {
    this.#stopFrames?.();
    this.#stopFrames = undefined;
    for (const pv of [this.#cam.Acquire, this.#cam.Acquire_RBV, this.#cam.DetectorState_RBV]) {
      postIfChanged(pv, 0);
    }
    const pending = this.#pending;
    this.#pending = [];
    for (const resolve of pending) resolve();
  }

  #scheduleFrames(): void {
    this.#stopFrames?.();
    this.#framePeriodMs = this.#periodMs();
    this.#stopFrames = this.#ticker.every(this.#framePeriodMs, (now) => this.#frame(now));
  }

  #frame(nowMs: number): void {
    const settings = this.#readbacks();
    const layout = LAYOUTS[COLOR_MODES[settings.ColorMode] ?? "Mono"] ?? "Mono";
    const geometry: FrameGeometry = {
      width: Math.floor(settings.SizeX / settings.BinX),
      height: Math.floor(settings.SizeY / settings.BinY),
      minX: settings.MinX,
      minY: settings.MinY,
      binX: settings.BinX,
      binY: settings.BinY,
      layout,
      fullScale: FULL_SCALE[DATA_TYPES[settings.DataType] ?? "UInt8"] ?? 255,
    };
    const pixels = this.#renderer.render(geometry, spotsAt(nowMs / 1000, SENSOR_SIZE, this.#beam()));
    const dims = dimensionsOf(layout, geometry.width, geometry.height);
    const cam = this.#cam;
    const image = this.#image;
    const counter = numberOf(cam.ArrayCounter_RBV) + 1;
    const images = numberOf(cam.NumImagesCounter_RBV) + 1;
    const bytesPerPixel = geometry.fullScale > 255 ? 2 : 1;
    postIfChanged(cam.ArraySizeX_RBV, geometry.width);
    postIfChanged(cam.ArraySizeY_RBV, geometry.height);
    postIfChanged(cam.ArraySizeZ_RBV, layout === "Mono" ? 0 : 3);
    postIfChanged(cam.ArraySize_RBV, pixels.length * bytesPerPixel);
    postNumber(cam.ArrayCounter_RBV, counter);
    postNumber(cam.NumImagesCounter_RBV, images);
    // The sizes first, then the array, so a viewer that reads them on a new array finds them current.
    postIfChanged(image.NDimensions_RBV, layout === "Mono" ? 2 : 3);
    postIfChanged(image.ArraySize0_RBV, dims[0]);
    postIfChanged(image.ArraySize1_RBV, dims[1]);
    postIfChanged(image.ArraySize2_RBV, dims[2]);
    postIfChanged(image.ColorMode_RBV, settings.ColorMode);
    postIfChanged(image.DataType_RBV, settings.DataType);
    postNumber(image.UniqueId_RBV, counter);
    postNumber(image.ArrayCounter_RBV, counter);
    image.ArrayData.post(new Int16Array(pixels.buffer));
    const mode = IMAGE_MODES[settings.ImageMode];
    if ((mode === "Single" && images >= 1) || (mode === "Multiple" && images >= settings.NumImages)) this.#stop();
  }
}

function clamp(n: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, Math.trunc(n)));
}
