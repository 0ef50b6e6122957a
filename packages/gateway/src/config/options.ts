/**
 * The flat list of configuration options derived from the schema: dotted path, environment
 * variable, type, default and description. Used to read the environment and to document it.
 */
import { z } from "zod";
import { ConfigSchema } from "./schema.js";

export interface OptionInfo {
  /** Dotted path in the configuration file, e.g. `limits.maxInboundFrameBytes`. */
  readonly path: string;
  /** The environment variable that sets it, e.g. `BEAMGATE_LIMITS_MAX_INBOUND_FRAME_BYTES`. */
  readonly env: string;
  readonly type: "integer" | "string" | "boolean";
  readonly default: unknown;
  readonly description: string;
  readonly choices?: readonly string[];
}

interface JsonSchemaNode {
  type?: string;
  default?: unknown;
  description?: string;
  enum?: string[];
  properties?: Record<string, JsonSchemaNode>;
}

/** `maxInboundFrameBytes` -> `MAX_INBOUND_FRAME_BYTES` */
const screamingSnake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

function collect(node: JsonSchemaNode, prefix: string[], out: OptionInfo[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = [...prefix, key];
    if (child.type === "object") {
      collect(child, path, out);
      continue;
    }
    out.push({
      path: path.join("."),
      env: `BEAMGATE_${path.map(screamingSnake).join("_")}`,
      type:
        child.type === "integer" || child.type === "number"
          ? "integer"
          : child.type === "boolean"
            ? "boolean"
            : "string",
      default: child.default,
      description: child.description ?? "",
      ...(child.enum ? { choices: child.enum } : {}),
    });
  }
}

export const OPTIONS: readonly OptionInfo[] = (() => {
  const out: OptionInfo[] = [];
  collect(z.toJSONSchema(ConfigSchema, { io: "input" }) as JsonSchemaNode, [], out);
  return out;
})();

/** Environment variables kept from ophyd-websocket, as aliases of beamgate's own. */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  OAS_HOST: "BEAMGATE_HOST",
  OAS_PORT: "BEAMGATE_PORT",
  OAS_LOG_LEVEL: "BEAMGATE_LOG_LEVEL",
  OAS_STARTUP_DIR: "BEAMGATE_OPHYD_STARTUP_DIR",
  OAS_ALLOWED_ORIGINS: "BEAMGATE_ALLOWED_ORIGINS",
  ZMQ_HOST: "BEAMGATE_QUEUE_SERVER_CONSOLE_HOST",
  ZMQ_PORT: "BEAMGATE_QUEUE_SERVER_CONSOLE_PORT",
  QSERVER_HTTP_SERVER_HOST: "BEAMGATE_QUEUE_SERVER_HTTP_HOST",
  QSERVER_HTTP_SERVER_PORT: "BEAMGATE_QUEUE_SERVER_HTTP_PORT",
  QSERVER_HTTP_SERVER_SINGLE_USER_API_KEY: "BEAMGATE_QUEUE_SERVER_API_KEY",
  OAS_REQUIRE_QSERVER: "BEAMGATE_QUEUE_SERVER_REQUIRED",
  BEAMGATE_API_KEY: "BEAMGATE_SECURITY_API_KEY",
};
