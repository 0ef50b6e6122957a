/**
 * Resolves the configuration from four layers, each overriding the one before:
 * defaults < configuration file < environment < command-line flags.
 * Any invalid value stops start-up with one clear line naming the option and where it came from.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { BeamgateError } from "../errors.js";
import { ENV_ALIASES, OPTIONS } from "./options.js";
import { type Config, ConfigSchema } from "./schema.js";

type Tree = Record<string, unknown>;

export interface ConfigSources {
  /** Path of a YAML or JSON configuration file. */
  readonly file?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Options from command-line flags, by dotted path. */
  readonly flags?: Readonly<Record<string, string | number>>;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const tree: Tree = {};
  const origin = new Map<string, string>();
  const env = sources.env ?? {};
  const file = sources.file ?? env.BEAMGATE_CONFIG;

  if (file) {
    const fromFile = readConfigFile(file);
    mergeInto(tree, fromFile, origin, `file ${file}`, "");
  }
  for (const option of OPTIONS) {
    const alias = Object.keys(ENV_ALIASES).find((a) => ENV_ALIASES[a] === option.env);
    const name = env[option.env] !== undefined ? option.env : alias && env[alias] !== undefined ? alias : undefined;
    if (name === undefined) continue;
    setPath(tree, option.path, coerce(option.type, env[name] as string), origin, `environment ${name}`);
  }
  for (const [path, value] of Object.entries(sources.flags ?? {})) {
    const option = OPTIONS.find((o) => o.path === path);
    setPath(tree, path, option ? coerce(option.type, String(value)) : value, origin, `flag --${kebab(path)}`);
  }

  const result = ConfigSchema.safeParse(tree);
  if (!result.success) throw new BeamgateError("BG_ERR_CONFIG_INVALID", describeIssue(result.error, origin));
  return result.data;
}

function readConfigFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new BeamgateError("BG_ERR_CONFIG_FILE", `cannot read configuration file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    parsed = parseYaml(text);
  } catch (e) {
    const first = (e as Error).message.split("\n")[0];
    throw new BeamgateError("BG_ERR_CONFIG_FILE", `configuration file ${file} is not valid YAML or JSON: ${first}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new BeamgateError("BG_ERR_CONFIG_FILE", `configuration file ${file} must hold a mapping of options`);
  }
  return parsed as Tree;
}

/** Words an environment variable or flag may use for a boolean, as ophyd-websocket reads OAS_REQUIRE_QSERVER. */
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  "1": true,
  yes: true,
  on: true,
  false: false,
  "0": false,
  no: false,
  off: false,
};

function coerce(type: "integer" | "string" | "boolean", raw: string): unknown {
  if (type === "string") return raw;
  if (type === "boolean") return BOOLEAN_WORDS[raw.trim().toLowerCase()] ?? raw;
  const n = raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : raw;
}

function mergeInto(target: Tree, source: Tree, origin: Map<string, string>, label: string, prefix: string): void {
  for (const [key, value] of Object.entries(source)) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") {
      throw new BeamgateError(
        "BG_ERR_CONFIG_INVALID",
        `unknown configuration option "${prefix ? `${prefix}.` : ""}${key}"`,
      );
    }
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const child = (target[key] && typeof target[key] === "object" ? target[key] : {}) as Tree;
      target[key] = child;
      mergeInto(child, value as Tree, origin, label, path);
    } else {
      target[key] = value;
      origin.set(path, label);
    }
  }
}

function setPath(tree: Tree, path: string, value: unknown, origin: Map<string, string>, label: string): void {
  const keys = path.split(".");
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== "object") node[key] = {};
    node = node[key] as Tree;
  }
  node[keys[keys.length - 1] as string] = value;
  origin.set(path, label);
}

const kebab = (path: string) => path.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

function describeIssue(error: z.ZodError, origin: Map<string, string>): string {
  const issue = error.issues[0];
  if (!issue) return "invalid configuration";
  const path = issue.path.join(".");
  if (issue.code === "unrecognized_keys") {
    const where = path ? `${path}.` : "";
    return `unknown configuration option ${issue.keys.map((k) => `"${where}${k}"`).join(", ")}`;
  }
  const from = origin.get(path);
  return `invalid value for ${path || "configuration"}: ${issue.message}${from ? ` (from ${from})` : ""}`;
}
