import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { BeamgateError } from "../../src/errors.js";
import { defaultRules, loadRulesFile, Policy, watchRulesFile } from "../../src/security/policy.js";
import { ANONYMOUS, type Principal } from "../../src/security/principal.js";

function user(name: string, more: Partial<Principal> = {}): Principal {
  return { kind: "token", name, groups: [], scopes: ["read", "write"], ...more };
}

function apiKey(name: string, topics: string[]): Principal {
  return { kind: "apikey", name, groups: [], scopes: ["read", "write"], topics, keyId: name };
}

const alice = user("alice");

describe("Policy", () => {
  it("lets the last matching rule decide", () => {
    const general = Policy.fromText("DENY WRITE ca://*\nALLOW WRITE ca://SR:C01:*", "rules.txt");
    assert.equal(general.may(alice, "write", "ca://SR:C01:BPM1:X"), true);
    assert.equal(general.may(alice, "write", "ca://SR:C02:BPM1:X"), false);
    const reversed = Policy.fromText("ALLOW WRITE ca://SR:C01:*\nDENY WRITE ca://*", "rules.txt");
    assert.equal(reversed.may(alice, "write", "ca://SR:C01:BPM1:X"), false);
  });

  it("lets a DENY after an ALLOW take back part of it", () => {
    const policy = Policy.fromText("ALLOW READ *\nDENY READ console://*", "rules.txt");
    assert.equal(policy.may(alice, "read", "sim://sine"), true);
    assert.equal(policy.may(alice, "read", "console://queue-server"), false);
    assert.equal(
      policy.why(alice, "read", "console://queue-server"),
      "read of console://queue-server is not allowed for user alice (rule rules.txt:2)",
    );
  });

  it("keeps READ and WRITE apart", () => {
    const policy = Policy.fromText("ALLOW READ sim://*\nALLOW WRITE loc://*\nALLOW ANY ca://SIM:*", "rules.txt");
    assert.equal(policy.may(alice, "read", "sim://sine"), true);
    assert.equal(policy.may(alice, "write", "sim://sine"), false);
    assert.equal(policy.may(alice, "read", "loc://setpoint"), false);
    assert.equal(policy.may(alice, "write", "loc://setpoint"), true);
    assert.equal(policy.may(alice, "read", "ca://SIM:m1"), true);
    assert.equal(policy.may(alice, "write", "ca://SIM:m1"), true);
  });

  it("applies a rule only to the principals it names", () => {
    const policy = Policy.fromText(
      [
        "ALLOW READ user://* user:alice",
        "ALLOW READ group://* group:ops",
        "ALLOW READ scope://* scope:write",
        "ALLOW READ anon://* anonymous",
        "ALLOW READ auth://* authenticated",
        "ALLOW READ either://* user:bob group:ops",
      ].join("\n"),
      "rules.txt",
    );
    const bob = user("bob");
    const carol = user("carol", { groups: ["ops"], scopes: ["read"] });
    const key = apiKey("k1", ["*"]);
    const may = (p: Principal, uri: string) => policy.may(p, "read", uri);
    assert.deepEqual(
      [alice, bob, carol, key, ANONYMOUS].map((p) => ({
        user: may(p, "user://x"),
        group: may(p, "group://x"),
        scope: may(p, "scope://x"),
        anon: may(p, "anon://x"),
        auth: may(p, "auth://x"),
        either: may(p, "either://x"),
      })),
      [
        { user: true, group: false, scope: true, anon: false, auth: true, either: false },
        { user: false, group: false, scope: true, anon: false, auth: true, either: true },
        { user: false, group: true, scope: false, anon: false, auth: true, either: true },
        { user: false, group: false, scope: true, anon: false, auth: true, either: false },
        { user: false, group: false, scope: true, anon: true, auth: false, either: false },
      ],
    );
  });

  it("never lets a principal do what its scopes leave out, whatever the rules say", () => {
    const policy = Policy.fromText("ALLOW ANY *", "rules.txt");
    const reader = user("alice", { scopes: ["read"] });
    assert.equal(policy.may(reader, "read", "loc://x"), true);
    assert.equal(policy.may(reader, "write", "loc://x"), false);
    assert.equal(
      policy.why(reader, "write", "loc://x"),
      "write to loc://x is not allowed for user alice (the credentials lack the write scope)",
    );
    assert.equal(policy.may(user("w", { scopes: ["write"] }), "read", "loc://x"), false);
  });

  it("limits an API key to its topics", () => {
    const policy = Policy.fromText("ALLOW ANY *", "rules.txt");
    const key = apiKey("k1", ["sim://*", "re:ca://SR:C0[12]:.*"]);
    assert.equal(policy.may(key, "read", "sim://sine"), true);
    assert.equal(policy.may(key, "write", "ca://SR:C02:X"), true);
    assert.equal(policy.may(key, "read", "ca://SR:C03:X"), false);
    assert.equal(policy.may(key, "read", "loc://x"), false);
    assert.equal(
      policy.why(key, "read", "loc://x"),
      "read of loc://x is not allowed for API key k1 (outside the API key's topics)",
    );
    assert.equal(policy.may(apiKey("k2", []), "read", "sim://sine"), false);
    assert.equal(policy.may(apiKey("k3", ["re:("]), "read", "sim://sine"), false);
  });

  it("refuses what no rule allows", () => {
    assert.equal(new Policy().may(alice, "read", "sim://sine"), false);
    const policy = Policy.fromText("ALLOW READ *", "/etc/beamgate/rules.txt");
    assert.equal(policy.may(alice, "write", "ca://X"), false);
    assert.equal(
      policy.why(alice, "write", "ca://X"),
      "write to ca://X is not allowed for user alice (no rule allows it)",
    );
    assert.equal(
      policy.why(ANONYMOUS, "read", "ca://X"),
      "read of ca://X is allowed for anonymous clients (rule rules.txt:1)",
    );
  });

  it("replaces its rules", () => {
    const policy = Policy.fromText("ALLOW READ *", "rules.txt");
    policy.replace(Policy.fromText("ALLOW WRITE loc://*", "new.txt").rules);
    assert.equal(policy.may(alice, "read", "sim://sine"), false);
    assert.equal(policy.may(alice, "write", "loc://x"), true);
  });
});

describe("defaultRules", () => {
  it("lets everyone read everything and write only under the given prefixes", () => {
    const policy = Policy.fromText(defaultRules({ writablePrefixes: ["sim://", "loc://", "ca://SIM:"] }), "builtin");
    for (const uri of ["ca://SR:C01:BPM1:X", "sim://sine", "loc://setpoint", "console://queue-server"]) {
      assert.equal(policy.may(ANONYMOUS, "read", uri), true, uri);
    }
    for (const uri of ["sim://sine", "loc://setpoint", "ca://SIM:m1"]) {
      assert.equal(policy.may(ANONYMOUS, "write", uri), true, uri);
    }
    for (const uri of ["ca://SR:C01:BPM1:X", "ca://SIMX:m1", "console://queue-server", "xsim://sine"]) {
      assert.equal(policy.may(ANONYMOUS, "write", uri), false, uri);
    }
  });

  it("writes nothing writable without prefixes, and refuses a prefix that is not one literal word", () => {
    const policy = Policy.fromText(defaultRules({ writablePrefixes: [] }), "builtin");
    assert.equal(policy.may(alice, "write", "sim://sine"), false);
    for (const prefix of ["", "ca://A B", "ca://*", "loc://?"]) {
      assert.throws(() => defaultRules({ writablePrefixes: [prefix] }), { code: "BG_ERR_CONFIG_INVALID" }, prefix);
    }
  });
});

describe("rules files", () => {
  const dir = mkdtempSync(join(tmpdir(), "beamgate-rules-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("loads a file, naming it when it cannot be read or parsed", () => {
    const path = join(dir, "load.txt");
    writeFileSync(path, "ALLOW READ *\nALLOW WRITE loc://*\n");
    assert.deepEqual(
      loadRulesFile(path).map((r) => [r.source, r.line]),
      [
        [path, 1],
        [path, 2],
      ],
    );
    const missing = join(dir, "missing.txt");
    assert.throws(
      () => loadRulesFile(missing),
      (e: BeamgateError) => {
        assert.equal(e.code, "BG_ERR_CONFIG_FILE");
        assert.ok(e.message.includes(missing), e.message);
        return true;
      },
    );
    writeFileSync(path, "ALLOW READ *\nALLOW SING *\n");
    assert.throws(() => loadRulesFile(path), { code: "BG_ERR_CONFIG_INVALID", message: new RegExp(`^${path}:2: `) });
  });

  it("picks up a change and keeps the old rules on a bad one", async () => {
    const path = join(dir, "watched.txt");
    writeFileSync(path, "ALLOW READ *\n");
    const policy = new Policy(loadRulesFile(path));
    const errors: BeamgateError[] = [];
    let reloads = 0;
    const stop = watchRulesFile(
      path,
      (rules) => {
        policy.replace(rules);
        reloads++;
      },
      (e) => errors.push(e),
    );
    try {
      await sleep(100); // let the watcher take its first look at the file
      writeFileSync(path, "ALLOW READ *\nALLOW WRITE loc://*\n");
      await until(() => reloads === 1);
      assert.equal(policy.may(alice, "write", "loc://x"), true);

      writeFileSync(path, "ALLOW READ *\nALLOW WRITE loc://*\nALLOW WRITE re:(\n");
      await until(() => errors.length === 1);
      assert.equal(errors[0]?.code, "BG_ERR_CONFIG_INVALID");
      assert.match(errors[0]?.message ?? "", /watched\.txt:3: /);
      assert.equal(reloads, 1);
      assert.equal(policy.may(alice, "write", "loc://x"), true);

      writeFileSync(path, "ALLOW READ *\n");
      await until(() => reloads === 2);
      assert.equal(policy.may(alice, "write", "loc://x"), false);
    } finally {
      stop();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the rules file to be reread");
    await sleep(20);
  }
}
