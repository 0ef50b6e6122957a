/**
 * One principal's access as seen from one connection (or one REST request): the policy asked with
 * its identity, the topics it holds (so a rules change can withdraw them), and its writes audited.
 */
import type { AccessCheck, Action, PutOutcome } from "../core/scoped-hub.js";
import { BeamgateError } from "../errors.js";
import type { AuditLog } from "./audit.js";
import type { Policy } from "./policy.js";
import type { Principal } from "./principal.js";

/** Where a connection or request comes from: for limits, the audit log and refusal messages. */
export interface Client {
  /** The client's address (the proxy's client when the proxy is trusted). */
  readonly address: string;
  /** The path it reached, e.g. `/api/v1/pv-socket`. */
  readonly endpoint: string;
}

interface Hold {
  readonly uri: string;
  readonly withdraw: (error: BeamgateError) => void;
}

export class Access implements AccessCheck {
  readonly principal: Principal;
  readonly client: Client;
  readonly #policy: Policy;
  readonly #audit: AuditLog;
  readonly #holds = new Set<Hold>();
  /** Ends the connection: set by the transport, called when the credentials stop being valid. */
  onRevoked: ((error: BeamgateError) => void) | undefined;

  constructor(principal: Principal, client: Client, policy: Policy, audit: AuditLog) {
    this.principal = principal;
    this.client = client;
    this.#policy = policy;
    this.#audit = audit;
  }

  may(action: Action, uri: string): boolean {
    return this.#policy.may(this.principal, action, uri);
  }

  require(action: Action, uri: string): void {
    if (!this.may(action, uri)) {
      throw new BeamgateError("BG_ERR_AUTH_FORBIDDEN", this.#policy.why(this.principal, action, uri));
    }
  }

  hold(uri: string, withdraw: (error: BeamgateError) => void): () => void {
    const hold = { uri, withdraw };
    this.#holds.add(hold);
    return () => this.#holds.delete(hold);
  }

  audit(outcome: PutOutcome): void {
    this.#audit.write({
      principal: this.principal.name,
      client: this.client.address,
      endpoint: this.client.endpoint,
      ...outcome,
      action: outcome.action ?? "put",
    });
  }

  /** After a rules change: every held topic no longer readable is withdrawn, with the reason. */
  recheck(): void {
    for (const hold of [...this.#holds]) {
      if (this.may("read", hold.uri)) continue;
      this.#holds.delete(hold);
      const why = this.#policy.why(this.principal, "read", hold.uri);
      hold.withdraw(new BeamgateError("BG_ERR_AUTH_FORBIDDEN", `Access withdrawn: ${why}`));
    }
  }

  /** The credentials behind this access stopped being valid (expired, revoked): end the connection. */
  revoke(error: BeamgateError): void {
    this.onRevoked?.(error);
  }

  /** The connection ended: nothing is held any more. */
  release(): void {
    this.#holds.clear();
  }
}
