/** Parameters and bodies of Tiled's routes, checked: each problem a BG_ERR_DATASET_INVALID naming it. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { DatasetStore } from "../../datasets/datasets.js";
import { BeamgateError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Access } from "../../security/access.js";
import { readBody } from "../../transport/json-body.js";

export async function octetBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return typedBody(req, maxBytes, "application/octet-stream");
}

/** The body, if its Content-Type is `type` (parameters aside); 400 otherwise. */
export async function typedBody(req: IncomingMessage, maxBytes: number, type: string): Promise<Uint8Array> {
  const given = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (given !== type) {
    throw new BeamgateError("BG_ERR_DATASET_INVALID", `Content-Type must be ${type}, not "${given ?? ""}"`);
  }
  return readBody(req, maxBytes);
}

export function parse<T>(schema: z.ZodType<T>, value: unknown, what = "body"): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.join(".");
  throw new BeamgateError(
    "BG_ERR_DATASET_INVALID",
    `${what === "body" ? where || what : `${what}${where ? ` ${where}` : ""}`}: ${issue?.message}`,
  );
}

export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new BeamgateError("BG_ERR_DATASET_INVALID", `${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

export function boolParam(url: URL, name: string, fallback: boolean): boolean {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  throw new BeamgateError("BG_ERR_DATASET_INVALID", `${name} must be true or false`);
}

/** `1,2,3` (Tiled's `offset`, `shape`, `block`); "" is the empty list (a scalar's block). */
export function listParam(url: URL, name: string, required: boolean): number[] | undefined {
  const text = url.searchParams.get(name);
  if (text === null) {
    if (required) throw new BeamgateError("BG_ERR_DATASET_INVALID", `${name} is required`);
    return undefined;
  }
  if (text === "") return [];
  if (!/^\d+(,\d+)*$/.test(text)) throw new BeamgateError("BG_ERR_DATASET_INVALID", `${name} must be like 1,2,3`);
  return text.split(",").map(Number);
}

/** An answer with a status of Tiled's own (406, 422) where the catalogue's code has another. */
export class TiledStatusError extends BeamgateError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super("BG_ERR_DATASET_INVALID", message);
  }
}

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every(
      (k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

export interface TiledRoutesOptions {
  readonly store: DatasetStore;
  readonly log: Logger;
  /** Largest request body (an array write), bytes. */
  readonly maxBodyBytes: number;
  /** Whether clients need credentials (the server-info document says so). */
  readonly authenticationRequired: () => boolean;
}

/** `http://host/api/v1`, as the client reached us. */
export function baseOf(req: IncomingMessage): string {
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${tls ? "https" : "http"}://${req.headers.host ?? "localhost"}/api/v1`;
}

/** One request to a Tiled route: the options, the request and response, the caller's access, the node path. */
export interface RouteCall {
  readonly o: TiledRoutesOptions;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly access: Access;
  readonly path: string;
}
