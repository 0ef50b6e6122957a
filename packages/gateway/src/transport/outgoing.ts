/** A message waiting in a connection's outbound queue. */

/** Identifies one stream of state values (one subscription), whose queued values may replace each other. */
export interface ConflationKey {
  /** The message telling the client that sequences `from..to` were replaced by a newer value. */
  skippedNotice(from: number, to: number): Outgoing;
  /** Kept by the connection: this stream's value waiting in the queue, if any (no map lookup per message). */
  queued: object | undefined;
}

export interface Outgoing {
  readonly binary: boolean;
  /** The payload, in pieces: e.g. a per-subscriber prefix and a body shared by every subscriber. */
  readonly chunks: readonly Uint8Array[];
  /** Total payload bytes. */
  readonly bytes: number;
}

export function textMessage(text: string): Outgoing {
  const body = Buffer.from(text);
  return { binary: false, chunks: [body], bytes: body.length };
}
