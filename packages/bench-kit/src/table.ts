/** Result tables, printed as aligned text for the terminal and as Markdown for docs/benchmarks.md. */

export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns, from the left, that hold text (left-aligned); the others hold numbers. */
  readonly textColumns: number;
}

function columnWidths({ headers, rows }: Table): number[] {
  return headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
}

function cells(table: Table, widths: readonly number[], row: readonly string[]): string[] {
  return row.map((c, i) => (i < table.textColumns ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)));
}

export function textTable(table: Table): string {
  const widths = columnWidths(table);
  const line = (row: readonly string[]) => cells(table, widths, row).join("  ").trimEnd();
  return [line(table.headers), ...table.rows.map(line)].join("\n");
}

export function markdownTable(table: Table): string {
  const widths = columnWidths(table);
  const line = (row: readonly string[]) => `| ${cells(table, widths, row).join(" | ")} |`;
  const rule = widths.map((w, i) => (i < table.textColumns ? "-".repeat(w) : `${"-".repeat(w - 1)}:`));
  return [line(table.headers), `| ${rule.join(" | ")} |`, ...table.rows.map(line)].join("\n");
}
