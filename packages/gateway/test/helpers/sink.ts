/** A TopicSink that records what a source reports, for source tests. */
import type { TopicSink } from "../../src/core/source.js";
import type { Meta, Sample, Status } from "../../src/core/values.js";
import type { BeamgateError } from "../../src/errors.js";

export class RecordingSink implements TopicSink {
  metas: Meta[] = [];
  statuses: Status[] = [];
  samples: Sample[] = [];
  failures: BeamgateError[] = [];
  /** Everything in arrival order, by kind. */
  order: string[] = [];
  meta(m: Meta) {
    this.metas.push(m);
    this.order.push("meta");
  }
  status(s: Status) {
    this.statuses.push(s);
    this.order.push(s.connected ? "connected" : "disconnected");
  }
  data(s: Sample) {
    this.samples.push(s);
    this.order.push("data");
  }
  fail(e: BeamgateError) {
    this.failures.push(e);
    this.order.push("fail");
  }
}
