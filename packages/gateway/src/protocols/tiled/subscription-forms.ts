/**
 * Per-subscription options of a dataset node's stream, shared by both sockets (the single-node
 * stream's query, the native protocol's subscribe `options`), and what each subscriber is sent
 * under them:
 *
 * - `max_payload_bytes` (default `datasets.maxInlinePayloadBytes`): an `array-data` update whose
 *   payload is larger goes out as an `array-ref` (same sequence and timestamp) whose `uri` GETs
 *   exactly those bytes (`/array/full/{path}?slice=` of the written region). 0: every array
 *   write as a reference. Transient writes (`persist=false`) are not stored, so always go inline.
 * - `stride=N` (array nodes, N >= 1): only the array updates whose sequence is a multiple of N
 *   (it decimates updates, not elements); other events always.
 * - `columns` (table nodes): `table-data` payloads carry only these columns, in that order.
 *
 * Every derived form is built once per record (and column set or base URL) and shared by every
 * subscriber asking for it. No option: the stored record as it is (forms.ts).
 *
 * On a container, a subscriber given `mayRead` gets the `container-child-*` updates of the
 * children it may read only (the child's path asked at each send); what it gets is still the
 * shared form.
 */
import { decode, decodeMulti } from "@msgpack/msgpack";
import { tableFromIPC, tableToIPC } from "apache-arrow";
import type { DatasetNode } from "../../datasets/catalog.js";
import type { DatasetStore } from "../../datasets/datasets.js";
import type { LogRecord } from "../../datasets/node-log.js";
import type { DataType } from "./data-type.js";
import { jsonEnvelope, msgpackEnvelope } from "./envelope.js";
import { dataTypeOf, recordJson } from "./forms.js";
import { type ArrayRefMessage, arrayRef, arrayRefUri, type TableDataMessage, tableData } from "./messages.js";
import { tablePayloadJson } from "./table-json.js";

/** The options as asked for, checked for form only (not yet against a node). */
export interface RequestedStreamOptions {
  readonly maxPayloadBytes?: number;
  readonly stride?: number;
  readonly columns?: readonly string[];
}

/** The options of one subscription, checked against its node. */
export interface StreamOptions {
  readonly maxPayloadBytes: number;
  readonly stride: number;
  /** Undefined: every column. */
  readonly columns: readonly string[] | undefined;
}

export const STREAM_OPTION_KEYS = ["max_payload_bytes", "stride", "columns"] as const;

const MAX_COLUMNS = 1024;

/**
 * The options among `raw` (`max_payload_bytes`, `stride`, `columns`; other keys ignored), from a
 * query (strings; `columns=a,b`) or JSON (integers; `columns` a list of names or `"a,b"`).
 * Returns what is wrong as a string.
 */
export function parseStreamOptions(raw: Readonly<Record<string, unknown>>): RequestedStreamOptions | string {
  const out: { maxPayloadBytes?: number; stride?: number; columns?: string[] } = {};
  const max = integer(raw.max_payload_bytes);
  if (max !== undefined) {
    if (Number.isNaN(max) || max < 0)
      return `max_payload_bytes must be a non-negative integer, not ${show(raw.max_payload_bytes)}`;
    out.maxPayloadBytes = max;
  }
  const stride = integer(raw.stride);
  if (stride !== undefined) {
    if (Number.isNaN(stride) || stride < 1) return `stride must be an integer from 1, not ${show(raw.stride)}`;
    out.stride = stride;
  }
  const columns = raw.columns;
  if (columns !== undefined) {
    const list = typeof columns === "string" ? columns.split(",") : columns;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      list.length > MAX_COLUMNS ||
      list.some((c) => typeof c !== "string" || c === "" || c.length > 1024)
    ) {
      return `columns must name at least one column (a,b), not ${show(columns)}`;
    }
    out.columns = [...new Set(list as string[])];
  }
  return out;
}

/** The options of a subscription to `node`, or what is wrong with them for it. */
export function streamOptionsFor(
  requested: RequestedStreamOptions,
  store: DatasetStore,
  node: DatasetNode,
  defaultMaxPayloadBytes: number,
): StreamOptions | string {
  const family = node.structure_family;
  if (requested.stride !== undefined && family !== "array") {
    return `stride applies to array nodes; ${node.path || "/"} is a ${family}`;
  }
  if (requested.maxPayloadBytes !== undefined && family !== "array") {
    return `max_payload_bytes applies to array nodes; ${node.path || "/"} is a ${family}`;
  }
  if (requested.columns !== undefined) {
    if (family !== "table") return `columns applies to table nodes; ${node.path || "/"} is a ${family}`;
    const known = store.tableStructure(node).columns;
    const unknown = requested.columns.filter((c) => !known.includes(c));
    if (unknown.length > 0) {
      return `No column ${unknown.map((c) => JSON.stringify(c.slice(0, 64))).join(", ")} in ${node.path}; columns are ${known.join(", ")}`;
    }
  }
  return {
    maxPayloadBytes: requested.maxPayloadBytes ?? defaultMaxPayloadBytes,
    stride: requested.stride ?? 1,
    columns: requested.columns,
  };
}

/** A stored update, decoded (shared by every subscriber with options). */
interface Decoded {
  readonly type: string;
  readonly sequence: number;
  readonly timestamp: string;
  readonly shape?: number[];
  readonly offset?: number[] | null;
  readonly block?: number[] | null;
  readonly partition?: number | null;
  readonly append?: boolean;
  readonly mimetype?: string;
  readonly payload?: Uint8Array;
}

const decodedCache = new WeakMap<LogRecord, Decoded>();

/** Per container record, the key of the child it is about (null: none). */
const childKeyCache = new WeakMap<LogRecord, string | null>();

/**
 * The `key` field of a container's update, decoded entry by entry up to it: a child's metadata,
 * which comes after, is never decoded. A map's header is 0x80-0x8f (fixmap) or 0xde (map 16, a
 * 2-byte count); its entries that follow are msgpack values in turn: name, value, name, value...
 */
function childKey(record: LogRecord): string | null {
  let key = childKeyCache.get(record);
  if (key === undefined) {
    key = null;
    const bytes = record.bytes;
    const header = ((bytes[0] ?? 0) & 0xf0) === 0x80 ? 1 : bytes[0] === 0xde ? 3 : 0;
    if (header > 0) {
      let name: unknown;
      let i = 0;
      for (const item of decodeMulti(bytes.subarray(header))) {
        if (i++ % 2 === 0) name = item;
        else if (name === "key") {
          if (typeof item === "string") key = item;
          break;
        }
      }
    }
    childKeyCache.set(record, key);
  }
  return key;
}

function decoded(record: LogRecord): Decoded {
  let d = decodedCache.get(record);
  if (d === undefined) {
    d = decode(record.bytes) as Decoded;
    decodedCache.set(record, d);
  }
  return d;
}

/** An update's forms for one envelope: the message's bytes (msgpack) or text (JSON). */
interface Forms {
  msgpack?: Uint8Array;
  json?: string;
}

/** Per record, the array-ref per API base URL. */
const refCache = new WeakMap<LogRecord, Map<string, { message: ArrayRefMessage } & Forms>>();
/** Per record, the table update per column set. */
const columnsCache = new WeakMap<LogRecord, Map<string, { message: TableDataMessage } & Forms>>();

/**
 * What one subscription sends of each record, under its options. `apiBase` is
 * `http(s)://host/api/v1` as the subscriber reached the gateway (for an `array-ref`'s `uri`).
 * `mayRead` (a container's subscriber): whether it may read the node at a path; the updates of
 * children it may not read are left out.
 */
export class SubscriptionForms {
  readonly #store: DatasetStore;
  readonly #node: DatasetNode;
  readonly #options: StreamOptions | undefined;
  readonly #apiBase: string;
  readonly #dataType: DataType | undefined;
  readonly #mayRead: ((path: string) => boolean) | undefined;

  constructor(
    store: DatasetStore,
    node: DatasetNode,
    options: StreamOptions | undefined,
    apiBase: string,
    mayRead?: (path: string) => boolean,
  ) {
    this.#store = store;
    this.#node = node;
    this.#options = options;
    this.#apiBase = apiBase;
    this.#dataType = dataTypeOf(store, node);
    // Only a container's updates are about other nodes (its children).
    this.#mayRead = node.structure_family === "container" ? mayRead : undefined;
  }

  /**
   * The record as this subscriber gets it in `envelope` (msgpack bytes or JSON text), or
   * undefined when its options or its read rights leave it out. Not for the end record. Throws
   * if a JSON form cannot be made.
   */
  form(record: LogRecord, envelope: "json" | "msgpack"): Uint8Array | string | undefined {
    // Asked at every send, not once: a rules change may grant or withdraw a child mid-stream.
    if (this.#mayRead !== undefined && !this.#childReadable(record, this.#mayRead)) return undefined;
    const o = this.#options;
    const json = envelope === "json";
    const plain = () => (json ? recordJson(record, this.#dataType) : record.bytes);
    if (o === undefined) return plain();
    const family = this.#node.structure_family;
    if (family === "array") {
      // A record small enough inline whatever it holds needs no decoding when not decimated.
      if (o.stride === 1 && record.bytes.byteLength <= o.maxPayloadBytes) return plain();
      const d = decoded(record);
      if (d.type !== "array-data") return plain();
      if (d.sequence % o.stride !== 0) return undefined;
      if (record.transient || (d.payload?.byteLength ?? 0) <= o.maxPayloadBytes) return plain();
      return this.#ref(record, d, envelope);
    }
    if (family === "table" && o.columns !== undefined) {
      const d = decoded(record);
      if (d.type !== "table-data" || d.payload === undefined) return plain();
      return this.#columns(record, d, o.columns, envelope);
    }
    return plain();
  }

  /** Whether the child a container's record is about (if any) may be read; the root's children's paths are their keys. */
  #childReadable(record: LogRecord, mayRead: (path: string) => boolean): boolean {
    const key = childKey(record);
    if (key === null) return true;
    return mayRead(this.#node.path === "" ? key : `${this.#node.path}/${key}`);
  }

  #ref(record: LogRecord, d: Decoded, envelope: "json" | "msgpack"): Uint8Array | string {
    let byBase = refCache.get(record);
    if (byBase === undefined) {
      byBase = new Map();
      refCache.set(record, byBase);
    }
    let entry = byBase.get(this.#apiBase);
    if (entry === undefined) {
      const structure = this.#store.arrayStructure(this.#node);
      const written = d.shape ?? [];
      let offset: number[];
      if (d.offset) offset = [...d.offset];
      else if (d.block) {
        // A block's offset: the sizes of the chunks before it, per dimension.
        offset = d.block.map((b, i) => (structure.chunks[i] ?? []).slice(0, b).reduce((a, n) => a + n, 0));
      } else offset = written.map(() => 0);
      const patch = { offset, shape: [...written] };
      const path = this.#node.path
        .split("/")
        .map((s) => encodeURIComponent(s))
        .join("/");
      const message = arrayRef({
        sequence: d.sequence,
        timestamp: d.timestamp,
        dataSource: (this.#node.data_sources[0] ?? {}) as Record<string, unknown>,
        patch,
        shape: structure.shape,
        uri: arrayRefUri(`${this.#apiBase}/array/full/${path}`, patch, structure.shape),
      });
      entry = { message };
      byBase.set(this.#apiBase, entry);
    }
    return formOf(entry, envelope, () => jsonEnvelope(entry.message));
  }

  #columns(
    record: LogRecord,
    d: Decoded,
    columns: readonly string[],
    envelope: "json" | "msgpack",
  ): Uint8Array | string {
    let bySet = columnsCache.get(record);
    if (bySet === undefined) {
      bySet = new Map();
      columnsCache.set(record, bySet);
    }
    const key = columns.join("\0");
    let entry = bySet.get(key);
    if (entry === undefined) {
      const ipc = d.payload as Uint8Array;
      const table = tableFromIPC(ipc.byteOffset % 8 === 0 ? ipc : ipc.slice());
      const payload = tableToIPC(table.select(columns as string[]), "file");
      const message = tableData({
        sequence: d.sequence,
        timestamp: d.timestamp,
        partition: d.partition ?? null,
        append: d.append ?? false,
        payload,
        ...(d.mimetype ? { mimetype: d.mimetype } : {}),
      });
      entry = { message };
      bySet.set(key, entry);
    }
    return formOf(entry, envelope, () => jsonEnvelope(entry.message, tablePayloadJson(entry.message.payload)));
  }
}

/** An entry's form in `envelope`, made on first use. */
function formOf(
  entry: { readonly message: ArrayRefMessage | TableDataMessage } & Forms,
  envelope: "json" | "msgpack",
  json: () => string,
): Uint8Array | string {
  if (envelope === "json") {
    entry.json ??= json();
    return entry.json;
  }
  entry.msgpack ??= msgpackEnvelope(entry.message);
  return entry.msgpack;
}

/** A number from a JSON integer or a query's digits; NaN for anything else; undefined if absent. */
function integer(v: unknown): number | undefined {
  if (v === undefined || v === null) return v === null ? Number.NaN : undefined;
  if (typeof v === "number") return Number.isSafeInteger(v) ? v : Number.NaN;
  // Digits only: Number() would take "", " ", "0x10" and "1e3".
  if (typeof v === "string" && /^\d{1,15}$/.test(v)) return Number(v);
  return Number.NaN;
}

function show(v: unknown): string {
  return (typeof v === "string" ? v : (JSON.stringify(v) ?? String(v))).slice(0, 64);
}
