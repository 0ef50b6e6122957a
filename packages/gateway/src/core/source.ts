/**
 * The contract between the hub and a source scheme (`sim`, `loc`, later `ca`, datasets, ...).
 * A source opens one upstream per topic and reports into the topic's sink; it never sees
 * subscribers, connections or wire formats.
 */
import type { BeamgateError } from "../errors.js";
import type { Meta, Sample, Status } from "./values.js";

/** Where a source reports what happens to one topic. Calls after `fail` are ignored. */
export interface TopicSink {
  meta(meta: Meta): void;
  status(status: Status): void;
  data(sample: Sample): void;
  /** The topic cannot go on (not found, source gone): every subscriber is told and the topic closes. */
  fail(error: BeamgateError): void;
}

/** One open upstream subscription. */
export interface Upstream {
  close(): void;
  /**
   * Writes a value (as decoded from a client message) and resolves when the write completed.
   * Rejects with a BeamgateError (`BG_ERR_PUT_*`). Absent for read-only topics.
   */
  put?(value: unknown, timeoutMs: number): Promise<void>;
}

export interface Source {
  readonly scheme: string;
  /**
   * Resolves a path to its canonical form, so that every spelling of one topic shares it
   * (`sine( 0, 1 )` and `sine(0,1)`; `x(5)` and `x` for a local PV). A source may create what
   * the name declares here (a local PV with its initial value). Throws BG_ERR_TOPIC_INVALID,
   * BG_ERR_TOPIC_NOT_FOUND or BG_ERR_TOPIC_LIMIT.
   */
  resolve(path: string): string;
  /**
   * URIs whose access rights govern the topic besides its own (a telemetry session's, for its
   * channels): the policy must allow the action on each. Optional.
   */
  governedBy?(path: string): readonly string[];
  /** Opens the upstream for a canonical path; may throw BG_ERR_TOPIC_NOT_FOUND. */
  open(path: string, sink: TopicSink): Upstream;
  /** Stops everything the source runs. */
  close(): void;
}
