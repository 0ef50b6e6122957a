/**
 * Channel Access protocol facts (protocol version 4.13): command codes, DBR type codes, sizes and
 * defaults. Names follow the CA specification and EPICS base (`caProto.h`, `db_access.h`) so the
 * code can be checked against them by search. Nothing here is tunable.
 */

export const CA_MINOR_PROTOCOL_REVISION = 13;

export const CA_SERVER_PORT = 5064;
export const CA_REPEATER_PORT = 5065;

/** Standard header bytes, and the extended header's (payload size and count as UINT32 after it). */
export const HEADER_SIZE = 16;
export const EXTENDED_HEADER_SIZE = 24;
/**
 * Largest payload size and element count a standard header carries; at or past 0xffff the extended
 * form is used (payload size 0xffff and count 0 mark it), as libca does.
 */
export const MAX_STANDARD_PAYLOAD = 0xfffe;
export const MAX_STANDARD_COUNT = 0xfffe;
/** Payloads are padded to a multiple of this. */
export const PAYLOAD_ALIGNMENT = 8;

export const MAX_STRING_SIZE = 40;
export const MAX_UNITS_SIZE = 8;
export const MAX_ENUM_STATES = 16;
export const MAX_ENUM_STRING_SIZE = 26;

/** Seconds from the Unix epoch to the EPICS epoch (1990-01-01T00:00:00Z). */
export const EPICS_EPOCH_OFFSET_SECONDS = 631_152_000;

export const Command = {
  VERSION: 0,
  EVENT_ADD: 1,
  EVENT_CANCEL: 2,
  READ: 3,
  WRITE: 4,
  SEARCH: 6,
  EVENTS_OFF: 8,
  EVENTS_ON: 9,
  READ_SYNC: 10,
  ERROR: 11,
  CLEAR_CHANNEL: 12,
  RSRV_IS_UP: 13,
  NOT_FOUND: 14,
  READ_NOTIFY: 15,
  REPEATER_CONFIRM: 17,
  CREATE_CHAN: 18,
  WRITE_NOTIFY: 19,
  CLIENT_NAME: 20,
  HOST_NAME: 21,
  ACCESS_RIGHTS: 22,
  ECHO: 23,
  REPEATER_REGISTER: 24,
  CREATE_CH_FAIL: 26,
  SERVER_DISCONN: 27,
} as const;

export type CommandName = keyof typeof Command;
export type CommandCode = (typeof Command)[CommandName];

export const COMMAND_NAMES: ReadonlyMap<number, CommandName> = new Map(
  (Object.entries(Command) as [CommandName, number][]).map(([name, code]) => [code, name]),
);

/** The seven base types of DBR, in code order. */
export const DBR_BASE = ["STRING", "SHORT", "FLOAT", "ENUM", "CHAR", "LONG", "DOUBLE"] as const;
export type DbrBase = (typeof DBR_BASE)[number];

/** DBR classes; a type's code is `class offset + base index`. */
export const DBR_CLASS = { PLAIN: 0, STS: 7, TIME: 14, GR: 21, CTRL: 28 } as const;
export type DbrClass = keyof typeof DBR_CLASS;

export const DBR_PUT_ACKT = 35;
export const DBR_PUT_ACKS = 36;
export const DBR_STSACK_STRING = 37;
export const DBR_CLASS_NAME = 38;
/** Highest DBR type code in use. */
export const LAST_BUFFER_TYPE = DBR_CLASS_NAME;

/** Monitor masks (`caeventmask.h`). */
export const DBE = { VALUE: 1, LOG: 2, ARCHIVE: 2, ALARM: 4, PROPERTY: 8 } as const;

/** Access rights bits of ACCESS_RIGHTS. */
export const ACCESS = { READ: 1, WRITE: 2 } as const;

/** Search reply flags (DO_REPLY asks for NOT_FOUND answers, used by TCP searches). */
export const SEARCH = { DONT_REPLY: 5, DO_REPLY: 10 } as const;

/** ECA status codes used on the wire (`caerr.h`): (number << 3) | severity. */
export const ECA = {
  NORMAL: 1,
  ALLOCMEM: 48,
  TOLARGE: 72,
  TIMEOUT: 80,
  BADTYPE: 114,
  INTERNAL: 142,
  DBLCLFAIL: 152,
  GETFAIL: 160,
  PUTFAIL: 168,
  BADCOUNT: 176,
  BADSTR: 186,
  DISCONN: 192,
  DBLCHNL: 200,
  EVDISALLOW: 210,
  BADMONID: 242,
  BADMASK: 330,
  IODONE: 339,
  IOINPROGRESS: 347,
  BADSYNCGRP: 354,
  PUTCBINPROG: 362,
  NORDACCESS: 368,
  NOWTACCESS: 376,
  ANACHRONISM: 386,
  NOSEARCHADDR: 392,
  NOCONVERT: 400,
  BADCHID: 410,
  BADFUNCPTR: 418,
  ISATTACHED: 424,
  UNAVAILINSERV: 432,
  CHANDESTROY: 440,
  BADPRIORITY: 450,
  NOTTHREADED: 458,
  "16KARRAYCLIENT": 464,
  CONNSEQTMO: 472,
  UNRESPTMO: 480,
} as const;
