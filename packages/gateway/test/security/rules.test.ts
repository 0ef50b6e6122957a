import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRules } from "../../src/security/rules.js";
import { compileTopicPattern } from "../../src/security/topic-pattern.js";

function check(pattern: string, yes: string[], no: string[]): void {
  const matches = compileTopicPattern(pattern);
  for (const uri of yes) assert.equal(matches(uri), true, `${pattern} should match ${uri}`);
  for (const uri of no) assert.equal(matches(uri), false, `${pattern} should not match ${uri}`);
}

describe("compileTopicPattern", () => {
  it("lets `*` run across `:` and `/`", () => {
    check("ca://SR:*", ["ca://SR:C01:BPM1:X", "ca://SR:"], ["ca://SR", "ca://BR:C01"]);
    check("*", ["", "sim://sine", "console://queue-server"], []);
    check("*://setpoint", ["loc://setpoint", "sim://setpoint"], ["loc://setpoint2"]);
    check("ca://*:X", ["ca://SR:C01:BPM1:X"], ["ca://SR:C01:BPM1:Y"]);
  });

  it("matches the whole URI", () => {
    check("ca://SR*", ["ca://SR1"], ["xca://SR1"]);
    check("ca://SR", ["ca://SR"], ["ca://SR1", "xca://SR"]);
    check("*X", ["ca://X"], ["ca://X1"]);
  });

  it("takes `?` for one character and everything else literally, case and all", () => {
    check("loc://x(?)", ["loc://x(5)"], ["loc://x()", "loc://x(55)"]);
    check("ca://A.B", ["ca://A.B"], ["ca://AxB"]);
    check("sim://sine(0,1,0.1)", ["sim://sine(0,1,0.1)"], ["sim://sine(0,1,0x1)"]);
    check("loc://a+b[c]{2}|^$\\d", ["loc://a+b[c]{2}|^$\\d"], ["loc://aab[c]{2}|^$\\d", "loc://abc"]);
    check("ca://sr:*", ["ca://sr:1"], ["ca://SR:1"]);
    check("loc://?", ["loc://\u{1F600}"], ["loc://", "loc://ab"]);
  });

  it("treats a run of stars as one", () => {
    check("a**b", ["ab", "axyzb"], ["abx"]);
    check("a*b*c", ["abc", "a-b-b-c"], ["acb"]);
  });

  it("stays fast on a glob that would make a naive regex backtrack", () => {
    const matches = compileTopicPattern("*a*a*a*a*a*b");
    const long = "a".repeat(100_000);
    const start = performance.now();
    assert.equal(matches(long), false);
    assert.equal(matches(`${long}b`), true);
    assert.equal(matches(`${long}ba`), false);
    assert.ok(performance.now() - start < 500, `took ${performance.now() - start} ms`);
  });

  it("anchors `re:` patterns at both ends", () => {
    check("re:ca://SR:C0[1-4]:.*", ["ca://SR:C02:X"], ["ca://SR:C05:X", "xca://SR:C02:X"]);
    check("re:sim", ["sim"], ["sim://sine"]);
    check("re:a|b", ["a", "b"], ["ab", "xa", "bx"]);
  });

  it("rejects an invalid regex, naming it", () => {
    assert.throws(() => compileTopicPattern("re:ca://(SR"), /re:ca:\/\/\(SR/);
    // Balanced as a whole but not alone: would otherwise turn into `^(?:a)|(?:b)$`.
    assert.throws(() => compileTopicPattern("re:a)|(?:b"), /re:a\)\|\(\?:b/);
  });
});

describe("parseRules", () => {
  it("reads effect, actions, pattern and who, skipping comments and blank lines", () => {
    const text = [
      "# Site rules",
      "",
      "allow read *",
      "  DENY Write ca://SR:*   user:alice GROUP:Ops   # not during shutdown",
      "ALLOW READ,WRITE loc://a#b scope:write anonymous authenticated anyone",
      "deny any re:sim://.*\r",
    ].join("\n");
    const rules = parseRules(text, "rules.txt");
    assert.deepEqual(
      rules.map(({ effect, actions, pattern, who, source, line }) => ({ effect, actions, pattern, who, source, line })),
      [
        { effect: "allow", actions: ["read"], pattern: "*", who: [{ kind: "anyone" }], source: "rules.txt", line: 3 },
        {
          effect: "deny",
          actions: ["write"],
          pattern: "ca://SR:*",
          who: [
            { kind: "user", name: "alice" },
            { kind: "group", name: "Ops" },
          ],
          source: "rules.txt",
          line: 4,
        },
        {
          effect: "allow",
          actions: ["read", "write"],
          pattern: "loc://a#b",
          who: [{ kind: "scope", name: "write" }, { kind: "anonymous" }, { kind: "authenticated" }, { kind: "anyone" }],
          source: "rules.txt",
          line: 5,
        },
        {
          effect: "deny",
          actions: ["read", "write"],
          pattern: "re:sim://.*",
          who: [{ kind: "anyone" }],
          source: "rules.txt",
          line: 6,
        },
      ],
    );
    assert.equal(rules[1]?.matches("ca://SR:C01:BPM1:X"), true);
    assert.equal(rules[1]?.matches("ca://BR:C01"), false);
  });

  it("accepts an empty text", () => {
    assert.deepEqual(parseRules("", "rules.txt"), []);
    assert.deepEqual(parseRules("# nothing yet\n\n", "rules.txt"), []);
  });

  it("names the file and line of the first bad line", () => {
    const bad: [string, RegExp][] = [
      ["PERMIT READ *", /expected ALLOW or DENY, found "PERMIT"/],
      ["ALLOW", /expected READ, WRITE, READ,WRITE or ANY$/],
      ["ALLOW EXECUTE *", /found "EXECUTE"/],
      ["ALLOW READ,EXECUTE *", /found "READ,EXECUTE"/],
      ["ALLOW READ,", /found "READ,"/],
      ["ALLOW READ", /missing pattern/],
      ["ALLOW READ # ca://*", /missing pattern/],
      ["ALLOW READ re:(", /re:\(/],
      ["ALLOW READ * someone", /unknown WHO "someone"/],
      ["ALLOW READ * user:", /unknown WHO "user:"/],
      ["ALLOW READ * role:admin", /unknown WHO "role:admin"/],
    ];
    for (const [line, what] of bad) {
      const text = `# header\nALLOW READ *\n${line}\nALLOW WRITE re:(\n`;
      assert.throws(
        () => parseRules(text, "site/rules.txt"),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, "BG_ERR_CONFIG_INVALID");
          assert.match(e.message, /^site\/rules\.txt:3: /);
          assert.match(e.message, what);
          return true;
        },
        line,
      );
    }
  });
});
