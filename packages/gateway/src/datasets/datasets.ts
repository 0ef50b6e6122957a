/**
 * The dataset store: the catalog, each array's Zarr data, each table's Arrow files, and each
 * node's stream log, under `<dataDir>/datasets`. A write is checked (against an array's logical
 * shape, a table's schema and partitions), appended to the node's log (its write-ahead log) and
 * made durable, then published and answered, and applied to the data after, in sequence order
 * and in batches; reads of the data wait for what is pending. Nothing is published that is not
 * stored: the log is the store of record. After a crash, the records past what a node had applied
 * are applied again (array writes are idempotent in order; a table partition names the last
 * record it holds, so an append is not applied twice). A log's oldest files go past the replay
 * window, once the data files hold what they held durably.
 *
 * Deleting a node is durable first (the catalog notes it), then told to the parent's followers
 * (`container-child-deleted`), then the stream of each node deleted ends after what it published,
 * and its files are removed. A write or a stream still holding a deleted node gets NOT_FOUND.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { decode } from "@msgpack/msgpack";
import { BeamgateError } from "../errors.js";
import type { AppendLogOptions } from "../storage/append-log.js";
import { ArrayStore, type ArrayStructure, tiledChunks } from "./array-store.js";
import { checkBlock, checkFull, checkPatch, ShapeConflict } from "./array-writes.js";
import { Catalog, type DatasetNode, type Deletion, type NewNode, type Spec } from "./catalog.js";
import { Hdf5Reader } from "./hdf5-reader.js";
import { hdf5SourceOf, isExternalHdf5 } from "./hdf5-source.js";
import {
  type ArrayData,
  applyRecords,
  arrayData,
  type ExternalData,
  type NodeData,
  openData,
  syncData,
} from "./node-data.js";
import { type LogRecord, NodeLog } from "./node-log.js";
import { TableStore, type TableStructure } from "./table-store.js";
import {
  arrayRefUpdate,
  arrayWrite,
  childCreated,
  childDeleted,
  childMetadataUpdated,
  stamp,
  tableWrite,
} from "./updates.js";

export interface DatasetStoreOptions extends AppendLogOptions {
  /** How long a logged write may wait to be applied with those that follow it (NodeLog's `applyDelayMs`). */
  readonly applyDelayMs?: number;
  /** Writes wait while more than this is logged but not applied (NodeLog's `maxUnappliedBytes`). */
  readonly maxUnappliedBytes?: number;
  /** The replay window of each node's log (NodeLog's `Retention`: bytes and ms, 0 no limit; both 0: keep all). */
  readonly retainLogBytes?: number;
  readonly retainLogMs?: number;
}

export class DatasetStore {
  readonly catalog: Catalog;
  /** Where a new array is made before its node exists, so a refused structure leaves no node. */
  readonly #staging: string;
  readonly #options: DatasetStoreOptions;
  readonly #logs = new Map<number, NodeLog>();
  /** Nodes whose log is being trimmed. */
  readonly #trimming = new Set<number>();
  /** Each array's and table's data (node-data.ts), a registered array's file. */
  readonly #data = new Map<number, NodeData>();
  /** Reads the registered HDF5 files, off the event loop. */
  readonly #hdf5 = new Hdf5Reader();
  /** Producers' ends in flight (DELETE stream/close), by node id. */
  readonly #ending = new Map<number, Promise<void>>();
  /** Deletions in progress (told, streams ended, files removed), awaited by `close`. */
  readonly #deleting = new Set<Promise<void>>();

  private constructor(dir: string, options: DatasetStoreOptions) {
    this.catalog = new Catalog(dir);
    this.#staging = join(dir, "staging");
    rmSync(this.#staging, { recursive: true, force: true });
    this.#options = options;
  }

  /** Opens (creating) the store, applying to each array and table what its log holds past what was applied. */
  static async open(dir: string, options: DatasetStoreOptions): Promise<DatasetStore> {
    const store = new DatasetStore(dir, options);
    for (const deletion of store.catalog.pendingDeletions) {
      try {
        await store.#tellDeletionAgain(deletion);
        store.catalog.forget(deletion);
      } catch (e) {
        store.catalog.problems.push(`deletion of ${deletion.key} (node ${deletion.ids[0]}): ${(e as Error).message}`);
      }
    }
    const withData = (function* walk(node: DatasetNode): Generator<DatasetNode> {
      for (const child of store.catalog.children(node)) {
        if (child.structure_family !== "container") yield child;
        yield* walk(child);
      }
    })(store.catalog.root);
    for (const node of withData) {
      try {
        await store.#recover(node);
      } catch (e) {
        // Left on disk and not served (GET answers 404), as the catalog does with what it cannot load.
        store.#data.delete(node.id);
        store.catalog.problems.push(`${node.structure_family} ${node.path}: ${(e as Error).message}`);
      }
    }
    return store;
  }

  /** The node at `path`, or BG_ERR_DATASET_NOT_FOUND. */
  node(path: string): DatasetNode {
    const node = this.catalog.find(path);
    if (!node) throw new BeamgateError("BG_ERR_DATASET_NOT_FOUND", `No such entry: ${path || "/"}`);
    return node;
  }

  /** Whether the node was deleted (what still holds it gets NOT_FOUND). */
  isDeleted(node: DatasetNode): boolean {
    return !this.catalog.has(node);
  }

  /** The node's stream log (opened on first use); BG_ERR_DATASET_NOT_FOUND once the node is deleted and its stream ended. */
  log(node: DatasetNode): NodeLog {
    let log = this.#logs.get(node.id);
    if (!log) {
      if (this.isDeleted(node)) throw notFound(node);
      log = new NodeLog(join(this.catalog.dir(node), "log"), {
        ...this.#options,
        apply: node.structure_family === "container" ? undefined : (records) => this.#apply(node, records),
        onSettled: () => void this.#trim(node),
      });
      this.#logs.set(node.id, log);
    }
    return log;
  }

  /** Whether the node is a registered array: its data is a file the server only reads. */
  isExternal(node: DatasetNode): boolean {
    return this.#external(node) !== undefined;
  }

  /**
   * A registered data source's structure as its HDF5 file has it now; BG_ERR_DATASET_INVALID
   * for a source that is not one `file://` asset, a file that cannot be read, a missing dataset.
   */
  async externalStructure(source: Readonly<Record<string, unknown>>): Promise<ArrayStructure> {
    const checked = this.#check(() => hdf5SourceOf(source));
    return this.#checked(this.#hdf5.structure(checked));
  }

  /**
   * An array node's structure as it will be once every accepted write is applied; a registered
   * array's as its file had it when last read (at registration, at start, at each `data_source`
   * update).
   */
  arrayStructure(node: DatasetNode): ArrayStructure {
    const external = this.#external(node);
    if (external && !this.isDeleted(node)) return external.structure;
    const state = this.#array(node);
    const { data_type, dims, resizable } = state.store.structure;
    // Tiled's key order; chunks of the logical shape, not of the shape the data has reached.
    return { data_type, chunks: tiledChunks(state.shape, state.chunkShape), shape: [...state.shape], dims, resizable };
  }

  /** A table node's structure (Tiled's `TableStructure`). */
  tableStructure(node: DatasetNode): TableStructure {
    return this.#table(node).structure;
  }

  /** Creates a child (an array gets its Zarr array, a table its directory), then tells the parent's followers. */
  async create(parent: DatasetNode, input: NewNode): Promise<DatasetNode> {
    const parentLog = this.log(parent);
    if (parentLog.ended) {
      throw new BeamgateError("BG_ERR_DATASET_CONFLICT", `The stream of ${parent.path || "/"} has been closed`);
    }
    // An array or a table is made first, aside: a structure the store refuses (RangeError) leaves no node behind.
    let staged: string | undefined;
    const external = input.structure_family === "array" && isExternalHdf5(input.data_sources[0]);
    let registered: ExternalData | undefined;
    if (external) {
      // Registered data: checked now (the file readable, the dataset there); no Zarr array.
      const source = this.#check(() => hdf5SourceOf(input.data_sources[0] as Record<string, unknown>));
      registered = { kind: "external", source, structure: await this.#checked(this.#hdf5.structure(source)) };
    } else if (input.structure_family !== "container") {
      staged = join(this.#staging, randomUUID());
      await mkdir(this.#staging, { recursive: true });
      const structure = input.data_sources[0]?.structure;
      try {
        if (input.structure_family === "array") await ArrayStore.create(staged, structure as ArrayStructure);
        else await TableStore.create(staged, structure as TableStructure);
      } catch (e) {
        await rm(staged, { recursive: true, force: true });
        throw e;
      }
    }
    let node: DatasetNode;
    try {
      node = this.catalog.create(parent, input);
    } catch (e) {
      if (staged) await rm(staged, { recursive: true, force: true });
      const message = (e as Error).message;
      // The parent deleted while the child's data was being made: NOT_FOUND, as a moment later.
      if (this.isDeleted(parent)) throw notFound(parent);
      throw new BeamgateError(
        /already exists/.test(message) ? "BG_ERR_DATASET_CONFLICT" : "BG_ERR_DATASET_INVALID",
        message,
      );
    }
    if (registered) this.#data.set(node.id, registered);
    try {
      if (staged && node.structure_family === "array") {
        const dir = join(this.catalog.dir(node), "zarr");
        await rename(staged, dir);
        const data = arrayData(await ArrayStore.open(dir));
        if (!this.isDeleted(node)) this.#data.set(node.id, data);
      } else if (staged) {
        const dir = join(this.catalog.dir(node), "table");
        await rename(staged, dir);
        const table = await TableStore.open(dir);
        if (!this.isDeleted(node)) this.#data.set(node.id, { kind: "table", store: table });
      }
    } catch (e) {
      if (staged) await rm(staged, { recursive: true, force: true });
      if (!this.isDeleted(node)) throw e;
    }
    // Deleted with its parent while its data was being moved in (its directory is removed).
    if (this.isDeleted(node)) throw notFound(node);
    // Closed while the array was being made: the node exists, with no stream left to tell.
    if (!parentLog.ended) await parentLog.append((sequence) => childCreated(stamp(sequence), node));
    return node;
  }

  /**
   * Replaces a node's metadata (and specs), one revision later (the same with `dropRevision`),
   * then tells the parent's followers. Synchronous up to the catalog's update, so a caller that
   * computed `metadata` from the node as it is now (a PATCH) cannot lose a concurrent update.
   */
  async replaceMetadata(
    node: DatasetNode,
    metadata: Record<string, unknown>,
    specs?: readonly Spec[],
    options: { dropRevision?: boolean } = {},
  ): Promise<DatasetNode> {
    if (node.parentId === null) {
      throw new BeamgateError("BG_ERR_DATASET_INVALID", "The root's metadata cannot be replaced");
    }
    const parent = this.catalog.parent(node);
    if (!parent) throw notFound(node);
    const parentLog = this.log(parent);
    if (parentLog.ended) {
      throw new BeamgateError("BG_ERR_DATASET_CONFLICT", `The stream of ${parent.path || "/"} has been closed`);
    }
    const updated = this.catalog.update(node, metadata, specs, options);
    await parentLog.append((sequence) => childMetadataUpdated(stamp(sequence), updated));
    return updated;
  }

  /**
   * `DELETE /metadata/{path}`: deletes a node and, with `recursive`, everything beneath it (a
   * node with children is refused without). Durable first: once the catalog has noted it the
   * node is gone, even after a crash. Then the parent's followers get `container-child-deleted`
   * (unless the parent's stream was closed), and each deleted node's stream ends after what it
   * published (its followers are closed), its pending writes applied, and its files removed.
   */
  async delete(node: DatasetNode, recursive: boolean): Promise<void> {
    if (node.parentId === null) throw new BeamgateError("BG_ERR_DATASET_INVALID", "The root cannot be deleted");
    const parent = this.catalog.parent(node);
    if (!parent) throw notFound(node);
    if (!recursive && this.catalog.children(node).length > 0) {
      // Tiled's words.
      throw new BeamgateError(
        "BG_ERR_DATASET_CONFLICT",
        "Cannot delete a node that is not empty. Delete its contents first or pass `recursive=True`.",
      );
    }
    const parentLog = this.log(parent);
    let deletion: Deletion;
    try {
      deletion = this.catalog.delete(node, { after: parentLog.current });
    } catch (e) {
      throw new BeamgateError("BG_ERR_DATASET_STORAGE", `${node.path}: ${(e as Error).message}`, { cause: e });
    }
    const done = this.#finishDeletion(deletion, parentLog);
    this.#deleting.add(done);
    try {
      await done;
    } finally {
      this.#deleting.delete(done);
    }
  }

  /**
   * `PUT /data_source/{path}?patch_shape=&patch_offset=`: a registered array's file grew (or was
   * rewritten). The file's dataset is read again, and an `array-ref` (its data source as it is
   * now, the `patch` or null, the new total shape, and `uri(patch, shape)` to GET the new data)
   * is logged, durable, then published. BG_ERR_DATASET_INVALID for a patch outside the new shape.
   */
  async dataSourceUpdated(
    node: DatasetNode,
    patch: { offset: number[]; shape: number[] } | null,
    uri: (patch: { offset: number[]; shape: number[] } | null, shape: number[]) => string,
  ): Promise<{ structure: ArrayStructure; message: Uint8Array }> {
    if (this.isDeleted(node)) throw notFound(node);
    const external = this.#external(node);
    if (!external) {
      throw new BeamgateError("BG_ERR_DATASET_INVALID", `${node.path} is not a registered (external) array`);
    }
    const structure = await this.#checked(this.#hdf5.structure(external.source));
    external.structure = structure;
    const shape = structure.shape;
    if (patch) {
      this.#check(() => {
        if (patch.offset.length !== shape.length || patch.shape.length !== shape.length) {
          throw new RangeError(
            `patch_offset and patch_shape must have ${shape.length} dimensions, like the array (shape ${shape.join(",")})`,
          );
        }
        patch.offset.forEach((o, d) => {
          if (o + (patch.shape[d] as number) > (shape[d] as number)) {
            throw new RangeError(
              `the patch (offset ${patch.offset.join(",")}, shape ${patch.shape.join(",")}) is outside the file's shape ${shape.join(",")}`,
            );
          }
        });
      });
    }
    const stored = node.data_sources[0] ?? {};
    // The stored data source, its structure as the file has it now; Tiled's key order.
    const dataSource = {
      id: stored.id ?? 1,
      structure_family: "array",
      structure,
      mimetype: stored.mimetype,
      parameters: stored.parameters ?? {},
      properties: stored.properties ?? {},
      assets: stored.assets ?? [],
      management: "external",
    };
    let message: Uint8Array = new Uint8Array(0);
    await this.#append(node, true, (sequence) => {
      message = arrayRefUpdate(stamp(sequence), { dataSource, patch, shape, uri: uri(patch, shape) });
      return message;
    });
    return { structure, message };
  }

  /** `PUT /array/full`: the whole array. `persist=false` streams without storing the data. */
  async writeFull(node: DatasetNode, bytes: Uint8Array, persist: boolean): Promise<void> {
    await this.log(node).room();
    const state = this.#array(node);
    const itemsize = state.store.structure.data_type.itemsize;
    this.#check(() => checkFull(state.shape, itemsize, bytes));
    const shape = [...state.shape];
    await this.#append(node, persist, (sequence) =>
      arrayWrite(stamp(sequence), { shape, offset: null, block: null, payload: bytes }),
    );
  }

  /** `PUT /array/block?block=`: one chunk. */
  async writeBlock(node: DatasetNode, block: number[], bytes: Uint8Array, persist: boolean): Promise<void> {
    await this.log(node).room();
    const state = this.#array(node);
    const itemsize = state.store.structure.data_type.itemsize;
    const placed = this.#check(() => checkBlock(state.shape, state.chunkShape, itemsize, block, bytes));
    await this.#append(node, persist, (sequence) =>
      arrayWrite(stamp(sequence), { shape: placed.shape, offset: null, block, payload: bytes }),
    );
  }

  /** `PATCH /array/full?offset=&shape=&extend=`: a region, growing the array with `extend`. */
  async patch(
    node: DatasetNode,
    offset: number[],
    shape: number[],
    bytes: Uint8Array,
    extend: boolean,
    persist: boolean,
  ): Promise<ArrayStructure> {
    await this.log(node).room();
    const state = this.#array(node);
    const itemsize = state.store.structure.data_type.itemsize;
    const grown = this.#check(() => checkPatch(state.shape, itemsize, offset, shape, bytes, extend));
    // A write the log refuses (the stream closed) must not grow the array.
    this.#checkOpen(node);
    state.shape = grown;
    const after = this.arrayStructure(node);
    await this.#append(node, persist, (sequence) =>
      arrayWrite(stamp(sequence), { shape, offset, block: null, payload: bytes }),
    );
    return after;
  }

  /** `GET /array/full?slice=`: C-order little-endian bytes and their shape. */
  async read(node: DatasetNode, slice?: string): Promise<{ bytes: Uint8Array; shape: number[] }> {
    const external = this.#external(node);
    if (external && !this.isDeleted(node)) return this.#checked(this.#hdf5.read(external.source, slice));
    const state = this.#array(node);
    await this.#caughtUp(node);
    return state.store.read(slice).catch((e) => {
      if (this.isDeleted(node)) throw notFound(node);
      throw e instanceof RangeError ? new BeamgateError("BG_ERR_DATASET_INVALID", e.message) : e;
    });
  }

  /**
   * A table write: `PUT table/full` (`partition` null: the whole table, which must have one
   * partition), `PUT table/partition?partition=` (replace) or `PATCH` (`append`). `bytes` is an
   * Arrow IPC file whose columns match the table's; it is what subscribers get as `payload`.
   */
  async writeTable(node: DatasetNode, partition: number | null, bytes: Uint8Array, append: boolean): Promise<void> {
    await this.log(node).room();
    const table = this.#table(node);
    const npartitions = table.structure.npartitions;
    if (partition === null && npartitions !== 1) {
      throw new BeamgateError(
        "BG_ERR_DATASET_INVALID",
        `PUT table/full writes a table of one partition; ${node.path} has ${npartitions}: write each with table/partition?partition=`,
      );
    }
    this.#check(() => table.check(partition ?? 0, bytes));
    await this.#append(node, true, (sequence) => tableWrite(stamp(sequence), { partition, append, payload: bytes }));
  }

  /**
   * `GET table/full` (`partition` undefined: every partition in order) or `GET table/partition`:
   * an Arrow IPC file, of the `columns` named when given.
   */
  async readTable(node: DatasetNode, partition?: number, columns?: readonly string[]): Promise<Uint8Array> {
    const table = this.#table(node);
    await this.#caughtUp(node);
    return table.read(partition, columns).catch((e) => {
      if (this.isDeleted(node)) throw notFound(node);
      throw e instanceof RangeError ? new BeamgateError("BG_ERR_DATASET_INVALID", e.message) : e;
    });
  }

  /** `DELETE /stream/close`: ends the node's stream (idempotent). */
  async closeStream(node: DatasetNode): Promise<void> {
    const log = this.log(node);
    if (log.ended) {
      await this.#ending.get(node.id);
      return;
    }
    const ending = log.append(() => new Uint8Array(0), { end: true }).then(() => {});
    this.#ending.set(node.id, ending);
    try {
      await ending;
    } finally {
      this.#ending.delete(node.id);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#deleting].map((d) => d.catch(() => {})));
    // Published writes are applied before the logs close; one that failed is applied again at the next open.
    const logs = [...this.#logs.values()];
    await Promise.all(logs.map((l) => l.applied().catch(() => {})));
    await Promise.all(logs.map((l) => l.close()));
    await this.#hdf5.close();
  }

  #array(node: DatasetNode): ArrayData {
    if (this.isDeleted(node)) throw notFound(node);
    const data = this.#data.get(node.id);
    if (data?.kind === "external") {
      throw new BeamgateError("BG_ERR_DATASET_INVALID", "This node cannot accept array data");
    }
    if (node.structure_family !== "array" || data?.kind !== "array") {
      throw new BeamgateError("BG_ERR_DATASET_NOT_FOUND", `The node at ${node.path} is not an array`);
    }
    return data;
  }

  #table(node: DatasetNode): TableStore {
    if (this.isDeleted(node)) throw notFound(node);
    const data = this.#data.get(node.id);
    if (node.structure_family !== "table" || data?.kind !== "table") {
      throw new BeamgateError("BG_ERR_DATASET_NOT_FOUND", `The node at ${node.path} is not a table`);
    }
    return data.store;
  }

  /** A registered array's file and structure (undefined for any other node). */
  #external(node: DatasetNode): ExternalData | undefined {
    const data = this.#data.get(node.id);
    return data?.kind === "external" ? data : undefined;
  }

  /** Waits until the node's data holds every write published so far (they are applied after). */
  async #caughtUp(node: DatasetNode): Promise<void> {
    try {
      await this.log(node).applied();
    } catch (e) {
      throw new BeamgateError("BG_ERR_DATASET_STORAGE", `${node.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Runs a check: its RangeError (what is wrong with the request) becomes the store's error. */
  #check<T>(check: () => T): T {
    try {
      return check();
    } catch (e) {
      throw storeError(e);
    }
  }

  /** `#check` of an asynchronous step. */
  async #checked<T>(step: Promise<T>): Promise<T> {
    try {
      return await step;
    } catch (e) {
      throw storeError(e);
    }
  }

  /** BG_ERR_DATASET_CONFLICT once the node's stream is closed: it takes no more writes (NOT_FOUND once deleted). */
  #checkOpen(node: DatasetNode): void {
    if (this.isDeleted(node)) throw notFound(node);
    if (this.log(node).ended) {
      throw new BeamgateError("BG_ERR_DATASET_CONFLICT", `The stream of ${node.path} has been closed`);
    }
  }

  /** Logs a write; once durable it is published, then applied (unless transient). */
  async #append(node: DatasetNode, persist: boolean, encode: (sequence: number) => Uint8Array): Promise<void> {
    const log = this.log(node);
    this.#checkOpen(node);
    try {
      await log.append(encode, { transient: !persist });
    } catch (e) {
      if (e instanceof BeamgateError) throw e;
      // Deleted while the write was on its way: the node's stream ended before it.
      if (this.isDeleted(node)) throw notFound(node);
      throw new BeamgateError("BG_ERR_DATASET_STORAGE", `${node.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** After the catalog noted a deletion: tells the parent's followers, ends the nodes' streams, removes their files. */
  async #finishDeletion(deletion: Deletion, parentLog: NodeLog): Promise<void> {
    let failure: unknown;
    if (!parentLog.ended) {
      try {
        await parentLog.append((sequence) => childDeleted(stamp(sequence), deletion.key));
      } catch (e) {
        // The note stays: the next start tells them.
        failure = e;
      }
    }
    await Promise.all(deletion.ids.map((id) => this.#retire(id)));
    await this.catalog.purge(deletion, failure === undefined);
    if (failure !== undefined) {
      throw new BeamgateError(
        "BG_ERR_DATASET_STORAGE",
        `${deletion.key} was deleted, but its parent's stream could not be told: ${(failure as Error).message}`,
        { cause: failure },
      );
    }
  }

  /**
   * A deleted node's stream ends after what was published on it (an end record its followers
   * take for the deletion), its pending writes are applied, and its log closed.
   */
  async #retire(id: number): Promise<void> {
    const log = this.#logs.get(id);
    if (log) {
      await this.#ending.get(id)?.catch(() => {});
      if (!log.ended) await log.append(() => new Uint8Array(0), { end: true }).catch(() => {});
      await log.applied().catch(() => {});
      await log.close().catch(() => {});
      this.#logs.delete(id);
    }
    this.#data.delete(id);
  }

  /**
   * A deletion noted before a crash, its nodes already removed by the catalog: the parent's
   * followers are told unless they were (a `container-child-deleted` of the key logged after the
   * sequence the parent's stream had reached when the deletion was noted).
   */
  async #tellDeletionAgain(deletion: Deletion): Promise<void> {
    const parent = this.catalog.get(deletion.parentId);
    if (!parent) return;
    const log = this.log(parent);
    if (log.ended) return;
    const after = Number(deletion.note.after) || 0;
    for (const record of log.records(after + 1)) {
      if (record.end || record.transient) continue;
      const m = decode(record.bytes) as { type?: unknown; key?: unknown };
      if (m.type === "container-child-deleted" && m.key === deletion.key) return;
    }
    await log.append((sequence) => childDeleted(stamp(sequence), deletion.key));
  }

  /** Applies logged writes to the node's data (node-data.ts). */
  async #apply(node: DatasetNode, records: readonly LogRecord[]): Promise<void> {
    const data = this.#data.get(node.id);
    if (data) await applyRecords(data, this.catalog.dir(node), records);
  }

  /**
   * Drops the node's oldest log files past retention (NodeLog.trimmable): the data files are made
   * durable first, so they hold for good what the dropped records held.
   */
  async #trim(node: DatasetNode): Promise<void> {
    const log = this.#logs.get(node.id);
    const retention = { bytes: this.#options.retainLogBytes ?? 0, ms: this.#options.retainLogMs ?? 0 };
    if (!log || this.#trimming.has(node.id) || log.trimmable(log.settled, retention) === 0) return;
    this.#trimming.add(node.id);
    try {
      const settled = log.settled;
      const data = this.#data.get(node.id);
      if (data) await syncData(data);
      if (!this.isDeleted(node)) log.trim(log.trimmable(settled, retention));
    } catch {
      // Nothing dropped (or not all): tried again when more is settled.
    } finally {
      this.#trimming.delete(node.id);
    }
  }

  /** Opens an array's or a table's data, applying what its log holds past what was applied (node-data.ts). */
  async #recover(node: DatasetNode): Promise<void> {
    this.#data.set(node.id, await openData(node, this.catalog.dir(node), this.log(node), this.#hdf5));
    // Files past the replay window's age go now, not only once the node is written to again.
    void this.#trim(node);
  }
}

/** A RangeError (what is wrong with a request) as the store's error; anything else as it is. */
function storeError(e: unknown): unknown {
  if (!(e instanceof RangeError)) return e;
  return new BeamgateError(
    e instanceof ShapeConflict ? "BG_ERR_DATASET_CONFLICT" : "BG_ERR_DATASET_INVALID",
    e.message,
  );
}

function notFound(node: DatasetNode): BeamgateError {
  return new BeamgateError("BG_ERR_DATASET_NOT_FOUND", `No such entry: ${node.path || "/"}`);
}
