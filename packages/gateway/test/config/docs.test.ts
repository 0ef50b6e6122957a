/** docs/configuration.md and docs/errors.md stay in step with the schema and the error catalogue. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ENV_ALIASES, OPTIONS } from "../../src/config/options.js";
import { ERRORS } from "../../src/errors.js";

const docs = (name: string) => readFileSync(new URL(`../../../../../docs/${name}`, import.meta.url), "utf8");

/** The options table as docs/configuration.md must hold it, between its markers. */
export function optionsTable(): string {
  const lines = OPTIONS.map((o) => {
    const aliases = Object.entries(ENV_ALIASES)
      .filter(([, target]) => target === o.env)
      .map(([alias]) => `, \`${alias}\``)
      .join("");
    const choices = o.choices ? ` One of ${o.choices.map((c) => `\`${c}\``).join(", ")}.` : "";
    return `| \`${o.path}\` | \`${o.env}\`${aliases} | \`${JSON.stringify(o.default)}\` | ${o.description}${choices} |`;
  });
  return ["| option | environment | default | meaning |", "|---|---|---|---|", ...lines].join("\n");
}

/** The cells of a Markdown table's rows, trimmed, without the separator row (formatting may pad them). */
function rows(table: string): string[][] {
  return table
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[\s:|-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
}

function between(text: string, marker: string): string {
  const start = text.indexOf(`<!-- ${marker}:start -->`);
  const end = text.indexOf(`<!-- ${marker}:end -->`);
  assert.ok(start >= 0 && end > start, `markers ${marker} present`);
  return text.slice(text.indexOf("\n", start) + 1, end).trim();
}

describe("documentation in step with the code", () => {
  it("docs/configuration.md lists every option with its environment variable and default", () => {
    assert.deepEqual(rows(between(docs("configuration.md"), "options")), rows(optionsTable()));
  });

  it("docs/errors.md lists exactly the codes of the catalogue, with their close codes and HTTP statuses", () => {
    const text = docs("errors.md");
    const documented = rows(text)
      .filter((cells) => cells[0]?.startsWith("`BG_ERR_"))
      .map((cells) => [cells[0]?.slice(1, -1), cells[1], cells[2]]);
    const catalogue = Object.entries(ERRORS).map(([code, spec]) => [
      code,
      "closeCode" in spec ? String(spec.closeCode) : "",
      "httpStatus" in spec ? String(spec.httpStatus) : "",
    ]);
    assert.deepEqual(documented, catalogue);
  });
});
