/**
 * The dataset catalog: a tree of nodes (containers, arrays, tables) with their metadata, specs,
 * data sources and access blob, as Tiled describes them. Each node is a directory
 * `<dir>/nodes/<id>/` holding `node.json` (replaced atomically) beside its data and stream log;
 * the root container is implicit. Paths are keys joined by `/`; the root's path is "".
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
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

/** A key: what Tiled allows in a path segment, bounded. */
export const KEY_PATTERN = /^(?!\.{1,2}$)[^/\u0000-\u001f]{1,255}$/;

export class Catalog {
  readonly #dir: string;
  readonly #byId = new Map<number, DatasetNode>();
  readonly #byPath = new Map<string, DatasetNode>();
  readonly #children = new Map<number, DatasetNode[]>();
  #nextId = 1;
  /** What could not be loaded at start (left on disk, not served). */
  readonly problems: string[] = [];

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(join(dir, "nodes"), { recursive: true });
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

  /** Replaces a node's metadata (and specs, if given), one revision later. */
  update(node: DatasetNode, metadata: Record<string, unknown>, specs?: readonly Spec[]): DatasetNode {
    const next: DatasetNode = {
      ...node,
      metadata,
      ...(specs ? { specs } : {}),
      revision_number: node.revision_number + 1,
    };
    this.#persist(next);
    this.#index(next);
    return next;
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
