/**
 * One `/api/v1/stream/single/{path}` connection (specs/tiled-streaming.md): the node's schema
 * message first, then, with `start=N`, the records from N on, then the live ones, with nothing
 * between the two (the log is followed and replayed in one synchronous step). Updates go out in
 * the envelope asked for: msgpack as stored (the bytes of the log), JSON decoded once per live
 * record and shared by every JSON subscriber. A client that falls behind is paused and carried
 * on from the log on disk when it catches up (log-follower.ts). After the producer's end the
 * connection closes with 1000 "Producer ended stream"; after the node's deletion, once what it
 * published is sent, with 1000 "Node deleted"; if the node's log fails (the live feed is lost),
 * with 1012, so Tiled's client reconnects with `start=last+1`.
 */
import type { DatasetNode } from "../../datasets/catalog.js";
import type { DatasetStore } from "../../datasets/datasets.js";
import type { LogRecord } from "../../datasets/node-log.js";
import { BeamgateError } from "../../errors.js";
import type { Access } from "../../security/access.js";
import type { Connection } from "../../transport/connection.js";
import { textMessage } from "../../transport/outgoing.js";
import type { Session } from "../../transport/protocol.js";
import { jsonEnvelope, msgpackEnvelope } from "./envelope.js";
import { schemaOf } from "./forms.js";
import { LogFollower } from "./log-follower.js";
import type { SchemaMessage } from "./messages.js";
import { type StreamOptions, SubscriptionForms } from "./subscription-forms.js";

export type Envelope = "json" | "msgpack";

/** The policy's name for a dataset node. */
export const datasetUri = (path: string) => `dataset://${path}`;

export class TiledStreamSession implements Session {
  readonly #connection: Connection;
  readonly #envelope: Envelope;
  readonly #store: DatasetStore;
  readonly #node: DatasetNode;
  #follower: LogFollower | undefined;
  #release: (() => void) | undefined;

  constructor(
    connection: Connection,
    store: DatasetStore,
    node: DatasetNode,
    access: Access,
    options: { envelope: Envelope; start: number | undefined; stream?: StreamOptions; apiBase?: string },
  ) {
    this.#connection = connection;
    this.#envelope = options.envelope;
    this.#store = store;
    this.#node = node;
    if (store.isDeleted(node)) {
      connection.close(new BeamgateError("BG_ERR_DATASET_NOT_FOUND", `No such entry: ${node.path || "/"}`));
      return;
    }
    if (!access.may("read", datasetUri(node.path))) {
      connection.close(new BeamgateError("BG_ERR_AUTH_FORBIDDEN", `Not allowed to read ${node.path || "/"}`));
      return;
    }
    const schema = schemaOf(store, node);
    if (!schema) {
      connection.close(new BeamgateError("BG_ERR_DATASET_INVALID", `${node.structure_family} nodes do not stream yet`));
      return;
    }
    this.#sendMessage(schema);
    this.#release = access.hold(datasetUri(node.path), (e) => this.#end(e));
    const forms = new SubscriptionForms(
      store,
      node,
      options.stream,
      options.apiBase ?? "http://localhost/api/v1",
      // A container's child events go only to who may read the child, checked at each send.
      (path) => access.may("read", datasetUri(path)),
    );
    connection.onDrain = () => this.#follower?.resume();
    this.#follower = new LogFollower(store, node, options.start, {
      lagging: () => connection.lagging,
      deliver: (record) => {
        if (record.end) {
          // The end record of a deleted node is the deletion's (see DatasetStore.delete).
          this.#connection.end(1000, this.#store.isDeleted(this.#node) ? "Node deleted" : "Producer ended stream");
        } else this.#send(forms, record);
      },
      // Tiled has no message for it: the first sequence sent after `start` says what is gone.
      expired: () => {},
      gone: (reason, error) => {
        if (reason === "deleted") this.#connection.end(1000, "Node deleted");
        else this.#connection.end(1012, `Live feed lost: ${error?.message ?? "the node's log failed"}`);
      },
    });
  }

  onMessage(): void {
    // The single-node stream takes no messages after the handshake (and the optional auth).
  }

  refuse(error: BeamgateError): void {
    this.#end(error);
  }

  onClose(): void {
    this.#follower?.stop();
    this.#release?.();
    this.#follower = this.#release = undefined;
  }

  #send(forms: SubscriptionForms, record: LogRecord): void {
    let form: Uint8Array | string | undefined;
    try {
      form = forms.form(record, this.#envelope);
    } catch (e) {
      // Checked before it was logged, so not expected; a listener must not throw.
      this.#end(
        new BeamgateError(
          "BG_ERR_DATASET_INVALID",
          `No JSON form for update ${record.sequence}: ${(e as Error).message}`,
        ),
      );
      return;
    }
    if (form === undefined) return; // left out by the subscription's options (stride)
    if (typeof form === "string") this.#connection.send(textMessage(form));
    else this.#connection.send({ binary: true, chunks: [form], bytes: form.byteLength });
  }

  #sendMessage(message: SchemaMessage): void {
    if (this.#envelope === "json") {
      this.#connection.send(textMessage(jsonEnvelope(message)));
      return;
    }
    const bytes = msgpackEnvelope(message);
    this.#connection.send({ binary: true, chunks: [bytes], bytes: bytes.byteLength });
  }

  #end(error: BeamgateError): void {
    this.#follower?.stop();
    this.#connection.close(error);
  }
}
