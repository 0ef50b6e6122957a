/**
 * The `{channels}` segment of RTA REST data paths (`/sessions/{identity}/data/periodic/{channels}`):
 * comma-separated hexadecimal channel ids or ranges, both ends inclusive, either end open.
 * `-5,7,B-D,14-` is 0x0-0x5, 0x7, 0xB-0xD and 0x14 up to the largest uint32 id. Hex is read in any case.
 */
import { RtaFormatError } from "./errors.js";

/** Channel ids are uint32. */
export const MAX_CHANNEL_ID = 0xffffffff;

/** Ids from `from` to `to`, both inclusive. */
export interface ChannelRange {
  readonly from: number;
  readonly to: number;
}

const HEX = /^[0-9a-f]+$/i;

/** A parsed channel expression: its ranges sorted, with overlapping and adjacent ones merged. */
export class ChannelExpression {
  readonly ranges: readonly ChannelRange[];

  constructor(ranges: readonly ChannelRange[]) {
    const sorted = [...ranges].sort((a, b) => a.from - b.from);
    const merged: ChannelRange[] = [];
    for (const range of sorted) {
      const last = merged.at(-1);
      if (last && range.from <= last.to + 1)
        merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, range.to) };
      else merged.push({ from: range.from, to: range.to });
    }
    this.ranges = merged;
  }

  /** Whether the expression selects channel `id` (a binary search over the ranges). */
  matches(id: number): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const range = this.ranges[mid] as ChannelRange;
      if (id < range.from) hi = mid - 1;
      else if (id > range.to) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

function parseId(text: string, part: string, expression: string): number {
  if (!HEX.test(text)) throw badPart(part, expression, `'${text}' is not hexadecimal`);
  const id = Number.parseInt(text, 16);
  if (id > MAX_CHANNEL_ID) throw badPart(part, expression, `${text} is past FFFFFFFF`);
  return id;
}

function badPart(part: string, expression: string, why: string): RtaFormatError {
  return new RtaFormatError(`bad channel expression part '${part}' in '${expression}': ${why}`);
}

/**
 * Parses a channel expression. Throws RtaFormatError, naming the bad part, for an empty part,
 * non-hex text, an id past FFFFFFFF, a reversed range, or a part with no id or more than one `-`
 * (`-`, `--`, `1-2-3`).
 */
export function parseChannelExpression(text: string): ChannelExpression {
  const ranges: ChannelRange[] = [];
  for (const part of text.split(",")) {
    if (part === "") throw badPart(part, text, "empty");
    const bounds = part.split("-");
    if (bounds.length === 1) {
      const id = parseId(part, part, text);
      ranges.push({ from: id, to: id });
      continue;
    }
    const [fromText, toText] = bounds as [string, string];
    if (bounds.length > 2 || (fromText === "" && toText === "")) throw badPart(part, text, "not an id or a range");
    const from = fromText === "" ? 0 : parseId(fromText, part, text);
    const to = toText === "" ? MAX_CHANNEL_ID : parseId(toText, part, text);
    if (from > to) throw badPart(part, text, "the range is reversed");
    ranges.push({ from, to });
  }
  return new ChannelExpression(ranges);
}
