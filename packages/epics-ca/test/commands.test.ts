import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CaMessage,
  CaProtocolError,
  decodeMessage,
  encodeMessages,
  encodeMonitorUpdate,
} from "../src/commands.js";
import { readHeader } from "../src/header.js";
import { decodeDatagram, MessageReader } from "../src/message-reader.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const DATA = Uint8Array.from([0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);

/** One of every message, in both directions where the command has both. */
const ALL: CaMessage[] = [
  { command: "VERSION", direction: "request", priority: 1, version: 13 },
  { command: "VERSION", direction: "response", version: 13 },
  { command: "SEARCH", direction: "request", name: "SIM:m1.RBV", cid: 7, version: 13, reply: 5 },
  { command: "SEARCH", direction: "response", port: 5064, serverAddress: 0xffffffff, cid: 7, version: 13 },
  { command: "NOT_FOUND", direction: "response", reply: 10, version: 13, cid: 7 },
  { command: "CREATE_CHAN", direction: "request", name: "SIM:m1", cid: 1, version: 13 },
  { command: "CREATE_CHAN", direction: "response", dataType: 6, dataCount: 1, cid: 1, sid: 42 },
  { command: "CREATE_CH_FAIL", direction: "response", cid: 1 },
  { command: "ACCESS_RIGHTS", direction: "response", cid: 1, accessRights: 3 },
  { command: "CLEAR_CHANNEL", direction: "request", sid: 42, cid: 1 },
  { command: "CLEAR_CHANNEL", direction: "response", sid: 42, cid: 1 },
  { command: "READ_NOTIFY", direction: "request", dataType: 20, dataCount: 1, sid: 42, ioid: 3 },
  { command: "READ_NOTIFY", direction: "response", dataType: 6, dataCount: 1, status: 1, ioid: 3, data: DATA },
  { command: "WRITE", direction: "request", dataType: 6, dataCount: 1, sid: 42, ioid: 4, data: DATA },
  { command: "WRITE_NOTIFY", direction: "request", dataType: 6, dataCount: 1, sid: 42, ioid: 5, data: DATA },
  { command: "WRITE_NOTIFY", direction: "response", dataType: 6, dataCount: 1, status: 1, ioid: 5 },
  { command: "EVENT_ADD", direction: "request", dataType: 20, dataCount: 0, sid: 42, subscriptionId: 9, mask: 5 },
  { command: "EVENT_ADD", direction: "response", dataType: 6, dataCount: 1, status: 1, subscriptionId: 9, data: DATA },
  { command: "EVENT_CANCEL", direction: "request", dataType: 20, dataCount: 0, sid: 42, subscriptionId: 9 },
  { command: "EVENTS_OFF", direction: "request" },
  { command: "EVENTS_ON", direction: "request" },
  { command: "ECHO", direction: "request" },
  { command: "ECHO", direction: "response" },
  { command: "ERROR", direction: "response", cid: 1, status: 72, request: new Uint8Array(16), message: "too large" },
  { command: "SERVER_DISCONN", direction: "response", cid: 1 },
  { command: "CLIENT_NAME", direction: "request", name: "operator" },
  { command: "HOST_NAME", direction: "request", name: "console1" },
  { command: "RSRV_IS_UP", direction: "response", version: 13, port: 5064, beaconId: 77, serverAddress: 0x7f000001 },
  { command: "REPEATER_REGISTER", direction: "request", clientAddress: 0x7f000001 },
  { command: "REPEATER_CONFIRM", direction: "response", repeaterAddress: 0x7f000001 },
];

describe("CA commands", () => {
  it("round-trips every command through bytes", () => {
    for (const m of ALL) {
      const bytes = encodeMessages(m);
      assert.equal(bytes.length % 8, 0);
      const read = readHeader(new DataView(bytes.buffer), 0);
      assert.ok("header" in read);
      const back = decodeMessage(read.header, bytes.subarray(read.size), m.direction);
      assert.deepEqual(back, m, `${m.command} ${m.direction}`);
    }
  });

  it("encodes requests byte for byte as the specification lays them out", () => {
    // header: command, payload size, data type, data count, parameter 1, parameter 2
    assert.equal(
      hex(encodeMessages({ command: "VERSION", direction: "request", priority: 0, version: 13 })),
      ["0000", "0000", "0000", "000d", "00000000", "00000000"].join(""),
    );
    assert.equal(
      hex(encodeMessages({ command: "CREATE_CHAN", direction: "request", name: "SIM:m1", cid: 1, version: 13 })),
      ["0012", "0008", "0000", "0000", "00000001", "0000000d", hex(Buffer.from("SIM:m1\0\0"))].join(""),
    );
    assert.equal(
      hex(encodeMessages({ command: "SEARCH", direction: "request", name: "XYZ", cid: 5, version: 13, reply: 5 })),
      ["0006", "0008", "0005", "000d", "00000005", "00000005", hex(Buffer.from("XYZ\0\0\0\0\0"))].join(""),
    );
    assert.equal(
      hex(
        encodeMessages({
          command: "EVENT_ADD",
          direction: "request",
          dataType: 20,
          dataCount: 1,
          sid: 2,
          subscriptionId: 3,
          mask: 5,
        }),
      ),
      // payload: three obsolete float32 (0), the mask, two bytes of padding
      ["0001", "0010", "0014", "0001", "00000002", "00000003", "000000000000000000000000", "0005", "0000"].join(""),
    );
  });

  it("encodes a monitor update on the fast path exactly as the general encoder does", () => {
    for (const [dataType, dataCount, size] of [
      [20, 1, 24],
      [34, 1, 13], // padded to 16
      [6, 100_000, 800_000], // extended header
      [6, 0, 0], // a failed update: status, no data
    ] as const) {
      const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      const message: CaMessage = {
        command: "EVENT_ADD",
        direction: "response",
        dataType,
        dataCount,
        status: 1,
        subscriptionId: 0xfedcba98,
        data,
      };
      assert.deepEqual(encodeMonitorUpdate(dataType, dataCount, 1, 0xfedcba98, data), encodeMessages(message));
    }
  });

  it("uses the extended header for large payloads", () => {
    const data = new Uint8Array(80_000);
    const bytes = encodeMessages({
      command: "WRITE",
      direction: "request",
      dataType: 6,
      dataCount: 10_000,
      sid: 1,
      ioid: 2,
      data,
    });
    assert.equal(bytes.length, 24 + 80_000);
    const [m] = decodeDatagram(bytes, "request", 100_000);
    assert.equal(m?.command, "WRITE");
    assert.equal(m?.command === "WRITE" && m.data.length, 80_000);
  });

  it("rejects unknown commands and empty channel names", () => {
    const bad = encodeMessages({ command: "ECHO", direction: "request" });
    bad[1] = 99;
    assert.throws(() => decodeDatagram(bad, "request"), CaProtocolError);
    const empty = encodeMessages({ command: "CREATE_CHAN", direction: "request", name: "", cid: 1, version: 13 });
    assert.throws(() => decodeDatagram(empty, "request"), CaProtocolError);
  });
});

describe("MessageReader", () => {
  it("reassembles messages split at every byte", () => {
    const stream = encodeMessages(...ALL.filter((m) => m.direction === "response"));
    const reader = new MessageReader("response", 1 << 20);
    const got: CaMessage[] = [];
    for (const byte of stream) got.push(...reader.feed(Uint8Array.of(byte)));
    assert.equal(got.length, ALL.filter((m) => m.direction === "response").length);
    assert.equal(reader.buffered, 0);
  });

  it("refuses a payload over the limit from its header alone, before it arrives", () => {
    const reader = new MessageReader("response", 16_384);
    const header = new Uint8Array(24);
    const view = new DataView(header.buffer);
    view.setUint16(0, 1);
    view.setUint16(2, 0xffff);
    view.setUint32(16, 0x7fffffff); // claims 2 GB
    assert.throws(() => reader.feed(header), /exceeds the limit/);
  });

  it("never throws anything but CaProtocolError on random and mutated input", () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const valid = encodeMessages(...ALL.filter((m) => m.direction === "request"));
    for (let round = 0; round < 2000; round++) {
      const bytes = round % 2 ? Uint8Array.from(valid) : new Uint8Array(random() % 200);
      if (round % 2) for (let k = 0; k < 4; k++) bytes[random() % bytes.length] = random() & 0xff;
      else for (let i = 0; i < bytes.length; i++) bytes[i] = random() & 0xff;
      try {
        new MessageReader("request", 4096).feed(bytes);
      } catch (e) {
        assert.ok(e instanceof CaProtocolError, String(e));
      }
    }
  });
});
