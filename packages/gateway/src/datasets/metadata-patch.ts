/**
 * Patches of a node's JSON documents (metadata, specs, access blob), as Tiled's
 * `PATCH /api/v1/metadata/{path}` takes them: RFC 6902 JSON Patch (`application/json-patch+json`,
 * applied by the rfc6902 library; decision 017) and RFC 7396 JSON Merge Patch
 * (`application/merge-patch+json`, written here). Both are pure: the document given is never
 * changed, a new one is returned. A JSON Patch is all or nothing: one operation that fails
 * (a `test` that does not hold, a path that is not there) fails the whole patch, a `PatchError`.
 */
import { applyPatch, type Operation } from "rfc6902";

export const JSON_PATCH = "application/json-patch+json";
export const MERGE_PATCH = "application/merge-patch+json";
export const PATCH_CONTENT_TYPES = [JSON_PATCH, MERGE_PATCH] as const;

/** A patch that is malformed or does not apply; the message says which operation and why. */
export class PatchError extends RangeError {
  override readonly name = "PatchError";
}

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);
/**
 * rfc6902 steps over these tokens when it walks a pointer (its guard against prototype
 * pollution), which would silently patch another place: a path through one is refused.
 */
const UNSAFE_TOKENS = new Set(["__proto__", "constructor", "prototype"]);

/** Checks `ops` is a JSON Patch (a list of well-formed operations) and returns it typed. */
export function parseJsonPatch(ops: unknown, what: string): Operation[] {
  if (!Array.isArray(ops)) throw new PatchError(`${what}: a JSON Patch is a list of operations`);
  return ops.map((op: unknown, i) => {
    const where = `${what}: operation ${i}`;
    if (typeof op !== "object" || op === null || Array.isArray(op)) throw new PatchError(`${where} is not an object`);
    const { op: name, path, from } = op as Record<string, unknown>;
    if (typeof name !== "string" || !OPS.has(name)) {
      throw new PatchError(`${where}: "op" must be one of ${[...OPS].join(", ")}, not ${JSON.stringify(name)}`);
    }
    checkPointer(`${where} (${name}) "path"`, path);
    if (name === "move" || name === "copy") checkPointer(`${where} (${name}) "from"`, from);
    if ((name === "add" || name === "replace" || name === "test") && !("value" in op)) {
      throw new PatchError(`${where} (${name} ${path}) has no "value"`);
    }
    return op as Operation;
  });
}

function checkPointer(where: string, pointer: unknown): asserts pointer is string {
  if (typeof pointer !== "string" || (pointer !== "" && !pointer.startsWith("/"))) {
    throw new PatchError(`${where} must be a JSON Pointer ("" or starting with "/"), not ${JSON.stringify(pointer)}`);
  }
  const tokens = pointer.split("/").slice(1, -1);
  if (pointer.split("/").includes("__proto__") || tokens.some((t) => UNSAFE_TOKENS.has(t))) {
    throw new PatchError(`${where} ${pointer}: paths through __proto__, constructor or prototype are not supported`);
  }
}

/**
 * `doc` with the JSON Patch `ops` applied (`doc` is not changed). Throws a PatchError naming the
 * first operation that failed. The root (`""`) may be replaced, added or tested, as RFC 6902 allows.
 */
export function applyJsonPatch(doc: unknown, ops: readonly Operation[], what: string): unknown {
  // rfc6902 patches in place and cannot replace the object it is given: patch a box holding a copy.
  const box: { doc: unknown } = { doc: structuredClone(doc) };
  const boxed = ops.map((op) => {
    const moved = { ...op, path: `/doc${op.path}` };
    if ("from" in op) Object.assign(moved, { from: `/doc${op.from}` });
    return moved as Operation;
  });
  let results: ReturnType<typeof applyPatch>;
  try {
    results = applyPatch(box, boxed);
  } catch (e) {
    throw new PatchError(`${what}: ${(e as Error).message.replaceAll("/doc", "")}`);
  }
  const failed = results.findIndex((r) => r !== null);
  if (failed >= 0) {
    const op = ops[failed] as Operation;
    const reason = (results[failed] as Error).message.replaceAll("/doc", "");
    throw new PatchError(`${what}: operation ${failed} (${op.op} ${op.path}) failed: ${reason}`);
  }
  if (box.doc === undefined) throw new PatchError(`${what}: the patch removes the whole document`);
  return box.doc;
}

/**
 * RFC 7396: `patch` merged into `target` (neither is changed). An object patch sets its members
 * recursively, `null` members removing theirs; any other patch (a list, a string, ...) replaces
 * the target whole.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else {
      // A key "__proto__" is a member like any other (JSON.parse makes it one), not the prototype.
      Object.defineProperty(out, key, {
        value: applyMergePatch(Object.hasOwn(out, key) ? out[key] : undefined, value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return out;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
