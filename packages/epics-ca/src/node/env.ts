/**
 * The EPICS environment variables, read as libca and RSRV read them, turned into client and server
 * options. Unset or empty variables take the EPICS defaults (`configure/CONFIG_ENV`), except
 * EPICS_CA_MAX_ARRAY_BYTES (see `DEFAULT_MAX_ARRAY_BYTES`) and the server's interface (loopback,
 * so that nothing is exposed unless asked for).
 */
import { networkInterfaces } from "node:os";
import { CA_REPEATER_PORT, CA_SERVER_PORT } from "../constants.js";
import { ipv4ToNumber, numberToIpv4 } from "./ipv4.js";

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * libca's default is 16384 bytes, which refuses any detector image; a gateway needs big arrays, so
 * the default here is 16 MiB. Set EPICS_CA_MAX_ARRAY_BYTES to lower it.
 */
export const DEFAULT_MAX_ARRAY_BYTES = 16 * 1024 * 1024;

export interface CaClientEnvOptions {
  /** Where searches go: `host` or `host:port` entries. */
  readonly addressList: readonly string[];
  readonly serverPort: number;
  readonly repeaterPort: number;
  readonly maxArrayBytes: number;
  /** Silence on a circuit before an echo is sent; no reply within the echo timeout drops it. */
  readonly connectionTimeoutMs: number;
  /** Longest interval between searches for a name not found (EPICS_CA_MAX_SEARCH_PERIOD). */
  readonly maxSearchIntervalMs: number;
  /** The servers' beacon period, to tell a new server from a known one (EPICS_CA_BEACON_PERIOD). */
  readonly beaconPeriodMs: number;
}

export interface CaServerEnvOptions {
  /** Interface to bind (the first of EPICS_CAS_INTF_ADDR_LIST). */
  readonly host: string;
  readonly port: number;
  /** Where beacons go: `host` or `host:port` entries (port default: `beaconPort`). */
  readonly beaconAddressList: readonly string[];
  readonly beaconPort: number;
  /** Longest interval between beacons (EPICS_CAS_BEACON_PERIOD). */
  readonly beaconPeriodMs: number;
  readonly maxArrayBytes: number;
}

/** An environment variable that does not parse. */
export class CaEnvironmentError extends Error {
  override readonly name = "CaEnvironmentError";
}

export function caClientOptionsFromEnv(env: Environment = process.env): CaClientEnvOptions {
  const auto = yesNo(env, "EPICS_CA_AUTO_ADDR_LIST", true);
  return {
    addressList: [...list(env.EPICS_CA_ADDR_LIST), ...(auto ? broadcastAddresses() : [])],
    serverPort: port(env, "EPICS_CA_SERVER_PORT", CA_SERVER_PORT),
    repeaterPort: port(env, "EPICS_CA_REPEATER_PORT", CA_REPEATER_PORT),
    maxArrayBytes: positive(env, "EPICS_CA_MAX_ARRAY_BYTES", DEFAULT_MAX_ARRAY_BYTES),
    connectionTimeoutMs: seconds(env, "EPICS_CA_CONN_TMO", 30),
    maxSearchIntervalMs: Math.max(seconds(env, "EPICS_CA_MAX_SEARCH_PERIOD", 300), 60_000),
    beaconPeriodMs: seconds(env, "EPICS_CA_BEACON_PERIOD", 15),
  };
}

export function caServerOptionsFromEnv(env: Environment = process.env): CaServerEnvOptions {
  const host = list(env.EPICS_CAS_INTF_ADDR_LIST)[0] ?? "127.0.0.1";
  const explicit = env.EPICS_CAS_BEACON_ADDR_LIST ?? env.EPICS_CA_ADDR_LIST;
  const autoName = env.EPICS_CAS_AUTO_BEACON_ADDR_LIST ? "EPICS_CAS_AUTO_BEACON_ADDR_LIST" : "EPICS_CA_AUTO_ADDR_LIST";
  const auto = yesNo(env, autoName, true);
  return {
    host,
    port: port(env, env.EPICS_CAS_SERVER_PORT ? "EPICS_CAS_SERVER_PORT" : "EPICS_CA_SERVER_PORT", CA_SERVER_PORT),
    beaconAddressList: [...list(explicit), ...(auto ? defaultBeaconAddresses(host) : [])],
    beaconPort: port(
      env,
      env.EPICS_CAS_BEACON_PORT ? "EPICS_CAS_BEACON_PORT" : "EPICS_CA_REPEATER_PORT",
      CA_REPEATER_PORT,
    ),
    beaconPeriodMs: seconds(env, "EPICS_CAS_BEACON_PERIOD", 15),
    maxArrayBytes: positive(env, "EPICS_CA_MAX_ARRAY_BYTES", DEFAULT_MAX_ARRAY_BYTES),
  };
}

/** The broadcast address of every IPv4 interface that is up and not loopback. */
export function broadcastAddresses(): string[] {
  return [
    ...new Set(
      ipv4Interfaces()
        .filter((entry) => !entry.internal)
        .map(broadcastOf),
    ),
  ];
}

function ipv4Interfaces() {
  return Object.values(networkInterfaces()).flatMap((entries) => (entries ?? []).filter((e) => e.family === "IPv4"));
}

function broadcastOf(entry: { address: string; netmask: string }): string {
  return numberToIpv4((ipv4ToNumber(entry.address) | ~ipv4ToNumber(entry.netmask)) >>> 0);
}

/**
 * Beacons go where clients can hear them: on loopback to 127.0.0.1 (a broadcast would not reach
 * local clients), bound to one interface to its broadcast address, bound to all to every one.
 */
function defaultBeaconAddresses(host: string): string[] {
  if (host.startsWith("127.")) return ["127.0.0.1"];
  if (host === "0.0.0.0") return ["127.0.0.1", ...broadcastAddresses()];
  const bound = ipv4Interfaces().find((entry) => entry.address === host);
  if (bound) return [broadcastOf(bound)];
  return [host];
}

function list(value: string | undefined): string[] {
  return (value ?? "").split(/\s+/).filter((entry) => entry !== "");
}

function yesNo(env: Environment, name: string, fallback: boolean): boolean {
  const value = env[name]?.trim().toUpperCase();
  if (!value) return fallback;
  if (value === "YES" || value === "Y") return true;
  if (value === "NO" || value === "N") return false;
  throw new CaEnvironmentError(`${name} must be YES or NO, not '${env[name]}'`);
}

function port(env: Environment, name: string, fallback: number): number {
  const value = positive(env, name, fallback);
  if (value > 65535) throw new CaEnvironmentError(`${name} must be a port number (1-65535), not '${env[name]}'`);
  return value;
}

function positive(env: Environment, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new CaEnvironmentError(`${name} must be a positive integer, not '${env[name]}'`);
  return value;
}

function seconds(env: Environment, name: string, fallbackSeconds: number): number {
  const text = env[name]?.trim();
  if (!text) return fallbackSeconds * 1000;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new CaEnvironmentError(`${name} must be a positive number of seconds, not '${env[name]}'`);
  return Math.round(value * 1000);
}
