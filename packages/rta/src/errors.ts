/**
 * The one error class of the RTA wire format: bytes or text from a peer that are not valid RTA
 * (a corrupt LZ4 block, a truncated chunk, a malformed channel expression). Mistakes of the caller
 * (a sample value out of range, decreasing timestamps) are RangeErrors instead.
 */

/** Thrown when input from a peer cannot be valid RTA. The message names the bad part. */
export class RtaFormatError extends Error {
  override readonly name = "RtaFormatError";
}

/** The message of something caught, for wrapping it with context (internal: not in index.ts). */
export function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
