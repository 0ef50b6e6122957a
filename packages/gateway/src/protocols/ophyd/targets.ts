/**
 * What an ophyd socket addresses, and how it words its answers: PVs on pv-socket, registry devices
 * on device-socket. The session (`session.ts`) is the same for both.
 */
import type { TargetKeys } from "./client-message.js";
import type { Subject } from "./frames.js";

/** One signal behind a name: the topic it reads and which frames the client gets. */
export interface SignalSpec {
  readonly subject: Subject;
  readonly topic: string;
  readonly frames: "all" | "meta" | "none";
  readonly writable: boolean;
}

export interface Resolved {
  readonly signals: readonly SignalSpec[];
  /** Index of the signal a `set` writes, or why the name cannot be set. */
  readonly setpoint: number | { readonly error: string };
}

/** A name that cannot be subscribed: the error, and extra keys for the single form's error frame. */
export interface Unresolved {
  readonly error: string;
  readonly listError: string;
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface Targets {
  readonly keys: TargetKeys;
  /** The signals behind a name, or why there are none; `identity` tells a redefinition apart. */
  resolve(name: string): (Resolved & { readonly identity: unknown }) | Unresolved;
  readonly words: Wording;
}

/** The texts that differ between the two sockets. */
export interface Wording {
  readonly noun: "PV" | "device";
  subscribed(name: string): string;
  readonly refreshed: string;
  readonly noNames: string;
  readonly noName: string;
  notSubscribed(name: string): string;
  /** The answer to a completed set: none on pv-socket. */
  setDone(name: string, value: string): Record<string, unknown> | undefined;
}

export const isUnresolved = (r: ReturnType<Targets["resolve"]>): r is Unresolved => "error" in r;
