/** The plain HTTP answer to a WebSocket upgrade that must be refused. */
import type { IncomingHttpHeaders } from "node:http";
import WebSocket from "ws";

export interface Refusal {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Fails if the upgrade succeeds. */
export function upgradeRefusal(
  url: string,
  protocols: string[] = [],
  headers: Record<string, string> = {},
): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once("open", () => {
      ws.terminate();
      reject(new Error(`${url}: upgraded, expected a refusal`));
    });
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    ws.once("error", (e) => reject(e));
  });
}

/** How a client's connection ended; fails if it is still open after `withinMs`. */
export async function closedWithin(
  closed: Promise<{ code: number; reason: string }>,
  withinMs = 3000,
): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still open after ${withinMs} ms`)), withinMs);
  });
  try {
    return await Promise.race([closed, late]);
  } finally {
    clearTimeout(timer);
  }
}
