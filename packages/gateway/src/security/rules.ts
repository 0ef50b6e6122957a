/**
 * Access rules, in the spirit of the EPICS CA Gateway's pvlist and access security files. One rule
 * a line:
 *
 *     ALLOW|DENY  READ|WRITE|READ,WRITE|ANY  PATTERN  [WHO ...]
 *
 * PATTERN is a topic pattern (topic-pattern.ts). WHO is `anyone` (the default), `anonymous`,
 * `authenticated`, `user:NAME`, `group:NAME` or `scope:NAME`; several mean any of them. Keywords
 * are case-insensitive, names and patterns are not. `#` at the start of a word starts a comment.
 * The policy lets the last matching line decide, so specific lines go after general ones.
 */
import { BeamgateError } from "../errors.js";
import type { Action } from "./principal.js";
import { compileTopicPattern, type TopicMatcher } from "./topic-pattern.js";

export type Effect = "allow" | "deny";

export type Who =
  | { readonly kind: "anyone" | "anonymous" | "authenticated" }
  | { readonly kind: "user" | "group" | "scope"; readonly name: string };

export interface Rule {
  readonly effect: Effect;
  readonly actions: readonly Action[];
  /** The pattern as written. */
  readonly pattern: string;
  /** The pattern compiled once, at parse time. */
  readonly matches: TopicMatcher;
  /** The rule applies to a principal that is any of these; never empty. */
  readonly who: readonly Who[];
  /** Where the rule came from (a file name, `builtin`), with `line`, for messages. */
  readonly source: string;
  readonly line: number;
}

const EFFECTS = new Map<string, Effect>([
  ["allow", "allow"],
  ["deny", "deny"],
]);
const ACTIONS = new Map<string, readonly Action[]>([
  ["read", ["read"]],
  ["write", ["write"]],
  ["any", ["read", "write"]],
]);
const BARE_WHO = ["anyone", "anonymous", "authenticated"] as const;
const NAMED_WHO = ["user", "group", "scope"] as const;
// Only at the start of a word, so a pattern such as `loc://a#b` keeps its `#`.
const COMMENT = /(?:^|\s)#.*$/;
const ANYONE: readonly Who[] = [{ kind: "anyone" }];

/** Parse a rules text; throws BG_ERR_CONFIG_INVALID naming `source:line` on the first bad line. */
export function parseRules(text: string, source: string): Rule[] {
  const rules: Rule[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const words = raw.replace(COMMENT, "").trim().split(/\s+/);
    if (words[0] !== "") rules.push(parseRule(words, source, i + 1));
  }
  return rules;
}

function parseRule(words: string[], source: string, line: number): Rule {
  const fail = (what: string) => new BeamgateError("BG_ERR_CONFIG_INVALID", `${source}:${line}: ${what}`);
  const [effectWord = "", actionWord, pattern, ...whoWords] = words;
  const effect = EFFECTS.get(effectWord.toLowerCase());
  if (effect === undefined) throw fail(`expected ALLOW or DENY, found "${effectWord}"`);
  const actions = actionWord === undefined ? undefined : parseActions(actionWord);
  if (actions === undefined) {
    throw fail(`expected READ, WRITE, READ,WRITE or ANY${actionWord === undefined ? "" : `, found "${actionWord}"`}`);
  }
  if (pattern === undefined) throw fail("missing pattern");
  let matches: TopicMatcher;
  try {
    matches = compileTopicPattern(pattern);
  } catch (e) {
    throw fail((e as Error).message);
  }
  const who = whoWords.map((word) => {
    const parsed = parseWho(word);
    if (parsed === undefined) {
      throw fail(
        `unknown WHO "${word}" (expected anyone, anonymous, authenticated, user:NAME, group:NAME or scope:NAME)`,
      );
    }
    return parsed;
  });
  return { effect, actions, pattern, matches, who: who.length > 0 ? who : ANYONE, source, line };
}

/** `READ`, `WRITE`, `ANY` or a comma list of them (`READ,WRITE`). */
function parseActions(word: string): Action[] | undefined {
  const actions = new Set<Action>();
  for (const part of word.toLowerCase().split(",")) {
    const named = ACTIONS.get(part);
    if (named === undefined) return undefined;
    for (const action of named) actions.add(action);
  }
  return [...actions];
}

function parseWho(word: string): Who | undefined {
  const lower = word.toLowerCase();
  const bare = BARE_WHO.find((kind) => kind === lower);
  if (bare !== undefined) return { kind: bare };
  const colon = word.indexOf(":");
  const named = NAMED_WHO.find((kind) => kind === lower.slice(0, colon));
  const name = word.slice(colon + 1);
  return named !== undefined && colon > 0 && name !== "" ? { kind: named, name } : undefined;
}
