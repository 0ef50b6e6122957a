/** Small files replaced whole and durably: written beside, synced, renamed over, directory synced. */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { syncDirectory } from "./sync-directory.js";

export function writeFileDurably(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.tmp`);
  const fd = openSync(temporary, "w", 0o644);
  try {
    const bytes = Buffer.from(text);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncDirectory(dirname(path));
}
