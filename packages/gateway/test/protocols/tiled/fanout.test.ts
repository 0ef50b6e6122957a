/** 1000 subscribers on one dataset node: each gets every update, in order, as the same bytes. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { startTestGateway } from "../../helpers/gateway.js";
import { i64, TiledHttp } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
const SUBSCRIBERS = 1000;
const APPENDS = 5;

describe("Tiled stream: 1000 subscribers on one node", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    await http.createArray("", "wide", { shape: [0], chunks: [[0]] });
  });
  after(() => gw.close());

  it("delivers every append to every subscriber, in order, byte-identical", { timeout: 60_000 }, async () => {
    const url = `${gw.wsUrl}/api/v1/stream/single/wide?envelope_format=msgpack`;
    const received: Buffer[][] = [];
    const sockets: WebSocket[] = [];
    let complete = 0;
    let allDone: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    await Promise.all(
      Array.from(
        { length: SUBSCRIBERS },
        (_, i) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(url);
            const frames: Buffer[] = [];
            received[i] = frames;
            sockets.push(ws);
            ws.on("message", (data: Buffer) => {
              frames.push(data);
              if (frames.length === 1) resolve(); // the schema: subscribed
              if (frames.length === APPENDS + 1 && ++complete === SUBSCRIBERS) allDone();
            });
            ws.on("error", reject);
          }),
      ),
    );
    for (let n = 0; n < APPENDS; n++) {
      await http.expect(200, "PATCH", `/array/full/wide?offset=${n * 2}&shape=2&extend=true`, i64(n, -n), {
        "content-type": "application/octet-stream",
      });
    }
    await done;
    const reference = received[0] as Buffer[];
    assert.equal(reference.length, APPENDS + 1);
    for (const frames of received) {
      assert.equal(frames.length, APPENDS + 1);
      frames.forEach((f, k) => {
        assert.ok(f.equals(reference[k] as Buffer), "identical bytes, in the same order");
      });
    }
    for (const ws of sockets) ws.terminate();
  });
});
