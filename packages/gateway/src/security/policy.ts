/**
 * The policy decision point: may this principal read or write this topic? Asked on every subscribe
 * and put, so a decision only walks rules compiled when they were parsed.
 */
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { basename } from "node:path";
import { asBeamgateError, BeamgateError } from "../errors.js";
import type { Action, Principal } from "./principal.js";
import { parseRules, type Rule, type Who } from "./rules.js";
import { compileTopicPattern, type TopicMatcher } from "./topic-pattern.js";

/** The rule that decided, or why no rule was asked. */
type Decision = Rule | "no-scope" | "outside-key-topics" | "no-rule";

// Often enough to feel immediate after a save; stat polling, unlike fs.watch, survives an editor
// replacing the file by renaming a new one over it.
const WATCH_INTERVAL_MS = 500;

export class Policy {
  #rules: readonly Rule[];

  constructor(rules: readonly Rule[] = []) {
    this.#rules = rules;
  }

  static fromText(text: string, source: string): Policy {
    return new Policy(parseRules(text, source));
  }

  get rules(): readonly Rule[] {
    return this.#rules;
  }

  /** Swap in reloaded rules; later decisions use them. */
  replace(rules: readonly Rule[]): void {
    this.#rules = rules;
  }

  may(principal: Principal, action: Action, uri: string): boolean {
    const decision = this.#decide(principal, action, uri);
    return typeof decision !== "string" && decision.effect === "allow";
  }

  /** A short reason for the decision, for error messages and logs: names no secret. */
  why(principal: Principal, action: Action, uri: string): string {
    const decision = this.#decide(principal, action, uri);
    const allowed = typeof decision !== "string" && decision.effect === "allow";
    const what = action === "read" ? `read of ${uri}` : `write to ${uri}`;
    return `${what} is ${allowed ? "allowed" : "not allowed"} for ${label(principal)} (${explain(decision, action)})`;
  }

  #decide(principal: Principal, action: Action, uri: string): Decision {
    if (!principal.scopes.includes(action)) return "no-scope";
    if (principal.topics !== undefined && !keyMatchers(principal.topics).some((matches) => matches(uri))) {
      return "outside-key-topics";
    }
    // Last match wins, as in a pvlist: later, more specific lines override earlier general ones.
    for (let i = this.#rules.length - 1; i >= 0; i--) {
      const rule = this.#rules[i] as Rule;
      if (rule.actions.includes(action) && rule.who.some((who) => isWho(who, principal)) && rule.matches(uri)) {
        return rule;
      }
    }
    return "no-rule";
  }
}

// Principals live as long as their connection; compile an API key's patterns once per principal.
const compiledKeyTopics = new WeakMap<readonly string[], TopicMatcher[]>();

function keyMatchers(topics: readonly string[]): TopicMatcher[] {
  let matchers = compiledKeyTopics.get(topics);
  if (matchers === undefined) {
    matchers = topics.map(compileKeyPattern);
    compiledKeyTopics.set(topics, matchers);
  }
  return matchers;
}

function compileKeyPattern(pattern: string): TopicMatcher {
  try {
    return compileTopicPattern(pattern);
  } catch {
    // The key store checks patterns when a key is made; should a bad one slip through, it grants nothing.
    return () => false;
  }
}

function isWho(who: Who, principal: Principal): boolean {
  switch (who.kind) {
    case "anyone":
      return true;
    case "anonymous":
      return principal.kind === "anonymous";
    case "authenticated":
      return principal.kind !== "anonymous";
    case "user":
      return principal.name === who.name;
    case "group":
      return principal.groups.includes(who.name);
    case "scope":
      return principal.scopes.includes(who.name);
  }
}

function label(principal: Principal): string {
  if (principal.kind === "anonymous") return "anonymous clients";
  return `${principal.kind === "apikey" ? "API key" : "user"} ${principal.name}`;
}

function explain(decision: Decision, action: Action): string {
  if (decision === "no-scope") return `the credentials lack the ${action} scope`;
  if (decision === "outside-key-topics") return "outside the API key's topics";
  if (decision === "no-rule") return "no rule allows it";
  // The file's name only: clients need not learn where the gateway keeps its configuration.
  return `rule ${basename(decision.source)}:${decision.line}`;
}

/**
 * The built-in rules: everyone reads every topic, and writes go only under the given prefixes (the
 * gateway's own simulated, local and in-process IOC topics).
 */
export function defaultRules(options: { writablePrefixes: readonly string[] }): string {
  const lines = [
    "# beamgate's built-in access rules: everyone reads every topic; writes go only to the",
    "# gateway's own topics. Set security.rulesFile (or security.rules) to replace them.",
    "ALLOW READ *",
  ];
  for (const prefix of options.writablePrefixes) {
    // A prefix must be one literal word: a space, `#`, `*` or `?` would change what the line means.
    if (!/^[^\s#*?]+$/.test(prefix)) {
      throw new BeamgateError("BG_ERR_CONFIG_INVALID", `Writable prefix "${prefix}" cannot be written as a rule`);
    }
    lines.push(`ALLOW WRITE ${prefix}*`);
  }
  return `${lines.join("\n")}\n`;
}

/** Read and parse a rules file; unreadable: BG_ERR_CONFIG_FILE, invalid: BG_ERR_CONFIG_INVALID. */
export function loadRulesFile(path: string): Rule[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new BeamgateError("BG_ERR_CONFIG_FILE", `Cannot read the rules file ${path} (${reason})`, { cause: e });
  }
  return parseRules(text, path);
}

/**
 * Reread the rules file whenever it changes and hand over the new rules. A file that cannot be read
 * or parsed goes to `onError` instead, so the caller keeps the rules it has. Returns a function that
 * stops watching.
 */
export function watchRulesFile(
  path: string,
  onRules: (rules: Rule[]) => void,
  onError: (e: BeamgateError) => void,
): () => void {
  const reload = (): void => {
    let rules: Rule[];
    try {
      rules = loadRulesFile(path);
    } catch (e) {
      onError(asBeamgateError(e, "BG_ERR_CONFIG_FILE"));
      return;
    }
    onRules(rules);
  };
  watchFile(path, { interval: WATCH_INTERVAL_MS, persistent: false }, reload);
  return () => unwatchFile(path, reload);
}
