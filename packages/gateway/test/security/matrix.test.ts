/**
 * The access matrix: every endpoint × every kind of caller → the outcome, through real sockets.
 * The expected table is computed from a few rules (not listed by hand), the observed one is
 * measured, and the test fails on the first cell that differs, printing both tables.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import WebSocket from "ws";
import { ApiKeyStore } from "../../src/security/api-keys.js";
import { startTestGateway } from "../helpers/gateway.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const SECRET = "matrix-test-secret-that-is-long-enough-for-hs256";
const GOOD_ORIGIN = "https://console.example.org";

/** Who calls: the headers they send. */
type Caller =
  | "none"
  | "malformed"
  | "wrong key"
  | "expired token"
  | "revoked key"
  | "read-only"
  | "writer"
  | "wrong origin";
const CALLERS: readonly Caller[] = [
  "none",
  "malformed",
  "wrong key",
  "expired token",
  "revoked key",
  "read-only",
  "writer",
  "wrong origin",
];

type Action = "read" | "write";
/** `ok`, `forbidden` (refused by the policy, in the protocol's own form), `http NNN` or `close NNNN`. */
type Outcome = string;

interface Endpoint {
  readonly name: string;
  readonly kind: "ws" | "rest";
  readonly actions: readonly Action[];
  probe(action: Action, headers: Record<string, string>, n: number): Promise<Outcome>;
}

/** What each caller should get: authentication failures before anything, then the scopes decide. */
function expected(endpoint: Endpoint, caller: Caller, action: Action): Outcome {
  switch (caller) {
    case "wrong origin":
      return "http 403";
    case "none":
      // WebSockets without credentials must authenticate in their first message; REST cannot.
      return endpoint.kind === "ws" ? "close 4001" : "http 401";
    case "malformed":
    case "wrong key":
    case "expired token":
    case "revoked key":
      return "http 401";
    case "read-only":
      return action === "read" ? "ok" : "forbidden";
    case "writer":
      return "ok";
  }
}

const isForbidden = (text: unknown) => typeof text === "string" && /not allowed|BG_ERR_AUTH_FORBIDDEN/.test(text);

/**
 * Opens a WebSocket with `headers`, sends `messages`, and judges the messages that come back
 * until `judge` decides, the socket closes, or 4 s pass.
 */
function wsProbe(
  url: string,
  headers: Record<string, string>,
  messages: readonly unknown[],
  judge: (m: Record<string, unknown>) => Outcome | undefined,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const { Origin, ...rest } = headers;
    const ws = new WebSocket(url, { headers: rest, ...(Origin ? { origin: Origin } : {}) });
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      resolve(outcome);
      ws.terminate();
    };
    const timer = setTimeout(() => done("timeout"), 4000);
    ws.on("unexpected-response", (_req, res) => done(`http ${res.statusCode}`));
    ws.on("error", () => {});
    ws.on("open", () => {
      for (const m of messages) ws.send(JSON.stringify(m));
    });
    ws.on("message", (data: Buffer, isBinary) => {
      if (isBinary) {
        done("ok"); // a camera frame
        return;
      }
      const outcome = judge(JSON.parse(data.toString()));
      if (outcome !== undefined) done(outcome);
    });
    ws.on("close", (code) => done(`close ${code}`));
  });
}

async function restProbe(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status === 403 && json.code === "BG_ERR_AUTH_FORBIDDEN") return "forbidden";
  return response.ok ? "ok" : `http ${response.status}`;
}

function endpoints(gw: Gw): Endpoint[] {
  const ws = gw.wsUrl;
  return [
    {
      name: "native",
      kind: "ws",
      actions: ["read", "write"],
      probe: (action, headers, n) =>
        wsProbe(
          `${ws}/api/v1/stream/multi`,
          headers,
          [
            action === "read"
              ? { type: "subscribe", id: "s", topic: `loc://native${n}(1)` }
              : { type: "put", id: "p", topic: `loc://native${n}`, value: n },
          ],
          (m) => {
            if (m.type === "error") return isForbidden(m.code) ? "forbidden" : `error ${m.code}`;
            if (m.type === "put_result")
              return m.status === "done" ? "ok" : isForbidden(m.code) ? "forbidden" : `put ${m.code}`;
            if (m.type === "data") return "ok";
            return undefined;
          },
        ),
    },
    {
      name: "/ws",
      kind: "ws",
      actions: ["read"],
      probe: (_action, headers, n) =>
        wsProbe(`${ws}/ws`, headers, [{ action: "subscribe", pv_names: [`loc://pvapi${n}(1)`] }], (m) => {
          if (m.type === "error") return isForbidden(m.message) ? "forbidden" : `error ${m.message}`;
          return m.type === "subscribed" ? "ok" : undefined;
        }),
    },
    {
      name: "pv-socket",
      kind: "ws",
      actions: ["read", "write"],
      probe: (action, headers, n) =>
        wsProbe(
          `${ws}/api/v1/pv-socket`,
          headers,
          [
            { action: "subscribe", pv: `loc://pv${n}(1)` },
            ...(action === "write" ? [{ action: "set", pv: `loc://pv${n}(1)`, value: 1000 + n }] : []),
          ],
          (m) => {
            if (m.error !== undefined) return isForbidden(m.error) ? "forbidden" : `error ${m.error}`;
            if (action === "read") return m.value !== undefined ? "ok" : undefined;
            return m.value === 1000 + n ? "ok" : undefined;
          },
        ),
    },
    {
      name: "device-socket",
      kind: "ws",
      actions: ["read", "write"],
      probe: (action, headers, n) =>
        wsProbe(
          `${ws}/api/v1/device-socket`,
          headers,
          [
            { action: "subscribe", device: "knob" },
            ...(action === "write" ? [{ action: "set", device: "knob", value: 2000 + n }] : []),
          ],
          (m) => {
            if (m.error !== undefined) return isForbidden(m.error) ? "forbidden" : `error ${m.error}`;
            if (action === "read") return m.value !== undefined ? "ok" : undefined;
            return m.value === 2000 + n ? "ok" : undefined;
          },
        ),
    },
    {
      name: "camera-socket",
      kind: "ws",
      actions: ["read"],
      probe: (_action, headers) =>
        wsProbe(`${ws}/api/v1/camera-socket`, headers, [{}], (m) => {
          if (m.error !== undefined) return isForbidden(m.error) ? "forbidden" : `error ${m.error}`;
          return "ok"; // the settings frame
        }),
    },
    {
      name: "qs-console-socket",
      kind: "ws",
      actions: ["read"],
      // No queue server runs: an accepted socket stays open and quiet; a refused one closes.
      probe: (_action, headers) =>
        Promise.race([
          wsProbe(`${ws}/api/v1/qs-console-socket`, headers, [], () => undefined),
          new Promise<Outcome>((resolve) => setTimeout(() => resolve("ok"), 1500)),
        ]),
    },
    {
      name: "REST",
      kind: "rest",
      actions: ["read", "write"],
      probe: (action, headers, n) =>
        action === "read"
          ? restProbe(`${gw.url}/api/v1/devices/knob`, "GET", headers)
          : restProbe(`${gw.url}/api/v1/pvs`, "PUT", headers, { pv: `loc://rest${n}`, set_value: n }),
    },
  ];
}

describe("access matrix: every endpoint × every caller", () => {
  let gw: Gw;
  const headers = new Map<Caller, Record<string, string>>();

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "bg-matrix-"));
    const keysFile = join(dir, "keys.json");
    const store = ApiKeyStore.open(keysFile);
    const reader = store.create({ scopes: ["read"], note: "matrix reader" }).key;
    const writer = store.create({ scopes: ["read", "write"], note: "matrix writer" }).key;
    const revoked = store.create({ scopes: ["read", "write"] });
    store.revoke(revoked.record.id);
    const devices = join(dir, "devices.yaml");
    writeFileSync(devices, 'knob: { kind: signal, read: "loc://knob(1)" }\n');
    gw = await startTestGateway({
      allowedOrigins: GOOD_ORIGIN,
      ophyd: { startupDir: devices },
      ca: { simIoc: "on", simIocPort: 0 },
      limits: { authTimeoutMs: 500 },
      security: {
        anonymous: "off",
        apiKeysFile: keysFile,
        jwt: { secret: SECRET },
        rules: "ALLOW READ *\nALLOW WRITE loc://*\n",
        auditFile: join(dir, "audit.log"),
      },
    });
    const expiredToken = await new SignJWT({ scope: "read write" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("late")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 600)
      .sign(new TextEncoder().encode(SECRET));
    const [wrongId] = reader.split("_").slice(1);
    headers.set("none", { Origin: GOOD_ORIGIN });
    headers.set("malformed", { Origin: GOOD_ORIGIN, Authorization: "Bearer not-a-token" });
    headers.set("wrong key", { Origin: GOOD_ORIGIN, Authorization: `Apikey bg_${wrongId}_${"A".repeat(43)}` });
    headers.set("expired token", { Origin: GOOD_ORIGIN, Authorization: `Bearer ${expiredToken}` });
    headers.set("revoked key", { Origin: GOOD_ORIGIN, Authorization: `Apikey ${revoked.key}` });
    headers.set("read-only", { Origin: GOOD_ORIGIN, Authorization: `Apikey ${reader}` });
    headers.set("writer", { Origin: GOOD_ORIGIN, Authorization: `Bearer ${writer}` });
    headers.set("wrong origin", { Origin: "https://evil.example.com", Authorization: `Apikey ${writer}` });
  });
  after(() => gw.close());

  it("gives every caller the outcome its credentials and scopes call for, on every endpoint", async () => {
    const cells: { endpoint: string; caller: Caller; action: Action; expected: Outcome; observed: Promise<Outcome> }[] =
      [];
    let n = 0;
    for (const endpoint of endpoints(gw)) {
      for (const caller of CALLERS) {
        for (const action of endpoint.actions) {
          cells.push({
            endpoint: endpoint.name,
            caller,
            action,
            expected: expected(endpoint, caller, action),
            observed: endpoint.probe(action, headers.get(caller) as Record<string, string>, n++),
          });
        }
      }
    }
    const observed = await Promise.all(cells.map((c) => c.observed));
    const table = cells.map((c, i) => `${c.endpoint} | ${c.caller} | ${c.action} | ${c.expected} | ${observed[i]}`);
    const wrong = cells.filter((c, i) => c.expected !== observed[i]);
    assert.equal(cells.length, 7 * 8 + 4 * 8, "every endpoint × caller × action is a cell");
    assert.deepEqual(
      wrong.map((c) => `${c.endpoint} | ${c.caller} | ${c.action}`),
      [],
      `cells that differ (endpoint | caller | action | expected | observed):\n${table.join("\n")}`,
    );
  });
});
