/**
 * A native-protocol connection: parses client messages, checks them, calls the hub, and answers.
 * Client mistakes come back as `error` messages (with the message's id when it had one); the
 * connection stays open.
 */
import type { ScopedHub } from "../../core/scoped-hub.js";
import type { DatasetStore } from "../../datasets/datasets.js";
import { asBeamgateError, BeamgateError, type ErrorCode } from "../../errors.js";
import type { Connection } from "../../transport/connection.js";
import type { Session } from "../../transport/protocol.js";
import { streamOptionsFor } from "../tiled/subscription-forms.js";
import { DatasetStream } from "./dataset-stream.js";
import type { Envelope, Fields } from "./envelope.js";
import {
  type ClientMessage,
  MessageError,
  type MessageId,
  type PutMessage,
  parseClientMessage,
  type SubscribeMessage,
} from "./messages.js";
import { Stream } from "./stream.js";

export interface NativeOptions {
  /** The datasets `dataset://` topics (and `path` subscriptions) name, when the gateway has them. */
  readonly datasets?: DatasetStore;
  readonly maxSubscriptions: number;
  readonly maxPendingPuts: number;
  readonly defaultPutTimeoutMs: number;
  readonly maxPutTimeoutMs: number;
  /** Dataset topics: the default `max_payload_bytes` (`datasets.maxInlinePayloadBytes`). */
  readonly maxInlinePayloadBytes?: number;
  /** `http(s)://host/api/v1` as the client reached us, for an `array-ref`'s `uri`. */
  readonly apiBase?: string;
}

/** How put failures are reported in `put_result.status`. */
const PUT_STATUS: Partial<Record<ErrorCode, string>> = {
  BG_ERR_PUT_TIMEOUT: "timeout",
  BG_ERR_PUT_READ_ONLY: "refused",
  BG_ERR_AUTH_FORBIDDEN: "refused",
};

export class NativeSession implements Session {
  readonly #connection: Connection;
  readonly #hub: ScopedHub;
  readonly #envelope: Envelope;
  readonly #options: NativeOptions;
  readonly #streams = new Map<MessageId, Stream | DatasetStream>();
  #closed = false;
  #pendingPuts = 0;
  #resumeTurn = 0;

  constructor(connection: Connection, hub: ScopedHub, envelope: Envelope, options: NativeOptions) {
    this.#connection = connection;
    this.#hub = hub;
    this.#envelope = envelope;
    this.#options = options;
    // Paused log streams resume in turn, starting one further each time, so none starves.
    connection.onDrain = () => {
      const paused = [...this.#streams.values()].filter((s) => s.paused);
      const first = this.#resumeTurn++ % Math.max(paused.length, 1);
      for (let i = 0; i < paused.length; i++) paused[(first + i) % paused.length]?.resume();
    };
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    let message: ClientMessage;
    try {
      message = parseClientMessage(this.#envelope.decode(data, isBinary));
    } catch (e) {
      const error = asBeamgateError(e, "BG_ERR_PROTO_INVALID_MESSAGE");
      this.#error(error, e instanceof MessageError ? e.id : undefined);
      return;
    }
    switch (message.type) {
      case "subscribe":
        this.#subscribe(message);
        return;
      case "unsubscribe": {
        const stream = this.#streams.get(message.id);
        if (!stream) {
          this.#error(
            new BeamgateError("BG_ERR_PROTO_UNKNOWN_ID", `No subscription has id ${JSON.stringify(message.id)}`),
            message.id,
          );
          return;
        }
        this.#streams.delete(message.id);
        closeStream(stream);
        this.#send({ type: "complete", id: message.id });
        return;
      }
      case "put":
        void this.#put(message);
        return;
      case "ping":
        this.#send(message.id === undefined ? { type: "pong" } : { type: "pong", id: message.id });
        return;
    }
  }

  refuse(error: BeamgateError): void {
    this.#error(error, undefined);
  }

  onClose(): void {
    this.#closed = true;
    for (const stream of this.#streams.values()) closeStream(stream);
    this.#streams.clear();
  }

  #subscribe(message: SubscribeMessage): void {
    const { id } = message;
    if (this.#streams.has(id)) {
      this.#error(
        new BeamgateError("BG_ERR_PROTO_DUPLICATE_ID", `A subscription with id ${JSON.stringify(id)} exists`),
        id,
      );
      return;
    }
    if (this.#streams.size >= this.#options.maxSubscriptions) {
      this.#error(
        new BeamgateError(
          "BG_ERR_LIMIT_SUBSCRIPTIONS",
          `At most ${this.#options.maxSubscriptions} subscriptions per connection`,
        ),
        id,
      );
      return;
    }
    if (/^dataset:\/\//i.test(message.topic)) {
      this.#subscribeDataset(message);
      return;
    }
    if (message.options.dataset !== undefined) {
      const why = '"options.max_payload_bytes", "stride" and "columns" apply to dataset topics';
      this.#error(new BeamgateError("BG_ERR_PROTO_INVALID_MESSAGE", why), id);
      return;
    }
    const stream = new Stream(id, this.#connection, this.#envelope, message.options.conflate, (ended) => {
      if (this.#streams.get(ended.id) === ended) this.#streams.delete(ended.id);
    });
    this.#streams.set(id, stream);
    try {
      stream.subscription = this.#hub.subscribe(message.topic, stream, { start: message.start, epoch: message.epoch });
    } catch (e) {
      this.#streams.delete(id);
      this.#error(asBeamgateError(e, "BG_ERR_TOPIC_FAILED"), id);
    }
  }

  /** A dataset node's stream: its own sequences and replay, read with the node's rights (`dataset://<path>`). */
  #subscribeDataset(message: SubscribeMessage): void {
    const path = message.topic.slice("dataset://".length).replace(/^\/+|\/+$/g, "");
    try {
      const datasets = this.#options.datasets;
      if (!datasets) throw new BeamgateError("BG_ERR_TOPIC_NOT_FOUND", "This gateway serves no datasets");
      const node = datasets.node(path);
      const streamOptions = streamOptionsFor(
        message.options.dataset ?? {},
        datasets,
        node,
        this.#options.maxInlinePayloadBytes ?? 1024 * 1024,
      );
      if (typeof streamOptions === "string") throw new BeamgateError("BG_ERR_PROTO_INVALID_MESSAGE", streamOptions);
      const release = this.#hub.watchOwn(`dataset://${node.path}`, (error) => {
        const stream = this.#streams.get(message.id);
        if (!(stream instanceof DatasetStream)) return;
        this.#streams.delete(message.id);
        stream.close();
        this.#error(error, message.id);
      });
      const stream = new DatasetStream(
        message.id,
        this.#connection,
        this.#envelope,
        datasets,
        node,
        message.start,
        {
          stream: streamOptions,
          apiBase: this.#options.apiBase ?? "http://localhost/api/v1",
          mayRead: (path) => this.#hub.mayOwn("read", `dataset://${path}`),
        },
        (ended) => {
          if (this.#streams.get(ended.id) === ended) this.#streams.delete(ended.id);
        },
        release,
      );
      // A stream already complete (ended, nothing to replay) has removed itself: it is not kept.
      if (stream.open) this.#streams.set(message.id, stream);
    } catch (e) {
      this.#error(asBeamgateError(e, "BG_ERR_TOPIC_FAILED"), message.id);
    }
  }

  async #put(message: PutMessage): Promise<void> {
    const timeoutMs = message.timeout === undefined ? this.#options.defaultPutTimeoutMs : message.timeout * 1000;
    const fields: Fields = { type: "put_result", id: message.id };
    if (timeoutMs > this.#options.maxPutTimeoutMs) {
      const why = `"timeout" may be at most ${this.#options.maxPutTimeoutMs / 1000} s`;
      this.#error(new BeamgateError("BG_ERR_PROTO_INVALID_MESSAGE", why), message.id);
      return;
    }
    if (this.#pendingPuts >= this.#options.maxPendingPuts) {
      const error = new BeamgateError(
        "BG_ERR_LIMIT_PENDING_PUTS",
        `At most ${this.#options.maxPendingPuts} puts may wait for completion per connection`,
      );
      this.#send({ ...fields, status: "refused", code: error.code, message: error.message });
      return;
    }
    this.#pendingPuts++;
    try {
      await this.#hub.put(message.topic, message.value, timeoutMs);
      fields.status = "done";
    } catch (e) {
      const error = asBeamgateError(e, "BG_ERR_PUT_FAILED");
      fields.status = PUT_STATUS[error.code] ?? "error";
      fields.code = error.code;
      fields.message = error.message;
    } finally {
      this.#pendingPuts--;
    }
    if (!this.#closed) this.#send(fields);
  }

  #error(error: BeamgateError, id: MessageId | undefined): void {
    this.#send(
      id === undefined
        ? { type: "error", code: error.code, message: error.message }
        : { type: "error", id, code: error.code, message: error.message },
    );
  }

  #send(fields: Fields): void {
    this.#connection.send(this.#envelope.message(fields));
  }
}

function closeStream(stream: Stream | DatasetStream): void {
  if (stream instanceof DatasetStream) stream.close();
  else stream.subscription?.close();
}
