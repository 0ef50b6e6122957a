/**
 * A benchmark's processes and how they talk: `forkChild` starts a bench module in its own Node
 * process and calls its named handlers over IPC (`request`); `answerRequests` is the child's side.
 * Every child also answers `memory` (a forced GC when started with `--expose-gc`, then
 * `process.memoryUsage()`). A child exits when its parent goes, and the parent kills what is left
 * when it exits, so no process outlives a run.
 */
import { type ChildProcess, fork } from "node:child_process";

type Handler = (args: never) => unknown;

interface Request {
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}

interface Reply {
  readonly id?: number;
  readonly ready?: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** A forked bench process. */
export interface Child {
  readonly pid: number;
  /** Calls the child's handler `cmd`; rejects on its error, its exit, or after `timeoutMs`. */
  request<T>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /**
   * Asks the process to exit (so that `--cpu-prof` can write its profile), kills it if it has not
   * within a few seconds, and resolves once it has exited.
   */
  stop(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const EXIT_GRACE_MS = 5_000;
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Forks the bench module at `module` and resolves once its handlers are installed. */
export function forkChild(module: URL, execArgv: readonly string[] = []): Promise<Child> {
  const proc = fork(module, [], { execArgv: [...execArgv], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  live.add(proc);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) =>
    proc.once("exit", (code, signal) => {
      live.delete(proc);
      for (const p of pending.values()) p.reject(new Error(`${module.pathname} exited (${signal ?? code})`));
      pending.clear();
      resolve();
    }),
  );
  let nextId = 1;
  const child: Child = {
    pid: proc.pid as number,
    request<T>(cmd: string, args?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${module.pathname}: "${cmd}" got no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        proc.send({ id, cmd, args } satisfies Request);
      });
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      if (proc.connected) proc.disconnect(); // the child exits on disconnect
      const timer = setTimeout(() => proc.kill("SIGKILL"), EXIT_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    proc.once("error", reject);
    void exited.then(() => reject(new Error(`${module.pathname} exited before it was ready`)));
    proc.on("message", (m: Reply) => {
      if (m.ready) {
        resolve(child);
        return;
      }
      const p = pending.get(m.id as number);
      if (!p) return;
      pending.delete(m.id as number);
      if (m.error === undefined) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
  });
}

/** Installs the child's handlers (plus `memory`) and tells the parent it is ready. */
export function answerRequests(handlers: Readonly<Record<string, Handler>>): void {
  const all: Record<string, Handler> = { memory: measureMemory, ...handlers };
  process.on("message", async ({ id, cmd, args }: Request) => {
    const send = (reply: Reply) => process.send?.(reply);
    try {
      const handler = all[cmd];
      if (!handler) throw new Error(`unknown command "${cmd}"`);
      send({ id, result: await handler(args as never) });
    } catch (e) {
      send({ id, error: (e as Error).stack ?? String(e) });
    }
  });
  // process.exit, not a natural end: the server's sockets would keep the process alive.
  process.on("disconnect", () => process.exit(0));
  process.send?.({ ready: true } satisfies Reply);
}

async function measureMemory(): Promise<NodeJS.MemoryUsage> {
  if (globalThis.gc) {
    // Twice, with a turn between, so that objects freed by finalizers go too.
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.gc();
  }
  return process.memoryUsage();
}
