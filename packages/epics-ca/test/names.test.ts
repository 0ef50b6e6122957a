/** EPICS base's names for alarm, ECA and DBR codes. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ECA } from "../src/constants.js";
import { alarmSeverityName, alarmStatusName, caMessage, dbfText, dbrText, parseDbrType } from "../src/names.js";

describe("EPICS names", () => {
  it("names alarm status and severity, ?? past the table", () => {
    assert.equal(alarmStatusName(0), "NO_ALARM");
    assert.equal(alarmStatusName(3), "HIHI");
    assert.equal(alarmStatusName(21), "WRITE_ACCESS");
    assert.equal(alarmStatusName(22), "??");
    assert.equal(alarmSeverityName(3), "INVALID");
    assert.equal(alarmSeverityName(4), "??");
  });

  it("gives libca's message for an ECA code", () => {
    assert.equal(caMessage(ECA.NORMAL), "Normal successful completion");
    assert.equal(caMessage(ECA.NOWTACCESS), "Write access denied");
    assert.equal(caMessage(ECA.TIMEOUT), "User specified timeout on IO operation expired");
    assert.equal(caMessage(ECA.UNRESPTMO), "Virtual circuit unresponsive");
    assert.match(caMessage(999 << 3), /known only by server/);
  });

  it("names DBR and DBF types", () => {
    assert.equal(dbrText(0), "DBR_STRING");
    assert.equal(dbrText(1), "DBR_SHORT");
    assert.equal(dbrText(20), "DBR_TIME_DOUBLE");
    assert.equal(dbrText(34), "DBR_CTRL_DOUBLE");
    assert.equal(dbrText(-1), "TYPENOTCONN");
    assert.equal(dbfText(3), "DBF_ENUM");
    assert.equal(dbfText(-1), "TYPENOTCONN");
  });

  it("reads caget's -d argument: number, name with or without DBR_, any case, INT for SHORT", () => {
    assert.equal(parseDbrType("34"), 34);
    assert.equal(parseDbrType("DBR_CTRL_DOUBLE"), 34);
    assert.equal(parseDbrType("ctrl_double"), 34);
    assert.equal(parseDbrType("DBR_INT"), 1);
    assert.equal(parseDbrType("TIME_INT"), 15);
    assert.equal(parseDbrType("STRING"), 0);
    for (const bad of ["35", "DBR_STSACK_STRING", "CLASS_NAME", "FOO", "TIME", "-1", ""]) {
      assert.equal(parseDbrType(bad), undefined, bad);
    }
  });
});
