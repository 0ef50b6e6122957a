/**
 * Client messages of the `/ws` PV API (docs/pv-api.md): `subscribe` and `unsubscribe` with
 * `pv_names`, and `list_subscriptions`. `parsePvApiMessage` returns a typed message or throws a
 * PvApiError whose text is sent as `{"type":"error","message":...}`.
 */

export type PvApiMessage =
  | { readonly action: "subscribe"; readonly pvNames: readonly string[] }
  | { readonly action: "unsubscribe"; readonly pvNames: readonly string[] }
  | { readonly action: "list_subscriptions" };

export const ACTIONS = [
  "subscribe",
  "unsubscribe",
  "list_subscriptions",
] as const satisfies readonly PvApiMessage["action"][];

export class PvApiError extends Error {}

export function parsePvApiMessage(text: string): PvApiMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PvApiError(`Invalid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new PvApiError('Invalid message: expected a JSON object with an "action"');
  }
  const m = raw as Record<string, unknown>;
  switch (m.action) {
    case "subscribe":
    case "unsubscribe":
      return { action: m.action, pvNames: pvNames(m.pv_names, m.action) };
    case "list_subscriptions":
      return { action: "list_subscriptions" };
    default: {
      const given =
        typeof m.action === "string"
          ? `"${m.action.slice(0, 64)}"`
          : m.action === undefined
            ? "missing"
            : "not a string";
      throw new PvApiError(`Unknown action (${given}): actions are ${ACTIONS.join(", ")}`);
    }
  }
}

function pvNames(raw: unknown, action: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((n) => typeof n !== "string" || n.length === 0)) {
    throw new PvApiError(`Invalid ${action} message: "pv_names" must be a non-empty array of PV names (strings)`);
  }
  return [...new Set(raw as string[])];
}
