/**
 * What every CA tool does around its own work: a client configured from the EPICS_CA_*
 * environment as libca is, channels given `-w` to connect (ca_pend_io), caget's complaint about
 * names that did not, and reads that end in a value or an ECA status instead of a throw.
 */
import { CaClient, CaEnvironmentError, CaRequestError, type ClientChannel, dbrType, ECA } from "@beamgate/epics-ca";
import { BeamgateError } from "../../errors.js";
import type { Reading } from "./format.js";
import type { CommonOptions, FormatOptions } from "./options.js";

/** A client on the EPICS_CA_* environment; a variable that does not parse is a configuration error. */
export function newClient(): CaClient {
  try {
    return new CaClient();
  } catch (e) {
    if (e instanceof CaEnvironmentError) throw new BeamgateError("BG_ERR_CONFIG_INVALID", e.message, { cause: e });
    throw e;
  }
}

/** Channels to `names`, once each is connected or `timeoutMs` has passed. */
export async function connect(client: CaClient, names: readonly string[], timeoutMs: number): Promise<ClientChannel[]> {
  const channels = names.map((name) => client.channel(name));
  await Promise.allSettled(channels.map((channel) => channel.wait(timeoutMs)));
  return channels;
}

/** caget's stderr line when some channels did not connect; true if all did. */
export function reportNotFound(channels: readonly ClientChannel[]): boolean {
  const missing = channels.filter((channel) => !channel.connected);
  if (missing.length === 1) process.stderr.write(`Channel connect timed out: '${missing[0]?.name}' not found.\n`);
  if (missing.length > 1) process.stderr.write("Channel connect timed out: some PV(s) not found.\n");
  return missing.length === 0;
}

/**
 * The DBR_TIME type caget, caput and camonitor ask for: the native type's, but enums as strings
 * (as numbers with `-n`) and, with `-s`, floats as strings so the server applies its precision.
 */
export function timeType(channel: ClientChannel, options: FormatOptions): number {
  const base = channel.nativeBase;
  if (base === "ENUM") return dbrType("TIME", options.enumAsNumber ? "SHORT" : "STRING");
  if (options.floatAsString && (base === "FLOAT" || base === "DOUBLE")) return dbrType("TIME", "STRING");
  return dbrType("TIME", base);
}

/** `-#` elements if fewer than the channel has, else all of them. */
export function requestCount(channel: ClientChannel, options: FormatOptions): number {
  return options.count > 0 && options.count < channel.nativeCount ? options.count : channel.nativeCount;
}

/** Reads a channel as `dataType`; never throws for a CA failure. */
export async function read(channel: ClientChannel, dataType: number, options: CommonOptions): Promise<Reading> {
  if (!channel.connected) return { kind: "notConnected" };
  try {
    const value = await channel.get({ dataType, count: requestCount(channel, options), timeoutMs: options.timeoutMs });
    return { kind: "value", value };
  } catch (e) {
    if (e instanceof CaRequestError) return { kind: "failed", status: e.status };
    throw e;
  }
}

/** caget's stderr line when a read got no reply in time. */
export function reportReadTimeouts(readings: readonly Reading[]): void {
  if (readings.some((r) => r.kind === "failed" && r.status === ECA.TIMEOUT)) {
    process.stderr.write("Read operation timed out: some PV data was not read.\n");
  }
}
