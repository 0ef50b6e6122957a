/**
 * Client messages of the ophyd-websocket sockets (specs/ophyd-websocket.md): `{"action": A, "pv": X}`
 * or the list form `{"action": A, "pvs": [X, Y]}` on pv-socket, `device`/`devices` on
 * device-socket. `parseOphydMessage` returns a typed message or throws an OphydError whose text is
 * sent as `{"error": ...}`, in the real server's words.
 */

export const ACTIONS = ["subscribe", "unsubscribe", "refresh", "subscribeSafely", "subscribeReadOnly", "set"] as const;
export type Action = (typeof ACTIONS)[number];

/** What a socket addresses: PVs (`pv`, `pvs`) or registry devices (`device`, `devices`). */
export interface TargetKeys {
  readonly single: "pv" | "device";
  readonly plural: "pvs" | "devices";
  /** The example in the unknown-action error: `pv: 'IOC:m1'`. */
  readonly example: string;
}

export const PV_KEYS: TargetKeys = { single: "pv", plural: "pvs", example: "pv: 'IOC:m1'" };
export const DEVICE_KEYS: TargetKeys = { single: "device", plural: "devices", example: "device: 'motor1'" };

/** A subscribe or unsubscribe action on one or more names. */
export interface NamesMessage {
  readonly action: "subscribe" | "subscribeSafely" | "subscribeReadOnly" | "unsubscribe";
  /** The names as given (any JSON value: non-strings fail one by one). */
  readonly names: readonly unknown[];
  /** The list form (`pvs`, or a list under `pv`): one summary answers it. */
  readonly list: boolean;
  /** subscribeSafely only: seconds to wait for the connection (beamgate's addition; default 1). */
  readonly timeout: unknown;
}

export type OphydMessage =
  | NamesMessage
  | { readonly action: "refresh" }
  | { readonly action: "set"; readonly name: unknown; readonly value: unknown; readonly timeout: unknown };

export class OphydError extends Error {}

export function parseOphydMessage(text: string, keys: TargetKeys): OphydMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new OphydError("Invalid JSON format");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new OphydError("Invalid message: expected a JSON object with an action");
  }
  const m = raw as Record<string, unknown>;
  switch (m.action) {
    case "subscribe":
    case "subscribeSafely":
    case "subscribeReadOnly":
    case "unsubscribe": {
      const plural = m[keys.plural];
      const single = m[keys.single];
      const given = plural ?? single;
      const list = (plural !== undefined && plural !== null) || Array.isArray(single);
      const names = given === undefined || given === null ? [] : Array.isArray(given) ? given : [given];
      return { action: m.action, names, list, timeout: m.timeout };
    }
    case "refresh":
      return { action: "refresh" };
    case "set":
      return { action: "set", name: m[keys.single], value: m.value, timeout: m.timeout };
    default: {
      const action =
        typeof m.action === "string" ? m.action : m.action === undefined ? "None" : JSON.stringify(m.action);
      const listed = ACTIONS.map((a) => `'${a}'`);
      throw new OphydError(
        `Received action: ${action}, actions must be ${listed.slice(0, -1).join(", ")}, or ${listed.at(-1)}. ` +
          `Example msg: {action: 'subscribe', ${keys.example}}`,
      );
    }
  }
}
