/**
 * The hub as one principal sees it: what protocol adapters are given. Every subscription is
 * checked for read access and every put for write access on the topic's canonical URI, before the
 * hub opens anything; puts are audited, and subscriptions are held so that a rules change can
 * withdraw them. The checks themselves live in `security/` behind `AccessCheck`.
 */
import { asBeamgateError, type BeamgateError } from "../errors.js";
import type { Hub, SubscribeOptions } from "./hub.js";
import type { Subscriber, Subscription } from "./subscription.js";

export type Action = "read" | "write";

/** The outcome of a put as the audit log records it. */
export interface PutOutcome {
  readonly topic: string;
  readonly value: unknown;
  /** `ok`, or the error code. */
  readonly result: string;
  /** What was written: `put` unless said otherwise. */
  readonly action?: string;
}

export interface AccessCheck {
  /** Throws BG_ERR_AUTH_FORBIDDEN unless the principal may do `action` on `uri`. */
  require(action: Action, uri: string): void;
  /** Keeps `uri` under watch while it is read; `withdraw` is called if the rules stop allowing it. Returns the release. */
  hold(uri: string, withdraw: (error: BeamgateError) => void): () => void;
  /** Records a write (allowed or not). */
  audit(outcome: PutOutcome): void;
}

export class ScopedHub {
  readonly #hub: Hub;
  readonly #access: AccessCheck;

  constructor(hub: Hub, access: AccessCheck) {
    this.#hub = hub;
    this.#access = access;
  }

  get schemes(): string[] {
    return this.#hub.schemes;
  }

  subscribe(name: string, subscriber: Subscriber, options: SubscribeOptions = {}): Subscription {
    const uris = this.#allowed("read", name);
    // The name as given, not the URI: `loc://x(5)` carries an initial value its URI does not.
    const subscription = this.#hub.subscribe(name, subscriber, options);
    if (!subscription.closed) subscription.onClosed = this.#holdAll(uris, (e) => subscription.revoke(e));
    return subscription;
  }

  /**
   * Throws BG_ERR_AUTH_FORBIDDEN unless the principal may do `action` on the topic; returns its
   * canonical URI. A refused write is audited like a refused put.
   */
  require(action: Action, name: string): string {
    return this.#allowed(action, name)[0] as string;
  }

  /** Whether the principal may do `action` on the topic (false for a malformed name too). */
  may(action: Action, name: string): boolean {
    try {
      for (const uri of this.#hub.policyUris(name)) this.#access.require(action, uri);
      return true;
    } catch {
      return false;
    }
  }

  /** Whether the principal may do `action` on one of the gateway's own objects (named as given; not audited). */
  mayOwn(action: Action, uri: string): boolean {
    try {
      this.#access.require(action, uri);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * `require` for the gateway's own objects, which are not hub topics and are named as given
   * (`admin://load-devices`); a refused write is audited, an allowed one is audited as done.
   */
  requireOwn(action: Action, uri: string): void {
    this.#check(action, uri);
    if (action === "write") this.#access.audit({ action: "write", topic: uri, value: undefined, result: "ok" });
  }

  /** The topic's policy URIs (its own first), each checked. */
  #allowed(action: Action, name: string): string[] {
    const uris = this.#hub.policyUris(name);
    for (const uri of uris) this.#check(action, uri);
    return uris;
  }

  /** Holds every URI; the returned release lets go of all. */
  #holdAll(uris: readonly string[], withdraw: (error: BeamgateError) => void): () => void {
    const releases = uris.map((uri) => this.#access.hold(uri, withdraw));
    return () => {
      for (const release of releases) release();
    };
  }

  #check(action: Action, uri: string): void {
    try {
      this.#access.require(action, uri);
    } catch (e) {
      const result = asBeamgateError(e, "BG_ERR_AUTH_FORBIDDEN").code;
      if (action === "write") this.#access.audit({ action: "write", topic: uri, value: undefined, result });
      throw e;
    }
  }

  /**
   * Checks read access to a topic that is read on this principal's behalf through a shared
   * subscription (camera feeds), and holds it: `withdraw` is called if access is withdrawn.
   * Returns the canonical URI and the release.
   */
  watch(name: string, withdraw: (error: BeamgateError) => void): { uri: string; release: () => void } {
    const uris = this.#allowed("read", name);
    return { uri: uris[0] as string, release: this.#holdAll(uris, withdraw) };
  }

  /** `watch` for the gateway's own objects, named as given (`dataset://raw/x`). */
  watchOwn(uri: string, withdraw: (error: BeamgateError) => void): () => void {
    this.#check("read", uri);
    return this.#access.hold(uri, withdraw);
  }

  async put(name: string, value: unknown, timeoutMs: number): Promise<void> {
    let uri = name;
    try {
      const uris = this.#hub.policyUris(name);
      uri = uris[0] as string;
      for (const u of uris) this.#access.require("write", u);
      await this.#hub.put(name, value, timeoutMs);
      this.#access.audit({ topic: uri, value, result: "ok" });
    } catch (e) {
      const error = asBeamgateError(e, "BG_ERR_PUT_FAILED");
      this.#access.audit({ topic: uri, value, result: error.code });
      throw error;
    }
  }
}
