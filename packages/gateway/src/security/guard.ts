/**
 * The security of a running gateway in one place: who a client is (the authenticator), what it
 * may do (the policy, reloaded without dropping connections), what was written (the audit log),
 * and the live accesses a reload or a revocation must reach. Transport and adapters plug into it.
 */
import type { Config } from "../config/schema.js";
import { BeamgateError } from "../errors.js";
import type { Logger } from "../log.js";
import { Access, type Client } from "./access.js";
import { ApiKeyStore } from "./api-keys.js";
import { AuditLog } from "./audit.js";
import { Authenticator } from "./authenticator.js";
import { servesOnlyThisMachine } from "./exposure.js";
import { JwtVerifier, jwtConfigured } from "./jwt.js";
import { defaultRules, loadRulesFile, Policy, watchRulesFile } from "./policy.js";
import type { Principal } from "./principal.js";
import { parseRules, type Rule } from "./rules.js";

/** Node's timers overflow past 2^31-1 ms; a later expiry is re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Guard {
  readonly authenticator: Authenticator;
  readonly #log: Logger;
  readonly #audit: AuditLog;
  readonly #rulesFile: string;
  readonly #policy: Policy;
  readonly #live = new Map<Access, NodeJS.Timeout | undefined>();
  readonly #stopWatching: (() => void)[] = [];

  private constructor(authenticator: Authenticator, policy: Policy, audit: AuditLog, rulesFile: string, log: Logger) {
    this.authenticator = authenticator;
    this.#policy = policy;
    this.#audit = audit;
    this.#rulesFile = rulesFile;
    this.#log = log;
  }

  /**
   * Builds the guard of a configuration. `writablePrefixes`: topics anonymous clients may write
   * under the built-in rules (simulated ones only).
   */
  static async create(config: Config, log: Logger, writablePrefixes: readonly string[]): Promise<Guard> {
    const s = config.security;
    const keyStore = s.apiKeysFile === "" ? undefined : ApiKeyStore.open(s.apiKeysFile);
    const jwt = jwtConfigured(s.jwt) ? await JwtVerifier.create(s.jwt) : undefined;
    const local = servesOnlyThisMachine(config);
    const anonymous = s.anonymous === "on" || (s.anonymous === "auto" && (local || s.insecurePublic));
    const authenticator = new Authenticator({
      apiKey: s.apiKey,
      keyStore,
      jwt,
      anonymous,
      anonymousReadOnly: s.insecurePublic && !local,
    });
    const rules =
      s.rulesFile !== ""
        ? loadRulesFile(s.rulesFile)
        : parseRules(
            s.rules !== "" ? s.rules : defaultRules({ writablePrefixes: [...writablePrefixes] }),
            s.rules !== "" ? "security.rules" : "built-in rules",
          );
    const guard = new Guard(authenticator, new Policy(rules), new AuditLog(s.auditFile), s.rulesFile, log);
    if (s.rulesFile !== "") {
      guard.#stopWatching.push(
        watchRulesFile(
          s.rulesFile,
          (next) => guard.#useRules(next, "file change"),
          (e) => log.error({ err: e }, "rules file not reloaded; the previous rules stay"),
        ),
      );
    }
    if (keyStore) {
      guard.#stopWatching.push(
        keyStore.watch(
          () => guard.#keysChanged(),
          (e) => log.error({ err: e }, "API key file not reloaded; the previous keys stay"),
        ),
      );
    }
    return guard;
  }

  get policy(): Policy {
    return this.#policy;
  }

  /** The access of a connection: rechecked when the rules change, ended when its credentials expire or are revoked. */
  open(principal: Principal, client: Client): Access {
    const access = this.transient(principal, client);
    this.#live.set(access, undefined);
    if (principal.expiresAt !== undefined) this.#armExpiry(access, principal.expiresAt);
    return access;
  }

  /** The access of one REST request: checked, audited, not tracked. */
  transient(principal: Principal, client: Client): Access {
    return new Access(principal, client, this.#policy, this.#audit);
  }

  /** The connection of `access` ended. */
  close(access: Access): void {
    clearTimeout(this.#live.get(access));
    this.#live.delete(access);
    access.release();
  }

  /** The accesses of the live connections. */
  get liveAccesses(): IterableIterator<Access> {
    return this.#live.keys();
  }

  /** Rereads the rules file (SIGHUP). A bad file keeps the current rules; the error is logged and thrown. */
  reload(): void {
    if (this.#rulesFile === "") return;
    try {
      this.#useRules(loadRulesFile(this.#rulesFile), "SIGHUP");
    } catch (e) {
      this.#log.error({ err: e }, "rules file not reloaded; the previous rules stay");
      throw e;
    }
  }

  async stop(): Promise<void> {
    for (const stop of this.#stopWatching.splice(0)) stop();
    for (const timer of this.#live.values()) clearTimeout(timer);
    this.#live.clear();
    await this.#audit.close();
  }

  #useRules(rules: readonly Rule[], why: string): void {
    this.#policy.replace(rules);
    this.#log.info({ why, connections: this.#live.size }, "access rules reloaded");
    for (const access of this.#live.keys()) access.recheck();
  }

  #keysChanged(): void {
    const store = this.authenticator.keyStore;
    if (!store) return;
    const records = new Map(store.list().map((r) => [r.id, r]));
    for (const access of [...this.#live.keys()]) {
      const id = access.principal.keyId;
      if (id === undefined) continue;
      const record = records.get(id);
      if (!record || record.revoked) access.revoke(new BeamgateError("BG_ERR_AUTH_REVOKED", "API key revoked"));
    }
  }

  #armExpiry(access: Access, expiresAt: number): void {
    const remaining = expiresAt - Date.now();
    const timer = setTimeout(
      () => {
        if (!this.#live.has(access)) return;
        if (remaining > MAX_TIMER_MS) this.#armExpiry(access, expiresAt);
        else access.revoke(new BeamgateError("BG_ERR_AUTH_EXPIRED", "Credentials expired"));
      },
      Math.max(0, Math.min(remaining, MAX_TIMER_MS)),
    );
    timer.unref();
    this.#live.set(access, timer);
  }
}
