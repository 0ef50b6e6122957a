/** How a wire protocol plugs into the server: it checks upgrade requests and takes over connections. */
import type { IncomingMessage } from "node:http";
import type { Connection } from "./connection.js";

export interface Refusal {
  readonly status: number;
  readonly message: string;
}

/** One live connection of a protocol: it receives the inbound messages. */
export interface Session {
  onMessage(data: Buffer, isBinary: boolean): void;
  /** The socket closed (either side); release everything the session holds. */
  onClose(): void;
}

export interface ProtocolAdapter {
  /** The request path the protocol is served at, e.g. `/ws`. */
  readonly path: string;
  /** A short description for the index page. */
  readonly description: string;
  /** Inspects the upgrade request; a refusal is answered as plain HTTP before any upgrade. */
  check?(url: URL, request: IncomingMessage): Refusal | undefined;
  accept(connection: Connection, url: URL, request: IncomingMessage): Session;
}
