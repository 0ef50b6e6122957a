/**
 * The `beamgate` command run as a user runs it: a child process with none of the caller's
 * BEAMGATE_, OAS_ or EPICS_ variables (only `env`'s), in UTC, storing in a temporary directory,
 * its output collected.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../../bin/beamgate.js", import.meta.url));

export interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number>;
  out(): string;
  err(): string;
  /** Resolves once stdout matches; rejects after `timeoutMs`. */
  until(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function runBeamgate(args: readonly string[], env: Record<string, string> = {}): Run {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(BEAMGATE|OAS|EPICS)_/.test(k)));
  // What it stores goes to a fresh temporary directory unless the test says where.
  const dataDir = mkdtempSync(join(tmpdir(), "bg-cli-data-"));
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...clean, TZ: "UTC", BEAMGATE_DATA_DIR: dataDir, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const exited = once(child, "exit").then(([code]) => code as number);
  const until = (pattern: RegExp, timeoutMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(stdout)) return;
        clearTimeout(timer);
        child.stdout.off("data", check);
        resolve();
      };
      const timer = setTimeout(() => {
        child.stdout.off("data", check);
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
      }, timeoutMs);
      child.stdout.on("data", check);
      check();
    });
  return { child, exited, out: () => stdout, err: () => stderr, until };
}

/**
 * `beamgate serve` on a free port with its data in `dir`, no simulated IOC or demo, silent (and
 * `env` added to its environment): for tests that kill and restart it. Resolves with its URL once
 * it listens.
 */
export async function serveOnDataDir(
  dir: string,
  env: Record<string, string> = {},
): Promise<{ url: string; run: Run }> {
  const run = runBeamgate(
    ["serve", "--port", "0", "--data-dir", dir, "--sim-ioc", "off", "--no-demo", "--log-level", "silent"],
    env,
  );
  await run.until(/listening on http:\/\/\S+/, 15_000);
  const url = /listening on (http:\/\/\S+)/.exec(run.out())?.[1] as string;
  return { url, run };
}
