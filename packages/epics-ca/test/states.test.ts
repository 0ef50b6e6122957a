import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CaMessage } from "../src/commands.js";
import {
  CaStateError,
  CHANNEL_TRANSITIONS,
  CIRCUIT_TRANSITIONS,
  type Flow,
  nextState,
  type Role,
} from "../src/states.js";

const m = (command: CaMessage["command"]) => ({ command }) as CaMessage;

function walk<S extends string>(
  table: typeof CIRCUIT_TRANSITIONS | typeof CHANNEL_TRANSITIONS,
  role: Role,
  start: S,
  steps: Array<[Flow, CaMessage["command"]]>,
): string[] {
  let state: string = start;
  const seen = [state];
  for (const [flow, command] of steps) {
    state = nextState(table as never, role, state as never, flow, m(command));
    seen.push(state);
  }
  return seen;
}

describe("circuit life cycle", () => {
  it("client: version exchange, including RSRV answering before it is asked", () => {
    assert.deepEqual(
      walk(CIRCUIT_TRANSITIONS, "client", "SEND_VERSION_REQUEST", [
        ["send", "VERSION"],
        ["send", "CREATE_CHAN"],
        ["recv", "VERSION"],
        ["send", "READ_NOTIFY"],
      ]),
      ["SEND_VERSION_REQUEST", "AWAIT_VERSION_RESPONSE", "AWAIT_VERSION_RESPONSE", "CONNECTED", "CONNECTED"],
    );
    assert.deepEqual(
      walk(CIRCUIT_TRANSITIONS, "client", "SEND_VERSION_REQUEST", [
        ["recv", "VERSION"],
        ["send", "VERSION"],
      ]),
      ["SEND_VERSION_REQUEST", "VERSION_RECEIVED", "CONNECTED"],
    );
  });

  it("server: version first, or an old client that starts with its names", () => {
    assert.deepEqual(
      walk(CIRCUIT_TRANSITIONS, "server", "AWAIT_VERSION_REQUEST", [
        ["send", "VERSION"],
        ["recv", "VERSION"],
      ]).at(-1),
      "CONNECTED",
    );
    assert.deepEqual(
      walk(CIRCUIT_TRANSITIONS, "server", "AWAIT_VERSION_REQUEST", [["recv", "HOST_NAME"]]).at(-1),
      "CONNECTED",
    );
  });

  it("refuses what has no row, blaming the right side", () => {
    assert.throws(
      () => nextState(CIRCUIT_TRANSITIONS, "client", "SEND_VERSION_REQUEST", "send", m("READ_NOTIFY")),
      (e: CaStateError) => e instanceof CaStateError && e.remote === false,
    );
    assert.throws(
      () => nextState(CIRCUIT_TRANSITIONS, "server", "AWAIT_VERSION_REQUEST", "recv", m("WRITE")),
      (e: CaStateError) => e instanceof CaStateError && e.remote === true,
    );
    assert.throws(() => nextState(CIRCUIT_TRANSITIONS, "client", "DISCONNECTED", "send", m("ECHO")), CaStateError);
  });
});

describe("channel life cycle", () => {
  it("client: create (with access rights first, as RSRV sends them), use, clear", () => {
    assert.deepEqual(
      walk(CHANNEL_TRANSITIONS, "client", "SEND_CREATE_CHAN_REQUEST", [
        ["send", "CREATE_CHAN"],
        ["recv", "ACCESS_RIGHTS"],
        ["recv", "CREATE_CHAN"],
        ["send", "EVENT_ADD"],
        ["recv", "EVENT_ADD"],
        ["send", "CLEAR_CHANNEL"],
        ["recv", "EVENT_ADD"],
        ["recv", "CLEAR_CHANNEL"],
      ]).at(-1),
      "CLOSED",
    );
  });

  it("client: a failed create, and a server that drops the channel", () => {
    assert.equal(
      walk(CHANNEL_TRANSITIONS, "client", "SEND_CREATE_CHAN_REQUEST", [
        ["send", "CREATE_CHAN"],
        ["recv", "CREATE_CH_FAIL"],
      ]).at(-1),
      "FAILED",
    );
    assert.equal(
      walk(CHANNEL_TRANSITIONS, "client", "SEND_CREATE_CHAN_REQUEST", [
        ["send", "CREATE_CHAN"],
        ["recv", "CREATE_CHAN"],
        ["recv", "SERVER_DISCONN"],
      ]).at(-1),
      "CLOSED",
    );
  });

  it("server: the mirror image", () => {
    assert.equal(
      walk(CHANNEL_TRANSITIONS, "server", "SEND_CREATE_CHAN_REQUEST", [
        ["recv", "CREATE_CHAN"],
        ["send", "ACCESS_RIGHTS"],
        ["send", "CREATE_CHAN"],
        ["recv", "WRITE_NOTIFY"],
        ["send", "WRITE_NOTIFY"],
        ["recv", "CLEAR_CHANNEL"],
        ["send", "CLEAR_CHANNEL"],
      ]).at(-1),
      "CLOSED",
    );
  });

  it("refuses operations on a channel that is not connected", () => {
    assert.throws(
      () => nextState(CHANNEL_TRANSITIONS, "client", "AWAIT_CREATE_CHAN_RESPONSE", "send", m("READ_NOTIFY")),
      CaStateError,
    );
    assert.throws(() => nextState(CHANNEL_TRANSITIONS, "client", "CLOSED", "recv", m("EVENT_ADD")), CaStateError);
    assert.throws(
      () => nextState(CHANNEL_TRANSITIONS, "server", "SEND_CREATE_CHAN_RESPONSE", "recv", m("READ_NOTIFY")),
      CaStateError,
    );
  });
});
