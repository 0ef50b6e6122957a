/**
 * The Phoebus / CS-Studio PV name syntax shared by `sim://` and `loc://`:
 * `name`, `name(arg, ...)`, `name<Type>(arg, ...)`, where each argument is a number or a
 * double-quoted string (with JSON escapes).
 */
import { BeamgateError } from "../errors.js";

export type Argument = number | string;

export interface Call {
  readonly name: string;
  readonly type?: string;
  /** Undefined when the name has no parentheses; `[]` for `name()`. */
  readonly args?: readonly Argument[];
}

const HEAD = /^\s*([A-Za-z0-9_:.\-[\]$]+)\s*(?:<\s*([A-Za-z][A-Za-z0-9]*)\s*>)?\s*/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|^[+-]?(?:Infinity|NaN)/;
const STRING = /^"(?:[^"\\]|\\.)*"/;

export function parseCall(text: string, scheme: string): Call {
  const invalid = (why: string) => new BeamgateError("BG_ERR_TOPIC_INVALID", `${scheme}://${text}: ${why}`);
  const head = HEAD.exec(text);
  if (!head) throw invalid("expected a name such as sine or sine(0, 10, 0.1)");
  const name = head[1] as string;
  const type = head[2];
  let rest = text.slice(head[0].length);
  if (rest.length === 0) return type ? { name, type } : { name };
  if (rest[0] !== "(") throw invalid(`unexpected "${rest[0]}" after ${name}`);
  rest = rest.slice(1).trimStart();
  const args: Argument[] = [];
  if (rest.startsWith(")")) {
    rest = rest.slice(1);
  } else {
    for (;;) {
      const str = STRING.exec(rest);
      const num = str ? null : NUMBER.exec(rest);
      if (str) {
        try {
          args.push(JSON.parse(str[0]) as string);
        } catch {
          throw invalid(`bad escape in the string ${str[0].slice(0, 40)}`);
        }
        rest = rest.slice(str[0].length);
      } else if (num) {
        args.push(Number(num[0]));
        rest = rest.slice(num[0].length);
      } else {
        throw invalid("arguments must be numbers or double-quoted strings");
      }
      rest = rest.trimStart();
      if (rest.startsWith(",")) {
        rest = rest.slice(1).trimStart();
        continue;
      }
      if (rest.startsWith(")")) {
        rest = rest.slice(1);
        break;
      }
      throw invalid('expected "," or ")" in the argument list');
    }
  }
  if (rest.trim().length > 0) throw invalid("unexpected text after the argument list");
  return type ? { name, type, args } : { name, args };
}

/** The canonical spelling of a call: no spaces, strings JSON-quoted. */
export function formatCall(call: Call): string {
  const type = call.type ? `<${call.type}>` : "";
  const args = call.args
    ? `(${call.args.map((a) => (typeof a === "string" ? JSON.stringify(a) : String(a))).join(",")})`
    : "";
  return `${call.name}${type}${args}`;
}
