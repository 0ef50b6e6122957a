/** docs/configuration.md and docs/errors.md stay in step with the schema and the error catalogue. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ENV_ALIASES, OPTIONS } from "../../src/config/options.js";
import { ERRORS } from "../../src/errors.js";

const docs = (name: string) => readFileSync(new URL(`../../../../../docs/${name}`, import.meta.url), "utf8");

/** The options table as docs/configuration.md must hold it, between its markers. */
export function optionsTable(): string {
  const rows = OPTIONS.map((o) => {
    const aliases = Object.entries(ENV_ALIASES)
      .filter(([, target]) => target === o.env)
      .map(([alias]) => `, \`${alias}\``)
      .join("");
    const choices = o.choices ? ` One of ${o.choices.map((c) => `\`${c}\``).join(", ")}.` : "";
    return `| \`${o.path}\` | \`${o.env}\`${aliases} | \`${JSON.stringify(o.default)}\` | ${o.description}${choices} |`;
  });
  return ["| option | environment | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

function between(text: string, marker: string): string {
  const start = text.indexOf(`<!-- ${marker}:start -->`);
  const end = text.indexOf(`<!-- ${marker}:end -->`);
  assert.ok(start >= 0 && end > start, `markers ${marker} present`);
  return text.slice(text.indexOf("\n", start) + 1, end).trim();
}

describe("documentation in step with the code", () => {
  it("docs/configuration.md lists every option with its environment variable and default", () => {
    assert.equal(between(docs("configuration.md"), "options"), optionsTable());
  });

  it("docs/errors.md lists exactly the codes of the catalogue, with their close codes", () => {
    const text = docs("errors.md");
    const documented = [...text.matchAll(/^\| `(BG_ERR_[A-Z_]+)` \| ([^|]*) \|/gm)].map((m) => [m[1], m[2]?.trim()]);
    const catalogue = Object.entries(ERRORS).map(([code, spec]) => [
      code,
      "closeCode" in spec ? String(spec.closeCode) : "",
    ]);
    assert.deepEqual(documented, catalogue);
  });
});
