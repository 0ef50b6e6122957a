/** IPv4 addresses as CA carries them (a 32-bit number, network order) and as sockets want them. */

export function ipv4ToNumber(dotted: string): number {
  return dotted.split(".").reduce((n, part) => (n << 8) | Number(part), 0) >>> 0;
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** `host` or `host:port` entries (EPICS address lists) as targets. */
export function parseAddressList(entries: readonly string[], defaultPort: number): { host: string; port: number }[] {
  return entries.map((entry) => {
    const [host, port] = entry.split(":");
    return { host: host as string, port: port ? Number(port) : defaultPort };
  });
}
