/** How a wire protocol plugs into the server: it checks upgrade requests and takes over connections. */
import type { IncomingMessage } from "node:http";
import type { BeamgateError } from "../errors.js";
import type { Access } from "../security/access.js";
import type { Connection } from "./connection.js";

export interface Refusal {
  readonly status: number;
  readonly message: string;
}

/** One live connection of a protocol: it receives the inbound messages. */
export interface Session {
  onMessage(data: Buffer, isBinary: boolean): void;
  /** A message was refused before it reached the session (rate limit): tell the client, in the protocol's own form. */
  refuse(error: BeamgateError): void;
  /** The socket closed (either side); release everything the session holds. */
  onClose(): void;
}

export interface ProtocolAdapter {
  /**
   * The request path the protocol is served at, e.g. `/ws`; a `*` segment matches any one segment,
   * and a last `**` segment whatever follows (`/api/v1/stream/single/**`).
   */
  readonly path: string;
  /** A WebSocket subprotocol the client must offer (406 otherwise); it is the one echoed. */
  readonly subprotocol?: string;
  /** The HTTP status of a plain (not upgrade) request to the path: 426 unless the protocol says otherwise. */
  readonly notUpgradeStatus?: number;
  /** A short description for the index page. */
  readonly description: string;
  /** Whether `?access_token=` may carry the credentials (only where Tiled compatibility needs it: URLs get logged). */
  readonly queryToken?: boolean;
  /** Inspects the upgrade request; a refusal is answered as plain HTTP before any upgrade. */
  check?(url: URL, request: IncomingMessage): Refusal | undefined;
  /** Checks that the principal may use the endpoint at all (throws BG_ERR_AUTH_FORBIDDEN); most check per topic instead. */
  authorize?(access: Access): void;
  /** Takes over an authenticated connection; every topic it reads or writes goes through `access`. */
  accept(connection: Connection, url: URL, request: IncomingMessage, access: Access): Session;
}
