/**
 * One frame from array to JPEG: checked on the event loop (cheap: types and element count),
 * normalized on a pool thread, encoded by sharp on libuv's pool. A frame that cannot be shown
 * under the current settings is refused with a `FrameSkipped` saying why, before anything is copied.
 */
import { isNumericArray, type Value } from "../../../core/values.js";
import { isDataType } from "./data-types.js";
import { type EncodeOptions, encodeJpeg } from "./encoder.js";
import type { ImageSettings } from "./image-settings.js";
import { isColorMode } from "./normalize.js";
import type { NormalizePool } from "./worker-pool.js";

/** A frame that is not encoded, and why (logged as a warning). */
export class FrameSkipped extends Error {}

export class FrameRenderer {
  readonly #pool: NormalizePool;
  readonly #options: EncodeOptions;

  constructor(pool: NormalizePool, options: EncodeOptions) {
    this.#pool = pool;
    this.#options = options;
  }

  /** The pool was closed (the server stops): frames still underway fail quietly. */
  get closed(): boolean {
    return this.#pool.closed;
  }

  async render(value: Value, settings: ImageSettings, log: boolean): Promise<Buffer> {
    const { x: width, y: height, colorMode, dataType } = settings;
    if (!isNumericArray(value)) throw new FrameSkipped("the image PV does not hold a numeric array");
    if (!isColorMode(colorMode)) throw new FrameSkipped(`Unsupported color mode: ${colorMode}`);
    if (!isDataType(dataType)) throw new FrameSkipped(`Unsupported data type: ${dataType}`);
    const expected = width * height * (colorMode === "Mono" ? 1 : 3);
    if (!(width > 0 && height > 0) || value.length !== expected) {
      throw new FrameSkipped(
        `${value.length} elements do not make a ${width}x${height} ${colorMode} image (${Math.max(0, expected) || 0} expected)`,
      );
    }
    const image = await this.#pool.normalize({ data: value, dataType, width, height, colorMode, log });
    return encodeJpeg(image, this.#options);
  }
}
