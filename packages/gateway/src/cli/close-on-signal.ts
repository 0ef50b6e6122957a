/**
 * How a long-running command ends: on SIGINT or SIGTERM it closes what it runs and resolves with
 * the exit code, 0, or 1 if closing failed or took longer than 2 s. Install it before announcing
 * that the command is ready: whoever reads that may signal at once. A second signal gets Node's
 * default handling, which ends the process at once.
 */

const SHUTDOWN_DEADLINE_MS = 2_000;

export interface ShutdownReport {
  stopping(signal: NodeJS.Signals): void;
  tooSlow(): void;
  failed(error: unknown): void;
}

export function closeOnSignal(close: () => Promise<void>, report: ShutdownReport): Promise<number> {
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      report.stopping(signal);
      const deadline = setTimeout(() => {
        report.tooSlow();
        resolve(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      close().then(
        () => {
          clearTimeout(deadline);
          resolve(0);
        },
        (e: unknown) => {
          report.failed(e);
          resolve(1);
        },
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
