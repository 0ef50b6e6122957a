/**
 * The names EPICS base prints for Channel Access codes: alarm status and severity
 * (`epicsAlarmConditionStrings`, `epicsAlarmSeverityStrings` in alarm.h), ECA status messages
 * (`ca_message_text` in libca's access.cpp) and DBR/DBF type names (`dbr_text`, `dbf_text` in
 * db_access.h), and the alarm codes by name. No I/O.
 */
import { DBR_BASE, DBR_CLASS, type DbrBase, type DbrClass } from "./constants.js";

/** Alarm conditions by name, with the codes of `epicsAlarmCondition`. */
export const ALARM_STATUS = {
  NO_ALARM: 0,
  READ: 1,
  WRITE: 2,
  HIHI: 3,
  HIGH: 4,
  LOLO: 5,
  LOW: 6,
  STATE: 7,
  COS: 8,
  COMM: 9,
  TIMEOUT: 10,
  HWLIMIT: 11,
  CALC: 12,
  SCAN: 13,
  LINK: 14,
  SOFT: 15,
  BAD_SUB: 16,
  UDF: 17,
  DISABLE: 18,
  SIMM: 19,
  READ_ACCESS: 20,
  WRITE_ACCESS: 21,
} as const;

/** Alarm severities by name, with the codes of `epicsAlarmSeverity`. */
export const ALARM_SEVERITY = { NO_ALARM: 0, MINOR: 1, MAJOR: 2, INVALID: 3 } as const;

const STATUS_NAMES = Object.keys(ALARM_STATUS);
const SEVERITY_NAMES = Object.keys(ALARM_SEVERITY);

/** As the CA tools' stat_to_str and sevr_to_str: "??" for a code out of range. */
export function alarmStatusName(status: number): string {
  return STATUS_NAMES[status] ?? "??";
}

export function alarmSeverityName(severity: number): string {
  return SEVERITY_NAMES[severity] ?? "??";
}

/** Indexed by message number, the ECA code without its 3 severity bits. */
const CA_MESSAGE_TEXT = [
  "Normal successful completion",
  "Maximum simultaneous IOC connections exceeded",
  "Unknown internet host",
  "Unknown internet service",
  "Unable to allocate a new socket",
  "Unable to connect to internet host or service",
  "Unable to allocate additional dynamic memory",
  "Unknown IO channel",
  "Record field specified inappropriate for channel specified",
  "The requested data transfer is greater than available memory or EPICS_CA_MAX_ARRAY_BYTES",
  "User specified timeout on IO operation expired",
  "Sorry, that feature is planned but not supported at this time",
  "The supplied string is unusually large",
  "The request was ignored because the specified channel is disconnected",
  "The data type specifed is invalid",
  "Remote Channel not found",
  "Unable to locate all user specified channels",
  "Channel Access Internal Failure",
  "The requested local DB operation failed",
  "Channel read request failed",
  "Channel write request failed",
  "Channel subscription request failed",
  "Invalid element count requested",
  "Invalid string",
  "Virtual circuit disconnect",
  "Identical process variable names on multiple servers",
  "Request inappropriate within subscription (monitor) update callback",
  "Database value get for that channel failed during channel search",
  "Unable to initialize without the vxWorks VX_FP_TASK task option set",
  "Event queue overflow has prevented first pass event after event add",
  "Bad event subscription (monitor) identifier",
  "Remote channel has new network address",
  "New or resumed network connection",
  "Specified task isnt a member of a CA context",
  "Attempt to use defunct CA feature failed",
  "The supplied string is empty",
  "Unable to spawn the CA repeater thread- auto reconnect will fail",
  "No channel id match for search reply- search reply ignored",
  "Reseting dead connection- will try to reconnect",
  "Server (IOC) has fallen behind or is not responding- still waiting",
  "No internet interface with broadcast available",
  "Invalid event selection mask",
  "IO operations have completed",
  "IO operations are in progress",
  "Invalid synchronous group identifier",
  "Put callback timed out",
  "Read access denied",
  "Write access denied",
  "Requested feature is no longer supported",
  "Empty PV search address list",
  "No reasonable data conversion between client and server types",
  "Invalid channel identifier",
  "Invalid function pointer",
  "Thread is already attached to a client context",
  "Not supported by attached service",
  "User destroyed channel",
  "Invalid channel priority",
  "Preemptive callback not enabled - additional threads may not join context",
  "Client's protocol revision does not support transfers exceeding 16k bytes",
  "Virtual circuit connection sequence aborted",
  "Virtual circuit unresponsive",
];

/** libca's ca_message(): the text of an ECA status code. */
export function caMessage(status: number): string {
  return CA_MESSAGE_TEXT[status >> 3] ?? "new CA message number known only by server - see caerr.h";
}

/** `DBF_DOUBLE` for a native type code; `TYPENOTCONN` before the channel connects. */
export function dbfText(nativeType: number): string {
  const base = DBR_BASE[nativeType];
  return base ? `DBF_${base}` : "TYPENOTCONN";
}

/** `DBR_CTRL_DOUBLE` for 34; `TYPENOTCONN` for a code the codec does not carry. */
export function dbrText(type: number): string {
  const base = dbrBaseOf(type);
  const cls = dbrClassOf(type);
  if (!base || !cls) return "TYPENOTCONN";
  return cls === "PLAIN" ? `DBR_${base}` : `DBR_${cls}_${base}`;
}

/** The base type of a DBR type code: DOUBLE for DBR_CTRL_DOUBLE. */
export function dbrBaseOf(type: number): DbrBase | undefined {
  return type >= 0 ? DBR_BASE[type % DBR_BASE.length] : undefined;
}

/** The class of a DBR type code: CTRL for DBR_CTRL_DOUBLE. */
export function dbrClassOf(type: number): DbrClass | undefined {
  return (Object.keys(DBR_CLASS) as DbrClass[])[Math.floor(type / DBR_BASE.length)];
}

/**
 * A DBR type from caget's `-d` argument: a number, or a name with or without `DBR_`, any case,
 * with caget's alias INT for SHORT. Undefined for anything else, and for types past
 * DBR_CTRL_DOUBLE, which the codec does not carry (DBR_STSACK_STRING, DBR_CLASS_NAME).
 */
export function parseDbrType(text: string): number | undefined {
  const type = /^\d+$/.test(text) ? Number(text) : dbrTypeByName(text);
  return type !== undefined && dbrClassOf(type) ? type : undefined;
}

function dbrTypeByName(text: string): number | undefined {
  const name = text
    .toUpperCase()
    .replace(/^DBR_/, "")
    .replace(/(^|_)INT$/, "$1SHORT");
  const [first, second] = name.split("_") as [string, string | undefined];
  const cls = (second === undefined ? "PLAIN" : first) as DbrClass;
  const base = (second ?? first) as DbrBase;
  const index = DBR_BASE.indexOf(base);
  return cls in DBR_CLASS && index >= 0 ? DBR_CLASS[cls] + index : undefined;
}
