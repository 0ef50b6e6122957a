/** Makes a directory's entries (a new file, a rename) durable. */
import { closeSync, fsyncSync, openSync } from "node:fs";

export function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
