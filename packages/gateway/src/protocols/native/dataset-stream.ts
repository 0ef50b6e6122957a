/**
 * One native subscription to a dataset node (`dataset://<path>`, or Tiled's `path`): the node's
 * schema message, then its updates from `start` and live, each under the subscription's `id` with
 * the node's own sequence numbers, exactly the messages of `/api/v1/stream/single/{path}`. While
 * the connection lags the stream pauses and later resumes from the node's log on disk, so a slow
 * client loses nothing (log-follower.ts). After the producer's end or the node's deletion:
 * `complete`; if the node's log fails: an `error` (BG_ERR_DATASET_STORAGE), and the subscription
 * ends. The subscribe `options` `max_payload_bytes`, `stride` and `columns` shape what is sent
 * (subscription-forms.ts).
 */
import type { DatasetNode } from "../../datasets/catalog.js";
import type { DatasetStore } from "../../datasets/datasets.js";
import type { LogRecord } from "../../datasets/node-log.js";
import { BeamgateError } from "../../errors.js";
import { jsonEnvelope, msgpackEnvelope } from "../../protocols/tiled/envelope.js";
import { schemaOf } from "../../protocols/tiled/forms.js";
import { LogFollower } from "../../protocols/tiled/log-follower.js";
import { type StreamOptions, SubscriptionForms } from "../../protocols/tiled/subscription-forms.js";
import type { Connection } from "../../transport/connection.js";
import { gapFields } from "./encode.js";
import type { Envelope, SharedBody } from "./envelope.js";
import type { MessageId } from "./messages.js";

export class DatasetStream {
  readonly id: MessageId;
  readonly #connection: Connection;
  readonly #envelope: Envelope;
  readonly #idPrefix: Uint8Array;
  /** What the subscription's options make of each record. */
  readonly #forms: SubscriptionForms;
  readonly #onEnd: (stream: DatasetStream) => void;
  /** Lets go of the node's read right held for this stream. */
  readonly #release: () => void;
  readonly #follower: LogFollower;
  #completed = false;

  /** Throws BG_ERR_DATASET_INVALID for a node family that does not stream. */
  constructor(
    id: MessageId,
    connection: Connection,
    envelope: Envelope,
    store: DatasetStore,
    node: DatasetNode,
    start: number | undefined,
    options: {
      readonly stream: StreamOptions | undefined;
      readonly apiBase: string;
      /** Whether the subscriber may read the node at `path` (a container's child events are filtered). */
      readonly mayRead: (path: string) => boolean;
    },
    onEnd: (stream: DatasetStream) => void,
    release: () => void,
  ) {
    this.id = id;
    this.#connection = connection;
    this.#envelope = envelope;
    this.#idPrefix = envelope.idPrefix(id);
    this.#forms = new SubscriptionForms(store, node, options.stream, options.apiBase, options.mayRead);
    this.#onEnd = onEnd;
    this.#release = release;
    const schema = schemaOf(store, node);
    if (schema)
      this.#sendShared(
        this.#envelope.name === "json" ? jsonShared(jsonEnvelope(schema)) : msgpackShared(msgpackEnvelope(schema)),
      );
    this.#follower = new LogFollower(store, node, start, {
      lagging: () => connection.lagging,
      deliver: (record) => (record.end ? this.#complete() : this.#write(record)),
      expired: (from, to) => this.#sendShared(envelope.shared(gapFields({ reason: "expired", from, to }))),
      gone: (reason, error) => {
        if (reason === "deleted") {
          this.#complete();
          return;
        }
        const lost = new BeamgateError(
          "BG_ERR_DATASET_STORAGE",
          `Live feed lost: ${error?.message ?? "the log failed"}`,
        );
        this.#finish({ type: "error", id: this.id, code: lost.code, message: lost.message });
      },
    });
  }

  /** Whether the stream still follows its node (not completed or closed). */
  get open(): boolean {
    return !this.#completed;
  }

  get paused(): boolean {
    return this.#follower.paused;
  }

  /** Sends what the paused stream missed, from the node's log, until the connection lags again. */
  resume(): void {
    this.#follower.resume();
  }

  /** Ends the subscription (unsubscribe, connection closed). */
  close(): void {
    this.#completed = true;
    this.#follower?.stop();
    this.#release();
  }

  #write(record: LogRecord): void {
    const form = this.#forms.form(record, this.#envelope.name === "msgpack" ? "msgpack" : "json");
    if (form === undefined) return; // left out by the subscription's options (stride)
    this.#sendShared(typeof form === "string" ? jsonShared(form) : msgpackShared(form));
  }

  #complete(): void {
    this.#finish({ type: "complete", id: this.id });
  }

  /** Ends the subscription with its last message. */
  #finish(last: Parameters<Envelope["message"]>[0]): void {
    if (this.#completed) return;
    this.close();
    this.#connection.send(this.#envelope.message(last));
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
