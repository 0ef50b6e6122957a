/**
 * The API key store: the keys `beamgate keys` makes and the gateway checks, in one JSON file that
 * holds only a hash of each key's secret. A key reads `bg_<id>_<secret>`: the id finds the record
 * (it is no secret: logs and the `keys` command name it), the secret proves the holder.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  unwatchFile,
  watchFile,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { BeamgateError } from "../errors.js";
import { type Principal, SCOPES } from "./principal.js";
import { compileTopicPattern } from "./topic-pattern.js";

const PREFIX = "bg_";
const ID = /^[0-9a-f]{12}$/;
// 12 hex characters of id, then 32 random bytes in base64url (43 characters, which may hold `_`).
const KEY = /^bg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const WATCH_INTERVAL_MS = 500;

/** One key as the store keeps it. Times are ISO 8601 strings in UTC. */
export interface ApiKeyRecord {
  readonly id: string;
  /** SHA-256 of the secret, in hex. */
  readonly hash: string;
  readonly scopes: readonly string[];
  /** Topic patterns the key is limited to; absent: no limit beyond the rules. */
  readonly topics?: readonly string[];
  readonly expires: string | null;
  readonly note: string;
  readonly created: string;
  readonly revoked: string | null;
}

/** A key as shown to people: everything but the hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, "hash">;

export interface NewApiKey {
  readonly scopes: readonly string[];
  readonly topics?: readonly string[];
  /** When the key stops working, in ms since the epoch; absent: never. */
  readonly expiresAt?: number;
  readonly note?: string;
}

const isoTime = z.iso.datetime();
const RecordSchema = z
  .object({
    id: z.string().regex(ID),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    scopes: z.array(z.enum(SCOPES)),
    topics: z.array(z.string().min(1)).optional(),
    expires: isoTime.nullable(),
    note: z.string(),
    created: isoTime,
    revoked: isoTime.nullable(),
  })
  .strict();
const FileSchema = z
  .object({ version: z.literal(1), keys: z.array(RecordSchema) })
  .strict()
  .refine((f) => new Set(f.keys.map((k) => k.id)).size === f.keys.length, {
    message: "two keys have the same id",
    path: ["keys"],
  });

/** Whether `text` is meant as an API key (rather than a token): the check callers branch on. */
export function looksLikeApiKey(text: string): boolean {
  return text.startsWith(PREFIX);
}

export class ApiKeyStore {
  private keys: ApiKeyRecord[];

  private constructor(
    readonly path: string,
    keys: ApiKeyRecord[],
  ) {
    this.keys = keys;
  }

  /** Reads the store at `path`; a missing file is an empty store. */
  static open(path: string): ApiKeyStore {
    return new ApiKeyStore(path, readKeys(path));
  }

  /** Makes a key and saves it. `key` is the only copy of the secret: show it once. */
  create(spec: NewApiKey): { key: string; record: ApiKeyInfo } {
    const fields = validate(spec);
    const keys = readKeys(this.path);
    let id = randomBytes(6).toString("hex");
    while (keys.some((k) => k.id === id)) id = randomBytes(6).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const record: ApiKeyRecord = {
      id,
      hash: hashSecret(secret).toString("hex"),
      ...fields,
      created: new Date().toISOString(),
      revoked: null,
    };
    this.save([...keys, record]);
    return { key: `${PREFIX}${id}_${secret}`, record: withoutHash(record) };
  }

  list(): ApiKeyInfo[] {
    return this.keys.map(withoutHash);
  }

  /** Revokes key `id` (a key revoked before keeps its time); false when there is no such key. */
  revoke(id: string): boolean {
    const keys = readKeys(this.path);
    const i = keys.findIndex((k) => k.id === id);
    const key = keys[i];
    if (key?.revoked !== null) return key !== undefined;
    keys[i] = { ...key, revoked: new Date().toISOString() };
    this.save(keys);
    return true;
  }

  /**
   * The principal of `key`, or a BeamgateError. The secret is checked before the key's state, so
   * only its holder learns that a key is revoked or expired; no message quotes the key.
   */
  verify(key: string): Principal {
    const [, id, secret] = KEY.exec(key) ?? [];
    const record = this.keys.find((k) => k.id === id);
    if (!record || secret === undefined || !timingSafeEqual(hashSecret(secret), Buffer.from(record.hash, "hex"))) {
      throw new BeamgateError("BG_ERR_AUTH_INVALID", "Invalid API key");
    }
    if (record.revoked !== null) throw new BeamgateError("BG_ERR_AUTH_REVOKED");
    const expiresAt = record.expires === null ? undefined : Date.parse(record.expires);
    if (expiresAt !== undefined && expiresAt <= Date.now()) {
      throw new BeamgateError("BG_ERR_AUTH_EXPIRED", "API key expired");
    }
    return {
      kind: "apikey",
      name: record.id,
      keyId: record.id,
      groups: [],
      scopes: record.scopes,
      ...(record.topics ? { topics: record.topics } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
  }

  /** Rereads the file; on error the keys read before stay. */
  reload(): void {
    this.keys = readKeys(this.path);
  }

  /**
   * Rereads the file whenever it changes and then calls `onChange`; a reread that fails keeps the
   * keys read before and goes to `onError`. Polling the path (not watching the inode) follows the
   * atomic renames that replace the file. Returns the function that stops watching.
   */
  watch(onChange: () => void, onError: (e: BeamgateError) => void): () => void {
    const changed = (now: Stats, before: Stats) => {
      // Reading the file may touch its access time; only new contents matter.
      if (now.mtimeMs === before.mtimeMs && now.ino === before.ino && now.size === before.size) return;
      try {
        this.reload();
      } catch (e) {
        onError(e as BeamgateError);
        return;
      }
      onChange();
    };
    watchFile(this.path, { interval: WATCH_INTERVAL_MS, persistent: false }, changed);
    return () => unwatchFile(this.path, changed);
  }

  /**
   * Saves `keys`, which the caller read from the file just before: what another process saved
   * since this store was opened is kept.
   */
  private save(keys: ApiKeyRecord[]): void {
    writeAtomically(this.path, `${JSON.stringify({ version: 1, keys }, null, 2)}\n`);
    this.keys = keys;
  }
}

// The secret is 256 random bits, so one fast hash is as strong as any: nobody can guess their way
// back from it. A slow password hash (scrypt, argon2) would only slow down every connection.
function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret, "ascii").digest();
}

function withoutHash(record: ApiKeyRecord): ApiKeyInfo {
  const { hash: _, ...info } = record;
  return info;
}

function validate(spec: NewApiKey): Pick<ApiKeyRecord, "scopes" | "topics" | "expires" | "note"> {
  const invalid = (message: string) => new BeamgateError("BG_ERR_CONFIG_INVALID", message);
  const known: readonly string[] = SCOPES;
  if (spec.scopes.length === 0) throw invalid("an API key needs at least one scope");
  for (const scope of spec.scopes) {
    if (!known.includes(scope)) throw invalid(`unknown scope '${scope}' (scopes: ${SCOPES.join(", ")})`);
  }
  // An empty list would read as "no limit" to the next reader, the opposite of what was asked.
  if (spec.topics?.length === 0) throw invalid("an API key's topic list must not be empty (leave it out for no limit)");
  for (const topic of spec.topics ?? []) {
    if (topic === "" || /\s/.test(topic)) throw invalid(`invalid topic pattern '${topic}'`);
    try {
      compileTopicPattern(topic);
    } catch (e) {
      throw invalid((e as Error).message);
    }
  }
  const expiresAt = spec.expiresAt;
  // NaN and times past the Date range (year 275760) fail both tests.
  if (expiresAt !== undefined && !(expiresAt > Date.now() && !Number.isNaN(new Date(expiresAt).getTime()))) {
    throw invalid("an API key's expiry must be a time in the future");
  }
  const note = spec.note ?? "";
  if (/[\u0000-\u001f\u007f]/.test(note)) throw invalid("an API key's note must be one line of text");
  return {
    scopes: SCOPES.filter((s) => spec.scopes.includes(s)),
    ...(spec.topics ? { topics: [...new Set(spec.topics)] } : {}),
    expires: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
    note,
  };
}

function readKeys(path: string): ApiKeyRecord[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new BeamgateError("BG_ERR_CONFIG_FILE", `cannot read API key file ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BeamgateError("BG_ERR_CONFIG_FILE", `API key file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const result = FileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    throw new BeamgateError("BG_ERR_CONFIG_FILE", `API key file ${path} is not a key store: ${where}${issue?.message}`);
  }
  return result.data.keys;
}

/**
 * Writes a temporary file beside `path`, readable by its owner only, flushes it to disk and renames
 * it over `path`: readers see the old file or the new one, never half of one.
 */
function writeAtomically(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(temp, "wx", 0o600);
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new BeamgateError("BG_ERR_CONFIG_FILE", `cannot write API key file ${path}: ${(e as Error).message}`);
  }
}
