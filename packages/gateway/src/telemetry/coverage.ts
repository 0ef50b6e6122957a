/**
 * Which time spans each channel already has data for, so an overlapping burst is refused. Bursts
 * may arrive out of order (RTA allows it), so a channel keeps its spans as a sorted set; to bound
 * memory it keeps at most `maxSpans`, merging its two oldest when there are more (a late burst
 * falling in a gap that old is then refused as overlapping).
 */

export class ChannelCoverage {
  readonly #maxSpans: number;
  /** Per channel: sorted, disjoint inclusive spans, flattened [start0, end0, start1, end1, ...]. */
  readonly #spans = new Map<number, bigint[]>();

  constructor(maxSpans = 256) {
    this.#maxSpans = maxSpans;
  }

  /** Whether [start, end] overlaps data the channel has. */
  overlaps(channel: number, start: bigint, end: bigint): boolean {
    const spans = this.#spans.get(channel);
    if (!spans) return false;
    const i = this.#firstEndingAtOrAfter(spans, start);
    return i < spans.length && (spans[i] as bigint) <= end;
  }

  /** Records [start, end] (which must not overlap); spans closer than `joinGap` merge. */
  add(channel: number, start: bigint, end: bigint, joinGap = 1n): void {
    let spans = this.#spans.get(channel);
    if (!spans) {
      spans = [];
      this.#spans.set(channel, spans);
    }
    const i = this.#firstEndingAtOrAfter(spans, start);
    spans.splice(i, 0, start, end);
    // Join with the following span, then the preceding one, when nothing could fit between.
    if (i + 2 < spans.length && (spans[i + 2] as bigint) - end <= joinGap) spans.splice(i + 1, 2);
    if (i > 0 && start - (spans[i - 1] as bigint) <= joinGap) spans.splice(i - 1, 2);
    if (spans.length > 2 * this.#maxSpans) spans.splice(1, 2);
  }

  /** Index of the start of the first span whose end is >= t (spans.length if none). */
  #firstEndingAtOrAfter(spans: bigint[], t: bigint): number {
    let lo = 0;
    let hi = spans.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((spans[2 * mid + 1] as bigint) < t) lo = mid + 1;
      else hi = mid;
    }
    return 2 * lo;
  }
}
