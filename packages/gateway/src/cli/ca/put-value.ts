/**
 * What caput writes for its value arguments: one string of them all joined by spaces, or with
 * `-a` each one an element; C escapes undone (`\n`, `\x41`); sent as DBR_STRING for the server to
 * convert, except enums, matched against their labels here (or read as numbers with `-n`, or as
 * labels only with `-s`), and `-S`, a string sent as a NUL-terminated CHAR array.
 */
import { type DbrArray, type DbrBase, stringToChars } from "@beamgate/epics-ca";
import { rawFromEscaped } from "./escape.js";

export interface PutValueOptions {
  /** `-a`: the arguments are the elements of an array. */
  readonly array: boolean;
  /** `-S`: the string goes as a CHAR array. */
  readonly charArray: boolean;
  /** `-n` (number) or `-s` (label): how enum values are read; default: label, else number. */
  readonly enumAs: "auto" | "number" | "label";
}

export interface PutValue {
  readonly value: DbrArray;
  readonly base: DbrBase;
  /** caput's warnings, for stderr (an index past the last label). */
  readonly warnings: readonly string[];
}

/** A value caput refuses before writing (an enum value that is neither a label nor a number). */
export class PutValueError extends Error {
  override readonly name = "PutValueError";
}

/** `labels` are the channel's enum labels if it is an ENUM channel. */
export function putValue(args: readonly string[], options: PutValueOptions, labels?: readonly string[]): PutValue {
  const texts = options.array ? args.map(rawFromEscaped) : [rawFromEscaped(args.join(" "))];
  if (labels) return enumValue(texts, options, labels);
  if (options.charArray) return { value: stringToChars(texts.join(" ")), base: "CHAR", warnings: [] };
  return { value: texts, base: "STRING", warnings: [] };
}

/** Every value as an index: a label's, or a number; sent as DBR_DOUBLE as caput does for numbers. */
function enumValue(texts: readonly string[], options: PutValueOptions, labels: readonly string[]): PutValue {
  const warnings: string[] = [];
  const indexes = texts.map((text) => {
    const label = options.enumAs === "number" ? -1 : labels.indexOf(text);
    if (label >= 0) return label;
    const n = text.trim() === "" ? Number.NaN : Number(text);
    if (Number.isNaN(n) || options.enumAs === "label") {
      throw new PutValueError(
        options.enumAs === "number"
          ? `Enum index value '${text}' is not a number.`
          : `Enum string value '${text}' invalid.`,
      );
    }
    if (n >= labels.length) warnings.push(`Warning: enum index value '${text}' may be too large.`);
    return n;
  });
  return { value: Float64Array.from(indexes), base: "DOUBLE", warnings };
}
