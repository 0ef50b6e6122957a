/**
 * One native subscription to a dataset node (`dataset://<path>`, or Tiled's `path`): the node's
 * schema message, then its updates from `start` and live, each under the subscription's `id` with
 * the node's own sequence numbers, exactly the messages of `/api/v1/stream/single/{path}`. While
 * the connection lags the stream pauses and later resumes from the node's log on disk, so a slow
 * client loses nothing. After the producer's end: `complete`. The subscribe `options`
 * `max_payload_bytes`, `stride` and `columns` shape what is sent (subscription-forms.ts).
 */
import type { DatasetNode } from "../../datasets/catalog.js";
import type { DatasetStore } from "../../datasets/datasets.js";
import type { LogRecord } from "../../datasets/node-log.js";
import { jsonEnvelope, msgpackEnvelope } from "../../protocols/tiled/envelope.js";
import { schemaOf } from "../../protocols/tiled/forms.js";
import { type StreamOptions, SubscriptionForms } from "../../protocols/tiled/subscription-forms.js";
import type { Connection } from "../../transport/connection.js";
import type { Envelope, SharedBody } from "./envelope.js";
import type { MessageId } from "./messages.js";

export class DatasetStream {
  readonly id: MessageId;
  readonly #connection: Connection;
  readonly #envelope: Envelope;
  readonly #idPrefix: Uint8Array;
  readonly #store: DatasetStore;
  readonly #node: DatasetNode;
  /** What the subscription's options make of each record. */
  readonly #forms: SubscriptionForms;
  readonly #onEnd: (stream: DatasetStream) => void;
  /** Lets go of the node's read right held for this stream. */
  readonly #release: () => void;
  #stop: (() => void) | undefined;
  /** While paused, the next sequence to send on resume. */
  #pausedAt: number | undefined;
  #completed = false;

  /** Throws BG_ERR_DATASET_INVALID for a node family that does not stream. */
  constructor(
    id: MessageId,
    connection: Connection,
    envelope: Envelope,
    store: DatasetStore,
    node: DatasetNode,
    start: number | undefined,
    options: { readonly stream: StreamOptions | undefined; readonly apiBase: string },
    onEnd: (stream: DatasetStream) => void,
    release: () => void,
  ) {
    this.id = id;
    this.#connection = connection;
    this.#envelope = envelope;
    this.#idPrefix = envelope.idPrefix(id);
    this.#store = store;
    this.#node = node;
    this.#forms = new SubscriptionForms(store, node, options.stream, options.apiBase);
    this.#onEnd = onEnd;
    this.#release = release;
    const schema = schemaOf(store, node);
    if (schema)
      this.#sendShared(
        this.#envelope.name === "json" ? jsonShared(jsonEnvelope(schema)) : msgpackShared(msgpackEnvelope(schema)),
      );
    const log = store.log(node);
    const stop = log.follow((record) => this.#onRecord(record), start);
    // The replay may have reached the producer's end already, completing the stream.
    if (this.#completed) stop();
    else this.#stop = stop;
    if (log.ended && start === undefined && !this.#completed) this.#complete();
  }

  /** Whether the stream still follows its node (not completed or closed). */
  get open(): boolean {
    return !this.#completed && this.#stop !== undefined;
  }

  get paused(): boolean {
    return this.#pausedAt !== undefined;
  }

  /** Sends what the paused stream missed, from the node's log, until the connection lags again. */
  resume(): void {
    const from = this.#pausedAt;
    if (from === undefined || this.#stop === undefined) return;
    this.#pausedAt = undefined;
    // Deleted meanwhile: its log is gone with it, and so is the subscription (this runs on drain,
    // where nothing may throw).
    if (this.#store.isDeleted(this.#node)) {
      this.#complete();
      return;
    }
    try {
      for (const record of this.#store.log(this.#node).records(from)) {
        if (this.#connection.lagging) {
          this.#pausedAt = record.sequence;
          return;
        }
        this.#write(record);
      }
    } catch {
      this.#complete();
    }
  }

  /** Ends the subscription (unsubscribe, connection closed). */
  close(): void {
    this.#stop?.();
    this.#stop = undefined;
    this.#release();
  }

  #onRecord(record: LogRecord): void {
    if (this.#pausedAt !== undefined) return;
    if (!record.end && this.#connection.lagging) {
      this.#pausedAt = record.sequence;
      return;
    }
    this.#write(record);
  }

  #write(record: LogRecord): void {
    if (record.end) {
      this.#complete();
      return;
    }
    const form = this.#forms.form(record, this.#envelope.name === "msgpack" ? "msgpack" : "json");
    if (form === undefined) return; // left out by the subscription's options (stride)
    this.#sendShared(typeof form === "string" ? jsonShared(form) : msgpackShared(form));
  }

  #complete(): void {
    this.#completed = true;
    this.close();
    this.#connection.send(this.#envelope.message({ type: "complete", id: this.id }));
    this.#onEnd(this);
  }

  #sendShared(body: SharedBody): void {
    this.#connection.send(this.#envelope.withId(this.#idPrefix, body));
  }
}

/** A Tiled JSON message as a shared body: `{"type":...}` -> `,"type":...}`, the id prefix opening it. */
function jsonShared(text: string): SharedBody {
  return { bytes: Buffer.from(`,${text.slice(1)}`), count: 0 };
}

/** A Tiled msgpack message (a fixmap: at most 15 keys) as a shared body: its pairs and their count. */
function msgpackShared(bytes: Uint8Array): SharedBody {
  const header = bytes[0] as number;
  if ((header & 0xf0) !== 0x80) throw new Error(`a Tiled message is a fixmap, not 0x${header.toString(16)}`);
  return { bytes: bytes.subarray(1), count: header & 0x0f };
}
