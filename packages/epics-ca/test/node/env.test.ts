import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CaEnvironmentError, caClientOptionsFromEnv, caServerOptionsFromEnv } from "../../src/node/env.js";

describe("EPICS environment variables", () => {
  it("takes libca's defaults when nothing is set", () => {
    const client = caClientOptionsFromEnv({ EPICS_CA_AUTO_ADDR_LIST: "NO" });
    assert.deepEqual(client, {
      addressList: [],
      serverPort: 5064,
      repeaterPort: 5065,
      maxArrayBytes: 16 * 1024 * 1024,
      connectionTimeoutMs: 30_000,
      maxSearchIntervalMs: 300_000,
      beaconPeriodMs: 15_000,
    });
  });

  it("reads every client variable", () => {
    const client = caClientOptionsFromEnv({
      EPICS_CA_ADDR_LIST: " 10.0.0.255  ioc1:5070 ",
      EPICS_CA_AUTO_ADDR_LIST: "no",
      EPICS_CA_SERVER_PORT: "6064",
      EPICS_CA_REPEATER_PORT: "6065",
      EPICS_CA_MAX_ARRAY_BYTES: "100000",
      EPICS_CA_CONN_TMO: "2.5",
      EPICS_CA_MAX_SEARCH_PERIOD: "10",
      EPICS_CA_BEACON_PERIOD: "1",
    });
    assert.deepEqual(client.addressList, ["10.0.0.255", "ioc1:5070"]);
    assert.equal(client.serverPort, 6064);
    assert.equal(client.repeaterPort, 6065);
    assert.equal(client.maxArrayBytes, 100_000);
    assert.equal(client.connectionTimeoutMs, 2500);
    assert.equal(client.maxSearchIntervalMs, 60_000, "libca's floor for the search period is 60 s");
    assert.equal(client.beaconPeriodMs, 1000);
  });

  it("adds the interfaces' broadcast addresses with EPICS_CA_AUTO_ADDR_LIST=YES", () => {
    const client = caClientOptionsFromEnv({ EPICS_CA_ADDR_LIST: "10.1.2.3" });
    assert.equal(client.addressList[0], "10.1.2.3");
    for (const address of client.addressList.slice(1)) assert.match(address, /^\d+\.\d+\.\d+\.\d+$/);
  });

  it("serves on loopback by default and beacons there", () => {
    const server = caServerOptionsFromEnv({});
    assert.equal(server.host, "127.0.0.1");
    assert.equal(server.port, 5064);
    assert.deepEqual(server.beaconAddressList, ["127.0.0.1"]);
    assert.equal(server.beaconPort, 5065);
    assert.equal(server.beaconPeriodMs, 15_000);
  });

  it("reads every server variable, the CAS ones before the CA ones", () => {
    const server = caServerOptionsFromEnv({
      EPICS_CAS_INTF_ADDR_LIST: "127.0.0.2",
      EPICS_CAS_SERVER_PORT: "7064",
      EPICS_CA_SERVER_PORT: "6064",
      EPICS_CAS_BEACON_ADDR_LIST: "10.0.0.255:7065",
      EPICS_CA_ADDR_LIST: "10.9.9.9",
      EPICS_CAS_AUTO_BEACON_ADDR_LIST: "NO",
      EPICS_CAS_BEACON_PORT: "7066",
      EPICS_CAS_BEACON_PERIOD: "3",
    });
    assert.equal(server.host, "127.0.0.2");
    assert.equal(server.port, 7064);
    assert.deepEqual(server.beaconAddressList, ["10.0.0.255:7065"]);
    assert.equal(server.beaconPort, 7066);
    assert.equal(server.beaconPeriodMs, 3000);
    assert.equal(caServerOptionsFromEnv({ EPICS_CA_SERVER_PORT: "6064" }).port, 6064);
    assert.deepEqual(
      caServerOptionsFromEnv({ EPICS_CA_ADDR_LIST: "10.9.9.9", EPICS_CA_AUTO_ADDR_LIST: "NO" }).beaconAddressList,
      ["10.9.9.9"],
    );
  });

  it("names the variable and the value that do not parse", () => {
    const bad: [string, string][] = [
      ["EPICS_CA_AUTO_ADDR_LIST", "maybe"],
      ["EPICS_CA_SERVER_PORT", "70000"],
      ["EPICS_CA_SERVER_PORT", "http"],
      ["EPICS_CA_MAX_ARRAY_BYTES", "-1"],
      ["EPICS_CA_CONN_TMO", "soon"],
    ];
    for (const [name, value] of bad) {
      assert.throws(
        () => caClientOptionsFromEnv({ [name]: value }),
        (e: Error) => e instanceof CaEnvironmentError && e.message.includes(name) && e.message.includes(value),
      );
    }
  });
});
