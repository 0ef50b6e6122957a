/**
 * The example programs of seed 003 (the PV API document), read from ../shared/seeds beside the
 * repository so the compatibility tests run the document's own code, not a copy of it.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SEED = fileURLToPath(new URL("../../../../../../shared/seeds/003_7961c9114b3b28d2.txt", import.meta.url));

function seedText(): string {
  if (!existsSync(SEED)) throw new Error(`seed document not found at ${SEED} (shared/ must sit beside the repository)`);
  return readFileSync(SEED, "utf8");
}

/** The text between two headings of the seed document. */
function section(from: string, to: string): string {
  const text = seedText();
  const start = text.indexOf(from);
  const end = text.indexOf(to, start + from.length);
  if (start < 0 || end < 0) throw new Error(`seed sections ${from} .. ${to} not found`);
  return text.slice(start + from.length, end).trim();
}

/** The seed's JavaScript example, pointed at `url` (the only change made to it). */
export function javascriptExample(url: string): string {
  return section("JavaScript Example", "Python Example").replace("ws://localhost:8080/ws", url);
}

/** The seed's Python example, pointed at `url` (the only change made to it). */
export function pythonExample(url: string): string {
  return section("Python Example", "React Hook Example").replace("ws://localhost:8080/ws", url);
}
