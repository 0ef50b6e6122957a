/**
 * docs/benchmarks.md holds one section per benchmark, each between markers naming it, so that a
 * benchmark rewrites its own section and leaves the others' as they were.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

const begin = (name: string, writer: string) => `<!-- ${name}:begin (written by ${writer}) -->`;
const end = (name: string) => `<!-- ${name}:end -->`;

/** `doc` with `markdown` as section `name`, in place of the previous one, or after the rest if it had none. */
export function replaceDocSection(doc: string, name: string, writer: string, markdown: string): string {
  const fresh = `${begin(name, writer)}\n\n${markdown.trim()}\n\n${end(name)}`;
  const from = doc.indexOf(`<!-- ${name}:begin`);
  const to = doc.indexOf(end(name), from);
  if (from !== -1 && to !== -1) return `${doc.slice(0, from)}${fresh}${doc.slice(to + end(name).length)}`;
  const rest = doc.trimEnd();
  return `${rest}${rest ? "\n\n" : ""}${fresh}\n`;
}

/** Writes section `name` of the file at `file` (created if missing), by `writer` (a path to name in the marker). */
export function writeDocSection(file: URL, name: string, writer: string, markdown: string): void {
  mkdirSync(new URL(".", file), { recursive: true });
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  writeFileSync(file, replaceDocSection(before, name, writer, markdown));
}
