/**
 * The device registry of the device-socket: the devices defined by the files at the startup path
 * (one YAML or JSON file, or a folder of them, read in name order). `reload()` reads them again:
 * all or nothing, so a file with an error leaves the registry as it was and the error says which
 * file and where. Listeners hear of each successful reload with what changed.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { type Device, DeviceFileSchema, expandDevice } from "./definition.js";

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

export class DeviceFileError extends Error {}

/** What a reload changed: devices added, redefined, and removed (by name). */
export interface RegistryChange {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

export class DeviceRegistry {
  /** The startup path, or undefined when the gateway was started without one. */
  readonly path: string | undefined;
  #devices: ReadonlyMap<string, Device> = new Map();
  readonly #listeners = new Set<(change: RegistryChange) => void>();

  constructor(path: string | undefined) {
    this.path = path || undefined;
  }

  get names(): string[] {
    return [...this.#devices.keys()];
  }

  get size(): number {
    return this.#devices.size;
  }

  get(name: string): Device | undefined {
    return this.#devices.get(name);
  }

  onChange(listener: (change: RegistryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reads the startup path again; throws DeviceFileError (registry unchanged) if any file is wrong. */
  async reload(): Promise<RegistryChange> {
    if (this.path === undefined) throw new DeviceFileError("No startup directory specified");
    const devices = await readDevices(this.path);
    const before = this.#devices;
    this.#devices = devices;
    const change: RegistryChange = {
      added: [...devices.keys()].filter((n) => !before.has(n)),
      changed: [...devices.keys()].filter(
        (n) => before.has(n) && !isDeepStrictEqual(before.get(n)?.definition, devices.get(n)?.definition),
      ),
      removed: [...before.keys()].filter((n) => !devices.has(n)),
    };
    for (const listener of this.#listeners) listener(change);
    return change;
  }
}

async function readDevices(path: string): Promise<Map<string, Device>> {
  const info = await stat(path).catch(() => {
    throw new DeviceFileError(`Startup path does not exist: ${path}`);
  });
  const files = info.isDirectory()
    ? (await readdir(path))
        .filter((f) => EXTENSIONS.has(extname(f).toLowerCase()))
        .sort()
        .map((f) => join(path, f))
    : [path];
  const devices = new Map<string, Device>();
  for (const file of files) {
    for (const device of await readDeviceFile(file)) {
      const other = devices.get(device.name);
      if (other) throw new DeviceFileError(`${file}: device "${device.name}" is already defined in ${other.file}`);
      devices.set(device.name, device);
    }
  }
  return devices;
}

async function readDeviceFile(file: string): Promise<Device[]> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(file, "utf8")); // YAML is a superset of JSON
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const at = e.linePos?.[0];
      const where = at ? `:${at.line}:${at.col}` : "";
      throw new DeviceFileError(`${file}${where}: ${e.message.split("\n")[0]}`);
    }
    throw new DeviceFileError(`${file}: ${(e as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return [];
  const result = DeviceFileSchema.safeParse(parsed);
  if (!result.success) throw new DeviceFileError(`${file}: ${describe(result.error)}`);
  return Object.entries(result.data).map(([name, definition]) => expandDevice(name, definition, file));
}

/** The first problem, at its path: `m1.prefix: a PV name may not be empty`. */
function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid device file";
  const path = issue.path.join(".");
  return `${path ? `${path}: ` : ""}${issue.message}`;
}
