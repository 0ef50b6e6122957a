/** The process logger: JSON lines on standard error (pino), so standard output stays for people. */
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({ level, base: { name: "beamgate" } }, pino.destination(2));
}
