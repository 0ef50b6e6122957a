/** What a benchmark's record says about how it was run: the code measured and the command typed. */
import { execFileSync } from "node:child_process";

/** The commit at `repoRoot`, and whether the sources under `sources` (a path in it) differed from it. */
export function codeVersion(repoRoot: URL, sources: string): string {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    const dirty = git("status", "--porcelain", "--", sources) !== "";
    return `${git("rev-parse", "--short", "HEAD")}${dirty ? ` with uncommitted changes to ${sources}` : ""}`;
  } catch {
    return "unknown (not a git checkout)";
  }
}

/**
 * How this run was started, as someone would type it from the repository root: `npm run NAME`
 * when npm ran one of `npmScripts`, else `node SCRIPT`; with the arguments given.
 */
export function commandLine(script: string, npmScripts: readonly string[]): string {
  const args = process.argv.slice(2).join(" ");
  const event = process.env.npm_lifecycle_event;
  if (event !== undefined && npmScripts.includes(event)) return `npm run ${event}${args ? ` -- ${args}` : ""}`;
  return `node ${script}${args ? ` ${args}` : ""}`;
}
