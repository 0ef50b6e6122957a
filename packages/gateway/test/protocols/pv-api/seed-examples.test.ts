/**
 * The seed document's own JavaScript (in a real Chromium) and Python (with the `websockets`
 * package) examples run unmodified against /ws, apart from the server URL. Bare PV names such as
 * QUAD:LI21:201:BDES become local PVs (default scheme `loc`) so the test can change them.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { launchChromium, skipWithoutChromium } from "../../helpers/browser.js";
import { startTestGateway } from "../../helpers/gateway.js";
import { javascriptExample, pythonExample } from "../../helpers/seed.js";
import { TestClient } from "../../helpers/ws-client.js";

const PYTHON = "/usr/bin/python3"; // Debian's, where python3-websockets installs
const hasWebsockets = spawnSync(PYTHON, ["-c", "import websockets"]).status === 0;
// In CI (.ci/run installs both) a missing tool is a failure, not a reason to skip.
const skipUnlessCi = (ok: boolean, what: string) => (ok || process.env.CI ? false : `${what} is not installed`);

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

async function put(gw: Gw, topic: string, value: number): Promise<void> {
  const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
  c.send({ type: "put", id: 1, topic, value });
  assert.equal((await c.next((m) => m.type === "put_result")).status, "done");
  await c.close();
}

async function waitFor(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; got: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("seed 003 examples against /ws", () => {
  let gw: Gw;
  before(async () => {
    gw = await startTestGateway({ defaultScheme: "loc" });
  });
  after(() => gw.close());

  it("the JavaScript example runs in Chromium", { skip: skipWithoutChromium }, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const logs: string[] = [];
      // The example runs in a page of an allowed origin (here the gateway's own), as in an application.
      await page.goto(`${gw.url}/health`);
      page.on("console", (m) => logs.push(m.text()));
      await page.evaluate(javascriptExample(`${gw.wsUrl}/ws`));
      await waitFor(
        () => logs.some((l) => l.startsWith("Subscribed to:")),
        5000,
        () => logs.join(" | "),
      );
      assert.ok(logs.includes("Connected to WebSocket"));
      assert.match(logs.find((l) => l.startsWith("Subscribed to:")) ?? "", /QUAD:LI21:201:BDES/);
      await put(gw, "loc://QUAD:LI21:201:BDES", 42.5);
      await waitFor(
        () => logs.includes("QUAD:LI21:201:BDES = 42.5"),
        5000,
        () => logs.join(" | "),
      );
      assert.ok(!logs.some((l) => l.startsWith("WebSocket error")), logs.join(" | "));
    } finally {
      await browser.close();
    }
  });

  it("the Python example runs with the websockets package", {
    skip: skipUnlessCi(hasWebsockets, "python3-websockets"),
  }, async () => {
    const child = spawn(PYTHON, ["-u", "-c", pythonExample(`${gw.wsUrl}/ws`)]);
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      err += c;
    });
    try {
      await waitFor(
        () => out.includes("Subscribed to:"),
        10_000,
        () => out + err,
      );
      assert.match(out, /Subscribed to: \['QUAD:LI21:201:BDES', 'QUAD:LI21:201:BACT'\]/);
      await put(gw, "loc://QUAD:LI21:201:BACT", 7);
      await waitFor(
        () => out.includes("QUAD:LI21:201:BACT = 7"),
        5000,
        () => out + err,
      );
    } finally {
      child.kill();
    }
  });
});
