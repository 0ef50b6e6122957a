/**
 * TLS end to end: a gateway serving https and wss with a self-signed certificate made by the
 * `openssl` binary for the test (skipped when there is none).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../src/config/load.js";
import { startTestGateway } from "../helpers/gateway.js";
import { TestClient } from "../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

/** A self-signed certificate for 127.0.0.1 in a fresh folder, or why none could be made. */
function makeCertificate(): { dir: string; cert: string; key: string } | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), "beamgate-tls-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const args = [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-days",
    "1",
    "-keyout",
    key,
    "-out",
    cert,
  ];
  const run = spawnSync("openssl", args, { encoding: "utf8", timeout: 10_000 });
  if (run.error || run.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const why = run.error ? run.error.message : run.stderr.trim().split("\n")[0];
    return { skip: `no self-signed certificate (the openssl binary is needed): ${why}` };
  }
  return { dir, cert, key };
}

interface Answer {
  status: number;
  body: string;
}

function get(
  request: typeof httpsRequest | typeof httpRequest,
  url: string,
  options: { ca?: Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, timeout: 3000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

const made = makeCertificate();

describe("TLS", { skip: "skip" in made ? made.skip : false }, () => {
  const files = made as { dir: string; cert: string; key: string };
  let gw: Gw;
  let ca: Buffer;

  before(async () => {
    ca = readFileSync(files.cert);
    gw = await startTestGateway({ tls: { cert: files.cert, key: files.key } });
  });
  after(async () => {
    await gw?.close();
    rmSync(files.dir, { recursive: true, force: true });
  });

  it("announces an https URL (and a wss one)", () => {
    assert.match(gw.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(gw.wsUrl, /^wss:\/\//);
  });

  it("serves GET /health over https, with the configured certificate", async () => {
    const r = await get(httpsRequest, `${gw.url}/health`, { ca });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).status, "ok");
    await assert.rejects(get(httpsRequest, `${gw.url}/health`), /self[- ]signed/i, "not a certificate Node trusts");
  });

  it("accepts wss connections on /api/v1/stream/multi", async () => {
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`, { ca });
    assert.equal((await c.next((m) => m.type === "connection_ack")).server, "beamgate");
    c.send({ type: "ping", id: "tls" });
    assert.deepEqual(await c.next((m) => m.type === "pong"), { type: "pong", id: "tls" });
    assert.equal(gw.server.connectionCount, 1);
    await c.close();
  });

  it("answers nothing to plain http on the TLS port", async () => {
    const plain = gw.url.replace(/^https:/, "http:");
    // The port is open (not ECONNREFUSED): the TLS server drops what is not a TLS handshake.
    const dropped = (e: NodeJS.ErrnoException) => e.code === "ECONNRESET" || e.code === "EPIPE";
    await assert.rejects(get(httpRequest, `${plain}/health`), dropped);
    await assert.rejects(TestClient.connect(`${plain.replace(/^http:/, "ws:")}/api/v1/stream/multi`), dropped);
    // And it goes on serving TLS clients.
    assert.equal((await get(httpsRequest, `${gw.url}/health`, { ca })).status, 200);
  });
});

describe("TLS configuration", () => {
  it("refuses a certificate without its key, or a key without its certificate", () => {
    const halves: Record<string, string>[] = [
      { "tls.cert": "/etc/beamgate/cert.pem" },
      { "tls.key": "/etc/beamgate/key.pem" },
    ];
    for (const flags of halves) {
      assert.throws(() => loadConfig({ flags }), {
        code: "BG_ERR_CONFIG_INVALID",
        message: /^invalid value for tls: tls\.cert and tls\.key go together/,
      });
    }
    const both = loadConfig({ flags: { "tls.cert": "/c.pem", "tls.key": "/k.pem" } });
    assert.deepEqual(both.tls, { cert: "/c.pem", key: "/k.pem" });
  });

  it("stops start-up, before listening, when a TLS file cannot be read", async () => {
    const missing = join(tmpdir(), "beamgate-no-such-dir", "cert.pem");
    await assert.rejects(startTestGateway({ tls: { cert: missing, key: missing } }), {
      code: "BG_ERR_CONFIG_FILE",
      message: new RegExp(`TLS certificate ${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    });
  });
});
