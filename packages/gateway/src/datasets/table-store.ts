/**
 * The stored data of one dataset table node: one Arrow IPC file per partition
 * (`partition-<n>.arrow`, the file format other Arrow tools open as it is) beside `table.json`
 * (the table's structure), in the node's `table/` directory, read and written through
 * apache-arrow.
 *
 * It speaks Tiled's terms: the `TableStructure` of Tiled's catalog (`arrow_schema` as a data URI,
 * `npartitions`, `columns`, `resizable`) and the operations behind its routes (`PUT table/full`,
 * `PUT table/partition?partition=`, `PATCH table/partition?partition=` to append rows,
 * `GET table/full|partition?column=`). Data crosses this boundary as Arrow IPC files.
 *
 * Every file is replaced whole (temporary file, then rename: storage/file-replacer.ts), so none is
 * ever torn. Nothing is fsynced on the way: the caller keeps a write-ahead log, applies its records
 * again after a crash, and calls `sync()` before it drops any of that log. Each
 * partition file names, in its schema's metadata, the sequence of the last record applied to it,
 * so applying a record again is a no-op: an append (not idempotent by itself) is never doubled.
 * An append does not decode the rows already stored: the file's record batch messages are copied
 * as bytes and the new batches' messages added, with a new footer.
 *
 * Checks come before any write (`check`): the body must be an Arrow IPC file whose columns have
 * the table's names and types, in order (nullability and metadata aside), and a partition in
 * range. Writes run one at a time, in call order; a read beside a write sees a partition before
 * or after it.
 *
 * The Arrow details live beside it: arrow-schema.ts (the `arrow_schema` data URI), arrow-upload.ts
 * (decoding and checking an uploaded file), arrow-join.ts (joining batches) and arrow-file.ts (the
 * stored file's layout and sequence).
 */
import { mkdir, readdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { type Field, type RecordBatch, Schema, Table, tableToIPC } from "apache-arrow";
import { FileReplacer, TEMPORARY } from "../storage/file-replacer.js";
import { composeFile, footerOf, regionOfBatches, regionOfFile, sequenceOf, withSequence } from "./arrow-file.js";
import { joinBatches } from "./arrow-join.js";
import { parseArrowSchema, sameType } from "./arrow-schema.js";
import { type Column, checkData, decodeFile, readUpload, rebatch } from "./arrow-upload.js";

/** Tiled's table structure, as its catalog and client exchange it (its key order). */
export interface TableStructure {
  /** `data:application/vnd.apache.arrow.file;base64,<Arrow IPC schema>` */
  arrow_schema: string;
  npartitions: number;
  columns: string[];
  resizable: boolean | boolean[];
}

/**
 * A partition is kept to at most this many record batches: an append that would make more
 * joins them all into one (each batch costs its own message, block, and work at every read).
 */
export const MAX_BATCHES = 64;

/** At most this many partitions (a file each, made on first write). */
export const MAX_PARTITIONS = 10_000;

const STRUCTURE_FILE = "table.json";

export class TableStore {
  readonly #dir: string;
  readonly #structure: TableStructure;
  readonly #schema: Schema;
  #tail: Promise<void> = Promise.resolve();
  readonly #files: FileReplacer;

  private constructor(dir: string, structure: TableStructure, schema: Schema) {
    this.#dir = dir;
    this.#files = new FileReplacer(dir);
    this.#structure = structure;
    this.#schema = schema;
  }

  /**
   * Creates the table in `dir` (made if missing) with no rows. Whatever table was in `dir` is
   * replaced. The structure is checked (RangeError naming the problem): `arrow_schema` a data URI
   * of an Arrow IPC schema with at least one column, unique column names and types this store
   * can append and show as JSON (dictionary, union, view and interval types are refused);
   * `columns` names of the schema's columns; `npartitions` from 1 to MAX_PARTITIONS.
   */
  static async create(dir: string, structure: TableStructure): Promise<TableStore> {
    const schema = parseArrowSchema(structure.arrow_schema);
    const { npartitions, columns, resizable } = structure;
    if (!Number.isSafeInteger(npartitions) || npartitions < 1 || npartitions > MAX_PARTITIONS) {
      throw new RangeError(`table npartitions must be an integer from 1 to ${MAX_PARTITIONS}, not ${npartitions}`);
    }
    const names = new Set(schema.fields.map((f) => f.name));
    if (!Array.isArray(columns) || columns.some((c) => typeof c !== "string" || !names.has(c))) {
      throw new RangeError(
        `table columns must name columns of the arrow_schema (${[...names].join(", ")}), not ${JSON.stringify(columns)}`,
      );
    }
    const ok =
      typeof resizable === "boolean" || (Array.isArray(resizable) && resizable.every((r) => r === true || r === false));
    if (!ok) throw new RangeError("table resizable must be a boolean or a list of booleans");
    const kept: TableStructure = {
      arrow_schema: structure.arrow_schema,
      npartitions,
      columns: [...columns],
      resizable: Array.isArray(resizable) ? [...resizable] : resizable,
    };
    await mkdir(dir, { recursive: true });
    const store = new TableStore(dir, kept, schema);
    await store.#removeFiles((name) => TEMPORARY.test(name) || /^partition-\d+\.arrow$/.test(name));
    await store.#replace(STRUCTURE_FILE, new TextEncoder().encode(JSON.stringify(kept, null, 2)));
    return store;
  }

  /** Opens the table in `dir` as `create` and later writes left it; clears temporaries a crash left. */
  static async open(dir: string): Promise<TableStore> {
    let structure: TableStructure;
    try {
      structure = JSON.parse(await readFile(join(dir, STRUCTURE_FILE), "utf8")) as TableStructure;
    } catch (e) {
      throw new Error(`no table in ${dir} (${STRUCTURE_FILE}: ${(e as Error).message})`);
    }
    const store = new TableStore(dir, structure, parseArrowSchema(structure.arrow_schema));
    await store.#removeFiles((name) => TEMPORARY.test(name));
    return store;
  }

  get dir(): string {
    return this.#dir;
  }

  /** The structure, as created (Tiled's key order). */
  get structure(): TableStructure {
    const s = this.#structure;
    return {
      arrow_schema: s.arrow_schema,
      npartitions: s.npartitions,
      columns: [...s.columns],
      resizable: Array.isArray(s.resizable) ? [...s.resizable] : s.resizable,
    };
  }

  /** The table's Arrow schema (from `arrow_schema`). */
  get schema(): Schema {
    return this.#schema;
  }

  /**
   * Checks a write of `bytes` to `partition` without writing: RangeError unless the partition is
   * in range and `bytes` is an Arrow IPC file whose columns match the table's. Returns its row count.
   */
  check(partition: number, bytes: Uint8Array): number {
    this.#checkPartition(partition);
    return this.#batchesOf(bytes).reduce((n, b) => n + b.numRows, 0);
  }

  /** The sequence of the last record applied to `partition` (0: none). */
  async sequenceOf(partition: number): Promise<number> {
    this.#checkPartition(partition);
    const file = await this.#readPartition(partition);
    return file ? sequenceOf(footerOf(file).schema) : 0;
  }

  /**
   * Replaces `partition` with the rows of `bytes` (an Arrow IPC file, checked again), as the
   * record `sequence`. A record already applied (`sequence` not above the partition's) changes
   * nothing. Returns whether it was applied.
   */
  write(partition: number, bytes: Uint8Array, sequence: number): Promise<boolean> {
    return this.#apply(partition, bytes, sequence, false);
  }

  /** Appends the rows of `bytes` to `partition`, as the record `sequence` (see `write`). */
  append(partition: number, bytes: Uint8Array, sequence: number): Promise<boolean> {
    return this.#apply(partition, bytes, sequence, true);
  }

  /**
   * An Arrow IPC file of the table's rows: one partition, or all of them in order (`partition`
   * undefined), with only the `columns` named (in that order; all when undefined). Its schema is
   * the table's (the selection's fields), metadata included. An unknown column or a partition out
   * of range is a RangeError.
   */
  async read(partition?: number, columns?: readonly string[]): Promise<Uint8Array> {
    const partitions =
      partition === undefined
        ? Array.from({ length: this.#structure.npartitions }, (_, i) => i)
        : [this.#checkPartition(partition)];
    const selected = columns === undefined ? undefined : this.#select(columns);
    const files = await Promise.all(partitions.map((p) => this.#readPartition(p)));
    if (selected === undefined) {
      // No decoding: the stored batch messages are copied under the table's own schema.
      return composeFile(
        this.#schema,
        files.flatMap((f) => (f ? [regionOfFile(f)] : [])),
      );
    }
    const schema = new Schema(
      selected.map((i) => this.#schema.fields[i] as Field),
      this.#schema.metadata,
    );
    const batches = files.flatMap((f) =>
      f
        ? decodeFile(f).batches.map((b) =>
            rebatch(
              schema,
              b,
              selected.map((i) => b.data.children[i] as Column),
            ),
          )
        : [],
    );
    return tableToIPC(new Table(schema, batches.length > 1 ? [joinBatches(schema, batches)] : batches), "file");
  }

  #checkPartition(partition: number): number {
    const n = this.#structure.npartitions;
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= n) {
      throw new RangeError(`partition ${partition} is out of range: the table has ${n} partition${n === 1 ? "" : "s"}`);
    }
    return partition;
  }

  /** Indices of the named columns, in the order named (duplicates dropped). */
  #select(columns: readonly string[]): number[] {
    const out: number[] = [];
    for (const name of columns) {
      const i = this.#schema.fields.findIndex((f) => f.name === name);
      if (i < 0) throw new RangeError(`No such field ${name}.`);
      if (!out.includes(i)) out.push(i);
    }
    return out;
  }

  /** The record batches of an uploaded file, checked against the table and wrapped in its schema. */
  #batchesOf(bytes: Uint8Array): RecordBatch[] {
    const table = readUpload(bytes);
    const theirs = table.schema.fields;
    const ours = this.#schema.fields;
    const describe = (fields: readonly Field[]) => fields.map((f) => `${f.name}: ${f.type}`).join(", ");
    const mismatch = () =>
      new RangeError(
        `The batch's schema does not match the table's: it has (${describe(theirs)}), the table (${describe(ours)})`,
      );
    if (theirs.length !== ours.length) throw mismatch();
    for (let i = 0; i < ours.length; i++) {
      const a = ours[i] as Field;
      const b = theirs[i] as Field;
      if (a.name !== b.name || !sameType(a.type, b.type)) throw mismatch();
    }
    return table.batches.map((batch) => {
      batch.data.children.forEach((child, i) => {
        checkData(child, (ours[i] as Field).name);
      });
      return rebatch(this.#schema, batch, batch.data.children);
    });
  }

  #apply(partition: number, bytes: Uint8Array, sequence: number, append: boolean): Promise<boolean> {
    return this.#exclusive(async () => {
      this.#checkPartition(partition);
      const batches = this.#batchesOf(bytes);
      const old = await this.#readPartition(partition);
      if (old && sequence <= sequenceOf(footerOf(old).schema)) return false;
      const schema = withSequence(this.#schema, sequence);
      const kept = append && old ? regionOfFile(old) : undefined;
      let file: Uint8Array;
      if (kept && kept.blocks.length + batches.length > MAX_BATCHES) {
        // Joined into one batch: decoded once here, so appends and reads stay cheap after.
        const all = [...decodeFile(old as Uint8Array).batches, ...batches];
        file = composeFile(schema, [regionOfBatches(schema, [joinBatches(schema, all)])]);
      } else {
        const added = regionOfBatches(schema, batches);
        file = composeFile(schema, kept ? [kept, added] : [added]);
      }
      await this.#replace(partitionFile(partition), file);
      return true;
    });
  }

  async #readPartition(partition: number): Promise<Uint8Array | undefined> {
    try {
      const bytes = await readFile(join(this.#dir, partitionFile(partition)));
      // A buffer of its own (aligned), not a view into Node's pool.
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? new Uint8Array(bytes.buffer, 0, bytes.byteLength)
        : new Uint8Array(bytes);
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return undefined;
      throw e;
    }
  }

  /** Replaces `name` in the directory whole: a temporary file, then a rename over it. */
  #replace(name: string, bytes: Uint8Array): Promise<void> {
    return this.#files.replace(join(this.#dir, name), bytes);
  }

  /** Makes every file written so far durable (see FileReplacer.sync). */
  sync(): Promise<void> {
    return this.#files.sync();
  }

  async #removeFiles(which: (name: string) => boolean): Promise<void> {
    const names = await readdir(this.#dir);
    await Promise.all(names.filter(which).map((n) => unlink(join(this.#dir, n)).catch(() => {})));
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.then(
      () => {},
      () => {},
    );
    return run;
  }
}

function partitionFile(partition: number): string {
  return `partition-${partition}.arrow`;
}
