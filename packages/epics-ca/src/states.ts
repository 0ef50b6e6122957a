/**
 * The life cycles of a virtual circuit and of a channel, as tables: role -> state -> command
 * (with its direction as seen by that role) -> next state. A command with no row in the current
 * state is a protocol error; who broke the protocol follows from the direction (our own send is a
 * local error, a received message a remote one). Peer quirks have their own rows and say so.
 */
import type { CaMessage } from "./commands.js";
import type { CommandName } from "./constants.js";

export type Role = "client" | "server";

/** Sent by us, or received from the peer. */
export type Flow = "send" | "recv";

export const CircuitState = {
  SEND_VERSION_REQUEST: "SEND_VERSION_REQUEST",
  AWAIT_VERSION_RESPONSE: "AWAIT_VERSION_RESPONSE",
  /** The server's VERSION came before ours (RSRV sends it as the circuit opens). */
  VERSION_RECEIVED: "VERSION_RECEIVED",
  AWAIT_VERSION_REQUEST: "AWAIT_VERSION_REQUEST",
  CONNECTED: "CONNECTED",
  DISCONNECTED: "DISCONNECTED",
} as const;
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

export const ChannelState = {
  SEND_CREATE_CHAN_REQUEST: "SEND_CREATE_CHAN_REQUEST",
  AWAIT_CREATE_CHAN_RESPONSE: "AWAIT_CREATE_CHAN_RESPONSE",
  SEND_CREATE_CHAN_RESPONSE: "SEND_CREATE_CHAN_RESPONSE",
  CONNECTED: "CONNECTED",
  AWAIT_CLEAR_CHANNEL_RESPONSE: "AWAIT_CLEAR_CHANNEL_RESPONSE",
  SEND_CLEAR_CHANNEL_RESPONSE: "SEND_CLEAR_CHANNEL_RESPONSE",
  FAILED: "FAILED",
  CLOSED: "CLOSED",
} as const;
export type ChannelState = (typeof ChannelState)[keyof typeof ChannelState];

/** `send:COMMAND` or `recv:COMMAND`. */
export type Move = `${Flow}:${CommandName}`;

type Table<S extends string> = Record<Role, Partial<Record<S, Partial<Record<Move, S>>>>>;

/** Commands that belong to the circuit once it is up, in either role, keeping it CONNECTED. */
const CIRCUIT_TRAFFIC: CommandName[] = [
  "CREATE_CHAN",
  "CREATE_CH_FAIL",
  "ACCESS_RIGHTS",
  "CLEAR_CHANNEL",
  "READ_NOTIFY",
  "WRITE",
  "WRITE_NOTIFY",
  "EVENT_ADD",
  "EVENT_CANCEL",
  "EVENTS_OFF",
  "EVENTS_ON",
  "ECHO",
  "ERROR",
  "SERVER_DISCONN",
  "CLIENT_NAME",
  "HOST_NAME",
  "SEARCH",
  "NOT_FOUND",
  "VERSION",
];

function stay<S extends string>(
  state: S,
  commands: CommandName[],
  flows: Flow[] = ["send", "recv"],
): Partial<Record<Move, S>> {
  const rows: Partial<Record<Move, S>> = {};
  for (const c of commands) for (const f of flows) rows[`${f}:${c}`] = state;
  return rows;
}

export const CIRCUIT_TRANSITIONS: Table<CircuitState> = {
  client: {
    SEND_VERSION_REQUEST: {
      "send:VERSION": "AWAIT_VERSION_RESPONSE",
      // RSRV (4.11 and later) sends its VERSION as soon as the circuit opens, before ours.
      "recv:VERSION": "VERSION_RECEIVED",
    },
    VERSION_RECEIVED: { "send:VERSION": "CONNECTED" },
    AWAIT_VERSION_RESPONSE: {
      // libca does not wait for the answer, and servers older than CA 4.11 never send one:
      // traffic flows while the circuit waits.
      ...stay("AWAIT_VERSION_RESPONSE", CIRCUIT_TRAFFIC),
      "recv:VERSION": "CONNECTED",
    },
    CONNECTED: stay("CONNECTED", CIRCUIT_TRAFFIC),
  },
  server: {
    AWAIT_VERSION_REQUEST: {
      "recv:VERSION": "CONNECTED",
      "send:VERSION": "AWAIT_VERSION_REQUEST",
      // Clients older than CA 4.11 skip VERSION and start with names or channels.
      ...stay("CONNECTED", ["HOST_NAME", "CLIENT_NAME", "CREATE_CHAN", "ECHO"], ["recv"]),
    },
    CONNECTED: stay("CONNECTED", CIRCUIT_TRAFFIC),
  },
};

export const CHANNEL_TRANSITIONS: Table<ChannelState> = {
  client: {
    SEND_CREATE_CHAN_REQUEST: { "send:CREATE_CHAN": "AWAIT_CREATE_CHAN_RESPONSE" },
    AWAIT_CREATE_CHAN_RESPONSE: {
      "recv:CREATE_CHAN": "CONNECTED",
      "recv:CREATE_CH_FAIL": "FAILED",
      // RSRV sends ACCESS_RIGHTS before the CREATE_CHAN answer.
      "recv:ACCESS_RIGHTS": "AWAIT_CREATE_CHAN_RESPONSE",
      "recv:SERVER_DISCONN": "CLOSED",
    },
    CONNECTED: {
      ...stay("CONNECTED", ["READ_NOTIFY", "WRITE", "WRITE_NOTIFY", "EVENT_ADD", "EVENT_CANCEL"], ["send"]),
      ...stay("CONNECTED", ["READ_NOTIFY", "WRITE_NOTIFY", "EVENT_ADD", "ACCESS_RIGHTS", "ERROR"], ["recv"]),
      "send:CLEAR_CHANNEL": "AWAIT_CLEAR_CHANNEL_RESPONSE",
      "recv:SERVER_DISCONN": "CLOSED",
    },
    AWAIT_CLEAR_CHANNEL_RESPONSE: {
      "recv:CLEAR_CHANNEL": "CLOSED",
      "recv:SERVER_DISCONN": "CLOSED",
      // Answers to requests sent before the clear may still arrive.
      ...stay("AWAIT_CLEAR_CHANNEL_RESPONSE", ["READ_NOTIFY", "WRITE_NOTIFY", "EVENT_ADD", "ERROR"], ["recv"]),
    },
  },
  server: {
    SEND_CREATE_CHAN_REQUEST: { "recv:CREATE_CHAN": "SEND_CREATE_CHAN_RESPONSE" },
    SEND_CREATE_CHAN_RESPONSE: {
      "send:ACCESS_RIGHTS": "SEND_CREATE_CHAN_RESPONSE",
      "send:CREATE_CHAN": "CONNECTED",
      "send:CREATE_CH_FAIL": "FAILED",
    },
    CONNECTED: {
      ...stay("CONNECTED", ["READ_NOTIFY", "WRITE", "WRITE_NOTIFY", "EVENT_ADD", "EVENT_CANCEL"], ["recv"]),
      ...stay("CONNECTED", ["READ_NOTIFY", "WRITE_NOTIFY", "EVENT_ADD", "ACCESS_RIGHTS", "ERROR"], ["send"]),
      "recv:CLEAR_CHANNEL": "SEND_CLEAR_CHANNEL_RESPONSE",
      "send:SERVER_DISCONN": "CLOSED",
    },
    SEND_CLEAR_CHANNEL_RESPONSE: { "send:CLEAR_CHANNEL": "CLOSED" },
  },
};

/** Who broke the protocol: we did (a bad send) or the peer did (a bad message received). */
export class CaStateError extends Error {
  override readonly name = "CaStateError";
  constructor(
    message: string,
    readonly remote: boolean,
  ) {
    super(message);
  }
}

/** The next state after `message` flows in `flow` from `state`, or a CaStateError if no row allows it. */
export function nextState<S extends string>(table: Table<S>, role: Role, state: S, flow: Flow, message: CaMessage): S {
  const next = table[role][state]?.[`${flow}:${message.command}`];
  if (next === undefined) {
    const what = flow === "send" ? "may not send" : "received";
    throw new CaStateError(`${role} ${what} ${message.command} in state ${state}`, flow === "recv");
  }
  return next;
}
