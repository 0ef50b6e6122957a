/**
 * Topic names are URIs: `scheme://path` (`sim://sine`, `loc://x(5)`, later `ca://SR:BPM1:X`).
 * A bare name (`SR:BPM1:X`) takes the configured default scheme.
 */
import { BeamgateError } from "../errors.js";

export const MAX_TOPIC_NAME_LENGTH = 1024;

export interface TopicName {
  readonly scheme: string;
  /** Everything after `scheme://`, as given. */
  readonly path: string;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is;
// Printable, no whitespace other than plain spaces (sim/loc argument lists may contain them).
const FORBIDDEN = /[\u0000-\u001f\u007f]/;

export function parseTopicName(name: string, defaultScheme: string): TopicName {
  if (typeof name !== "string" || name.length === 0) {
    throw new BeamgateError("BG_ERR_TOPIC_INVALID", "Topic name must be a non-empty string");
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new BeamgateError("BG_ERR_TOPIC_INVALID", `Topic name longer than ${MAX_TOPIC_NAME_LENGTH} characters`);
  }
  if (FORBIDDEN.test(name)) {
    throw new BeamgateError("BG_ERR_TOPIC_INVALID", "Topic name contains control characters");
  }
  const m = SCHEME.exec(name);
  const scheme = m ? (m[1] as string).toLowerCase() : defaultScheme;
  const path = m ? (m[2] as string) : name;
  if (path.trim().length === 0) {
    throw new BeamgateError("BG_ERR_TOPIC_INVALID", `Topic name "${name}" has an empty path`);
  }
  return { scheme, path };
}
