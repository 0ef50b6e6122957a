/**
 * 8-bit pixels to a JPEG with sharp (libvips): the encoding runs on libuv's thread pool, off the
 * event loop. An image larger than `maxDimension` on either side is first scaled down to fit,
 * keeping its aspect ratio (the real server squeezes it to 2500x2500 instead).
 *
 * sharp is imported on first use: a platform without its prebuilt binary loses camera frames (each
 * feed logs why), not the whole gateway.
 */
import type { Sharp, SharpOptions } from "sharp";
import type { Image8 } from "./normalize.js";

export interface EncodeOptions {
  /** JPEG quality, 1-100 (the real camera-socket uses 100, its shared variant 75). */
  readonly quality: number;
  /** Largest width or height sent, in pixels. */
  readonly maxDimension: number;
}

type SharpFactory = (input: Uint8Array, options: SharpOptions) => Sharp;

let loading: Promise<SharpFactory> | undefined;

function loadSharp(): Promise<SharpFactory> {
  loading ??= import("sharp").then(({ default: sharp }) => {
    sharp.cache(false); // libvips' operation cache could never hit for live frames; it would only hold memory
    return sharp;
  });
  return loading;
}

export async function encodeJpeg(image: Image8, options: EncodeOptions): Promise<Buffer> {
  const sharp = await loadSharp();
  const { width, height, channels } = image;
  let pipeline = sharp(image.pixels, { raw: { width, height, channels } });
  // Gray stays one channel (as PIL's mode "L"); sharp would otherwise write it as sRGB.
  if (channels === 1) pipeline = pipeline.toColourspace("b-w");
  if (width > options.maxDimension || height > options.maxDimension) {
    pipeline = pipeline.resize({ width: options.maxDimension, height: options.maxDimension, fit: "inside" });
  }
  return pipeline.jpeg({ quality: options.quality }).toBuffer();
}
