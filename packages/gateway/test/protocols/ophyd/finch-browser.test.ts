/**
 * A web application written against ophyd-websocket works unchanged: in a real Chromium, a page
 * served from an allowed origin runs the message handling of finch's `useOphydPVSocket` hook (one
 * `subscribe` per PV, meta frames merged with `min`/`max` from the control limits, value frames
 * merged by `pv`, `set` without a timeout) against beamgate's pv-socket and the simulated IOC.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { launchChromium, skipWithoutChromium } from "../../helpers/browser.js";
import { startTestGateway } from "../../helpers/gateway.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

/** finch's hook, reduced to what it does with the socket, as a page script. */
function finchLike(url: string, names: string[]): string {
  return `(() => {
    const state = {};
    for (const name of ${JSON.stringify(names)}) state[name] = { name, value: "", connected: false, pv: name };
    const ws = new WebSocket(${JSON.stringify(url)});
    window.finch = { state, errors: [], set: (pv, value) => ws.send(JSON.stringify({ action: "set", pv, value })) };
    ws.onopen = () => { for (const pv of Object.keys(state)) ws.send(JSON.stringify({ action: "subscribe", pv })); };
    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if ("sub_type" in msg && msg.sub_type === "meta") {
        state[msg.pv] = { ...state[msg.pv], ...msg, min: msg.lower_ctrl_limit, max: msg.upper_ctrl_limit };
      } else if ("pv" in msg) {
        if (msg.pv in state) state[msg.pv] = { ...state[msg.pv], ...msg };
      } else if ("error" in msg) {
        window.finch.errors.push(msg.error);
      }
    };
  })()`;
}

describe("a finch-style page against the pv-socket", () => {
  let gw: Gw;
  before(async () => {
    gw = await startTestGateway({ ca: { simIoc: "on", simIocPort: 0 } }, {});
  });
  after(() => gw.close());

  it("shows connected PVs with limits and units, and moves a motor", { skip: skipWithoutChromium }, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${gw.url}/health`); // a page of an allowed origin
      await page.evaluate(finchLike(`${gw.wsUrl}/api/v1/pv-socket`, ["SIM:m1", "SIM:m1.RBV", "13SIM1:cam1:ColorMode"]));
      // Page-side code is given as text: these tests compile without the DOM's types.
      const state = (): Promise<Record<string, Record<string, unknown>>> => page.evaluate("window.finch.state");
      const ready = "Object.values(window.finch.state).every((s) => s.connected && s.timestamp)";
      await page.waitForFunction(ready, undefined, { timeout: 10_000 });
      const shown = await state();
      const m1 = shown["SIM:m1"] as Record<string, unknown>;
      assert.equal(m1.units, "mm");
      assert.equal(m1.min, -25);
      assert.equal(m1.max, 25);
      assert.equal(m1.write_access, true);
      assert.equal(shown["SIM:m1.RBV"]?.write_access, false);
      assert.ok(Array.isArray(shown["13SIM1:cam1:ColorMode"]?.enum_strs), "enum labels from the meta frame");

      await page.evaluate('window.finch.set("SIM:m1", 0.2)');
      await page.waitForFunction('window.finch.state["SIM:m1.RBV"].value === 0.2', undefined, { timeout: 10_000 });
      assert.deepEqual(await page.evaluate("window.finch.errors"), []);
    } finally {
      await browser.close();
    }
  });
});
