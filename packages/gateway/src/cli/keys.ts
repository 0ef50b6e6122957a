/**
 * `beamgate keys`: create, list and revoke the API keys of the key store (`security.apiKeysFile`,
 * see security/api-keys.ts). The store keeps a hash of each key, so `create` prints the only copy.
 */
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/load.js";
import { BeamgateError } from "../errors.js";
import { type ApiKeyInfo, ApiKeyStore, looksLikeApiKey } from "../security/api-keys.js";
import { AuditLog } from "../security/audit.js";

const HELP = `Usage: beamgate keys COMMAND [options]

Creates, lists and revokes the API keys clients present as 'Authorization: Apikey KEY'. The store
keeps only a hash of each key: a key is shown once, when it is created.

Commands:
  create [options]   create a key and print it
  list [--json]      list the keys (id, scopes, topics, expiry, revocation, note)
  revoke ID          revoke a key (a running gateway rereads the store and closes its connections)

Creating and revoking are written to the audit log (security.auditFile; standard error if none).

Options of create:
  --scope LIST       what the key may do: read, write or read,write (default read)
  --topic PATTERN    limit the key to topics matching PATTERN (repeatable; default: no limit
                     beyond the access rules)
  --expires WHEN     a duration such as 30d or 12h, or an ISO date such as 2027-01-31
                     (default: never)
  --note TEXT        what the key is for (shown by list)

Options of every command:
  --store FILE       the key store (default: security.apiKeysFile of the configuration, env
                     BEAMGATE_SECURITY_API_KEYS_FILE)
  --config FILE      YAML or JSON configuration file (env BEAMGATE_CONFIG)
  -h, --help         print this help
`;

const COMMON = {
  store: { type: "string" },
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const HOUR_MS = 3_600_000;

const COMMANDS: Record<string, (argv: readonly string[]) => number | Promise<number>> = { create, list, revoke };

export async function keys(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw usage(`unknown keys command '${command}'`);
  return run(rest);
}

async function create(argv: readonly string[]): Promise<number> {
  const { values } = parse(() =>
    parseArgs({
      args: [...argv],
      options: {
        ...COMMON,
        scope: { type: "string" },
        topic: { type: "string", multiple: true },
        expires: { type: "string" },
        note: { type: "string" },
      },
    }),
  );
  if (values.help) return help();
  const store = openStore(values);
  const { key, record } = store.create({
    scopes: (values.scope ?? "read").split(",").map((s) => s.trim()),
    ...(values.topic ? { topics: values.topic } : {}),
    ...(values.expires !== undefined ? { expiresAt: expiry(values.expires) } : {}),
    ...(values.note !== undefined ? { note: values.note } : {}),
  });
  await audit(values, "key-create", record.id, `scopes ${record.scopes.join(",")}`);
  process.stdout.write(
    `${key}\n` +
      `Key id ${record.id}: scopes ${record.scopes.join(",")}; topics ${record.topics?.join(" ") ?? "any"}; ` +
      `expires ${record.expires ?? "never"}.\n` +
      "This key will not be shown again: the store keeps only a hash of it.\n",
  );
  return 0;
}

function list(argv: readonly string[]): number {
  const { values } = parse(() => parseArgs({ args: [...argv], options: { ...COMMON, json: { type: "boolean" } } }));
  if (values.help) return help();
  const store = openStore(values);
  const records = store.list();
  if (values.json) process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
  else if (records.length === 0) process.stdout.write(`No API keys in ${store.path}.\n`);
  else process.stdout.write(table(records));
  return 0;
}

async function revoke(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(() => parseArgs({ args: [...argv], options: COMMON, allowPositionals: true }));
  if (values.help) return help();
  const [id] = positionals;
  if (id === undefined || positionals.length > 1) throw usage("revoke takes one key id");
  // Someone may paste the whole key: refuse it rather than echo its secret into an error message.
  if (looksLikeApiKey(id)) throw usage("give the key's id (the 12 characters after 'bg_'), not the key");
  const store = openStore(values);
  const before = store.list().find((k) => k.id === id);
  if (!store.revoke(id)) {
    process.stderr.write(`beamgate: no API key with id '${id}' in ${store.path}\n`);
    return 1;
  }
  await audit(values, "key-revoke", id);
  process.stdout.write(
    before?.revoked ? `Key ${id} was revoked already, on ${before.revoked}.\n` : `Revoked key ${id}.\n`,
  );
  return 0;
}

function help(): number {
  process.stdout.write(HELP);
  return 0;
}

/**
 * Key management is a write: it goes to the audit log of the configuration (standard error when
 * none is configured), naming the operating-system user who ran the command.
 */
async function audit(
  values: { config?: string | undefined },
  action: string,
  id: string,
  value?: string,
): Promise<void> {
  const log = new AuditLog(loadConfig({ file: values.config, env: process.env }).security.auditFile);
  log.write({
    principal: `os:${userInfo().username}`,
    client: "local",
    endpoint: "beamgate keys",
    action,
    topic: `apikey://${id}`,
    value,
    result: "ok",
  });
  await log.close();
}

function openStore(values: { store?: string | undefined; config?: string | undefined }): ApiKeyStore {
  const path = values.store ?? loadConfig({ file: values.config, env: process.env }).security.apiKeysFile;
  if (!path) {
    throw usage(
      "no key store: give --store FILE, or set security.apiKeysFile in the configuration or BEAMGATE_SECURITY_API_KEYS_FILE",
    );
  }
  return ApiKeyStore.open(path);
}

/** `30d`, `12h` (from now) or an ISO date, as ms since the epoch. */
function expiry(text: string): number {
  const relative = /^(\d{1,6})([dh])$/.exec(text);
  if (relative) return Date.now() + Number(relative[1]) * (relative[2] === "d" ? 24 * HOUR_MS : HOUR_MS);
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw usage(`--expires must be a duration such as 30d or 12h, or an ISO date, not '${text}'`);
  return at;
}

function table(records: readonly ApiKeyInfo[]): string {
  const now = Date.now();
  const rows = [
    ["ID", "SCOPES", "TOPICS", "EXPIRES", "REVOKED", "NOTE"],
    ...records.map((k) => [
      k.id,
      k.scopes.join(","),
      k.topics?.join(" ") ?? "any",
      k.expires === null ? "never" : `${k.expires}${Date.parse(k.expires) <= now ? " (expired)" : ""}`,
      k.revoked ?? "-",
      k.note,
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${rows.map(line).join("\n")}\n`;
}

function parse<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw usage((e as Error).message.split("\n")[0]?.replace(/\.$/, "") ?? "invalid command line");
  }
}

function usage(message: string): BeamgateError {
  return new BeamgateError("BG_ERR_CLI_USAGE", `${message} (try 'beamgate keys --help')`);
}
