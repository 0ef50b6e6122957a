/**
 * Topic patterns, as access rules and API keys write them. A glob over the whole URI: `*` is any
 * run of characters (`:` and `/` included), `?` one character, everything else literal and
 * case-sensitive (`ca://SR:*`, `loc://x(?)`). Or, after `re:`, a JavaScript regular expression that
 * must match the whole URI (`re:ca://SR:C0[1-4]:.*`).
 */

export type TopicMatcher = (uri: string) => boolean;

const REGEX_PREFIX = "re:";
const REGEX_SYNTAX = /[\\^$.*+?()[\]{}|/]/g;

/** Compile a pattern once; the matcher is what runs on every decision. Throws on an invalid regex. */
export function compileTopicPattern(text: string): TopicMatcher {
  const re = text.startsWith(REGEX_PREFIX) ? compileRegex(text) : compileGlob(text);
  return (uri) => re.test(uri);
}

function compileRegex(text: string): RegExp {
  const source = text.slice(REGEX_PREFIX.length);
  try {
    // Checked alone first: a valid expression has balanced groups, so `a)|(b` cannot escape the anchors.
    new RegExp(source);
    return new RegExp(`^(?:${source})$`);
  } catch (e) {
    throw new Error(`Invalid regular expression in pattern "${text}": ${(e as Error).message}`);
  }
}

/**
 * A naive translation (`*` to `.*`) backtracks through every way of splitting the URI, so
 * `*a*a*a*a*b` would take time to the sixth power of its length. Here each run between two stars
 * is found at its leftmost place inside a lookahead, which JavaScript never backtracks into: the
 * leftmost place always leaves the most room for the rest, and the cost stays a pass per run.
 */
function compileGlob(text: string): RegExp {
  const runs = text.split(/\*+/).map(globRunSource);
  const first = runs[0] as string;
  if (runs.length === 1) return new RegExp(`^${first}$`, "su");
  const middle = runs.slice(1, -1).map((run, i) => `(?=(.*?${run}))\\${i + 1}`);
  return new RegExp(`^${first}${middle.join("")}.*${runs.at(-1)}$`, "su");
}

function globRunSource(run: string): string {
  return run.replace(REGEX_SYNTAX, (c) => (c === "?" ? "." : `\\${c}`));
}
