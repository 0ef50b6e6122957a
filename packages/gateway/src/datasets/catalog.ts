/**
 * The dataset catalog: a tree of nodes (containers, arrays, tables) with their metadata, specs,
 * data sources and access blob, as Tiled describes them. Each node is a directory
 * `<dir>/nodes/<id>/` holding `node.json` (replaced atomically) beside its data and stream log;
 * the root container is implicit. Paths are keys joined by `/`; the root's path is "".
 *
 * Deleting a node (and its descendants) is one durable step, a note `<dir>/deleted/<id>.json`
 * naming every node it removes: once the note is on disk the nodes are gone, whatever happens
 * next. Their directories are removed after; a note still there at the next start has them
 * removed before anything is loaded, so a crash can neither bring a deleted node back nor leave
 * part of it visible.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { writeFileDurably } from "../storage/atomic-file.js";
import { syncDirectory } from "../storage/sync-directory.js";

export const STRUCTURE_FAMILIES = ["container", "array", "table"] as const;
export type StructureFamily = (typeof STRUCTURE_FAMILIES)[number];

export interface Spec {
  readonly name: string;
  readonly version: string | null;
}

export interface DatasetNode {
  /** Stable id, the node's directory name; 0 is the root. */
  readonly id: number;
  readonly parentId: number | null;
  readonly key: string;
  readonly path: string;
  readonly structure_family: StructureFamily;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly specs: readonly Spec[];
  readonly data_sources: readonly Readonly<Record<string, unknown>>[];
  readonly access_blob: Readonly<Record<string, unknown>>;
  readonly revision_number: number;
  readonly created: string;
}

export type NewNode = Pick<
  DatasetNode,
  "key" | "structure_family" | "metadata" | "specs" | "data_sources" | "access_blob"
>;

/** A deletion as noted on disk: the nodes it removes, and what its caller noted with it. */
export interface Deletion {
  /** The node deleted, then its descendants. */
  readonly ids: readonly number[];
  readonly parentId: number;
  readonly key: string;
  /** What the caller gave `delete` to find again after a crash. */
  readonly note: Readonly<Record<string, unknown>>;
}

/** A key: what Tiled allows in a path segment, bounded. */
export const KEY_PATTERN = /^(?!\.{1,2}$)[^/\u0000-\u001f]{1,255}$/;

export class Catalog {
  readonly #dir: string;
  readonly #byId = new Map<number, DatasetNode>();
  readonly #byPath = new Map<string, DatasetNode>();
  readonly #children = new Map<number, DatasetNode[]>();
  #nextId = 1;
  /** Deletions found noted at start (their nodes already removed), until `forget` is called. */
  readonly #pending = new Map<Deletion, string>();
  /** What could not be loaded at start (left on disk, not served). */
  readonly problems: string[] = [];

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(join(dir, "nodes"), { recursive: true });
    if (!existsSync(this.#deletedDir)) {
      mkdirSync(this.#deletedDir);
      syncDirectory(dir);
    }
    this.#finishDeletions();
    const root: DatasetNode = {
      id: 0,
      parentId: null,
      key: "",
      path: "",
      structure_family: "container",
      metadata: {},
      specs: [],
      data_sources: [],
      access_blob: {},
      revision_number: 0,
      created: new Date(0).toISOString(),
    };
    this.#index(root);
    const stored: DatasetNode[] = [];
    for (const name of readdirSync(join(dir, "nodes"))) {
      const file = join(dir, "nodes", name, "node.json");
      if (!/^\d+$/.test(name) || !existsSync(file)) continue;
      try {
        stored.push(JSON.parse(readFileSync(file, "utf8")) as DatasetNode);
      } catch (e) {
        this.problems.push(`node ${name}: ${(e as Error).message}`);
      }
      this.#nextId = Math.max(this.#nextId, Number(name) + 1);
    }
    // Parents have smaller ids than their children: index in id order.
    for (const node of stored.sort((a, b) => a.id - b.id)) {
      const parent = this.#byId.get(node.parentId ?? -1);
      if (!parent) {
        this.problems.push(`node ${node.id}: its parent ${node.parentId} is missing`);
        continue;
      }
      this.#index({ ...node, path: childPath(parent, node.key) });
    }
  }

  get root(): DatasetNode {
    return this.#byId.get(0) as DatasetNode;
  }

  /** The node with this id, if it exists (not deleted). */
  get(id: number): DatasetNode | undefined {
    return this.#byId.get(id);
  }

  /** Whether `node` still exists (it is not deleted), in whatever revision. */
  has(node: DatasetNode): boolean {
    return this.#byId.has(node.id);
  }

  /** The node's parent (undefined for the root and for a deleted node). */
  parent(node: DatasetNode): DatasetNode | undefined {
    return node.parentId === null || !this.has(node) ? undefined : this.#byId.get(node.parentId);
  }

  /** The node and every node beneath it, parents before their children. */
  subtree(node: DatasetNode): DatasetNode[] {
    const out = [node];
    for (let i = 0; i < out.length; i++) out.push(...this.children(out[i] as DatasetNode));
    return out;
  }

  /** The node at `path` ("" is the root; leading and trailing slashes are ignored). */
  find(path: string): DatasetNode | undefined {
    return this.#byPath.get(path.replace(/^\/+|\/+$/g, ""));
  }

  children(node: DatasetNode): readonly DatasetNode[] {
    return this.#children.get(node.id) ?? [];
  }

  /** The directory of a node's data and stream log. */
  dir(node: DatasetNode): string {
    return join(this.#dir, "nodes", String(node.id));
  }

  /** Creates a child of a container; throws an Error naming the problem (key taken, not a container). */
  create(parent: DatasetNode, input: NewNode): DatasetNode {
    if (!this.has(parent)) throw new Error(`No such entry: ${parent.path || "/"}`);
    if (parent.structure_family !== "container") throw new Error(`${parent.path || "/"} is not a container`);
    if (!KEY_PATTERN.test(input.key))
      throw new Error(`key "${input.key}": 1 to 255 characters, no "/", not "." or ".."`);
    if (this.#byPath.has(childPath(parent, input.key))) {
      throw new Error(`${childPath(parent, input.key)} already exists`);
    }
    const node: DatasetNode = {
      ...input,
      id: this.#nextId++,
      parentId: parent.id,
      path: childPath(parent, input.key),
      revision_number: 0,
      created: new Date().toISOString(),
    };
    mkdirSync(this.dir(node), { recursive: true });
    syncDirectory(join(this.#dir, "nodes"));
    this.#persist(node);
    this.#index(node);
    return node;
  }

  /**
   * Replaces a node's metadata (and specs, if given), one revision later, or in the same
   * revision with `dropRevision` (Tiled's `drop_revision`: the revision replaced is not kept).
   * Updates the node as it now is, whatever revision `node` is.
   */
  update(
    node: DatasetNode,
    metadata: Record<string, unknown>,
    specs?: readonly Spec[],
    options: { dropRevision?: boolean } = {},
  ): DatasetNode {
    const current = this.#byId.get(node.id);
    if (!current) throw new Error(`No such entry: ${node.path || "/"}`);
    const next: DatasetNode = {
      ...current,
      metadata,
      ...(specs ? { specs } : {}),
      revision_number: current.revision_number + (options.dropRevision ? 0 : 1),
    };
    this.#persist(next);
    this.#index(next);
    return next;
  }

  /**
   * Deletes a node and every node beneath it: notes the deletion durably (from then on they are
   * gone, even after a crash), then forgets them. Their directories stay until `purge`. `note` is
   * kept with the deletion for the caller (see `pendingDeletions`). Throws for the root or a node
   * already deleted.
   */
  delete(node: DatasetNode, note: Record<string, unknown> = {}): Deletion {
    if (node.parentId === null) throw new Error("The root cannot be deleted");
    if (!this.has(node)) throw new Error(`No such entry: ${node.path}`);
    const nodes = this.subtree(node);
    const deletion: Deletion = { ids: nodes.map((n) => n.id), parentId: node.parentId, key: node.key, note };
    writeFileDurably(this.#notePath(node.id), JSON.stringify(deletion));
    for (const n of nodes) {
      this.#byId.delete(n.id);
      this.#byPath.delete(n.path);
      this.#children.delete(n.id);
    }
    const siblings = this.#children.get(node.parentId) ?? [];
    this.#children.set(
      node.parentId,
      siblings.filter((n) => n.id !== node.id),
    );
    return deletion;
  }

  /** Removes a deletion's directories, then (with `forget`) its note. */
  async purge(deletion: Deletion, forget = true): Promise<void> {
    for (const id of deletion.ids) await rm(join(this.#dir, "nodes", String(id)), { recursive: true, force: true });
    if (forget) await unlink(this.#notePath(deletion.ids[0] as number)).catch(() => {});
  }

  /** Deletions noted before the last stop (their nodes are removed), until forgotten. */
  get pendingDeletions(): readonly Deletion[] {
    return [...this.#pending.keys()];
  }

  /** Drops the note of a deletion found at start, once the caller is done with it. */
  forget(deletion: Deletion): void {
    const file = this.#pending.get(deletion);
    if (file === undefined) return;
    this.#pending.delete(deletion);
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  }

  get #deletedDir(): string {
    return join(this.#dir, "deleted");
  }

  #notePath(id: number): string {
    return join(this.#deletedDir, `${id}.json`);
  }

  /** Removes what the deletions noted on disk remove (done before loading nodes), keeping the notes. */
  #finishDeletions(): void {
    for (const name of readdirSync(this.#deletedDir)) {
      const file = join(this.#deletedDir, name);
      if (!/^\d+\.json$/.test(name)) {
        // A note's temporary, never renamed into place: that deletion never happened.
        rmSync(file, { force: true });
        continue;
      }
      let deletion: Deletion;
      try {
        deletion = JSON.parse(readFileSync(file, "utf8")) as Deletion;
      } catch (e) {
        this.problems.push(`deletion ${name}: ${(e as Error).message}`);
        continue;
      }
      for (const id of deletion.ids) {
        rmSync(join(this.#dir, "nodes", String(id)), { recursive: true, force: true });
        this.#nextId = Math.max(this.#nextId, id + 1);
      }
      this.#nextId = Math.max(this.#nextId, deletion.parentId + 1);
      this.#pending.set(deletion, file);
    }
  }

  #persist(node: DatasetNode): void {
    const { path: _, ...stored } = node;
    writeFileDurably(join(this.dir(node), "node.json"), JSON.stringify(stored));
  }

  #index(node: DatasetNode): void {
    const previous = this.#byId.get(node.id);
    this.#byId.set(node.id, node);
    this.#byPath.set(node.path, node);
    if (node.parentId === null) return;
    const siblings = this.#children.get(node.parentId) ?? [];
    const i = previous ? siblings.indexOf(previous) : -1;
    if (i >= 0) siblings[i] = node;
    else siblings.push(node);
    this.#children.set(node.parentId, siblings);
  }
}

function childPath(parent: DatasetNode, key: string): string {
  return parent.path === "" ? key : `${parent.path}/${key}`;
}
