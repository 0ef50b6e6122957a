/**
 * `GET /`: what this server offers, as JSON (default) or as a small HTML page for browsers (with a
 * live value, so a person sees it stream). The real dashboard comes with packages/web.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ProtocolAdapter } from "./transport/protocol.js";

export interface IndexInfo {
  readonly version: string;
  readonly schemes: readonly string[];
  readonly adapters: readonly ProtocolAdapter[];
}

export function indexDocument(info: IndexInfo, host: string) {
  return {
    name: "beamgate",
    version: info.version,
    websockets: info.adapters.map((a) => ({ path: a.path, url: `ws://${host}${a.path}`, description: a.description })),
    http: [
      { path: "/", description: "this index (JSON, or HTML for browsers)" },
      { path: "/health", description: "200 while serving" },
      { path: "/docs", description: "interactive API documentation (REST and WebSocket endpoints)" },
      { path: "/openapi.json", description: "the OpenAPI 3.1 document" },
    ],
    schemes: info.schemes,
    examples: ["sim://sine", "sim://sinewave", "sim://enum", "loc://setpoint(5)"],
  };
}

export function serveIndex(info: IndexInfo, req: IncomingMessage, res: ServerResponse): void {
  const host = req.headers.host ?? "localhost";
  const doc = indexDocument(info, host);
  if (!(req.headers.accept ?? "").includes("text/html")) {
    const body = JSON.stringify(doc, null, 2);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const rows = doc.websockets
    .map((w) => `<li><code>${escapeHtml(w.url)}</code> ${escapeHtml(w.description)}</li>`)
    .join("");
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>beamgate</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:48rem}code{background:#f3f3f3;padding:0 .2em}#v{font:2rem monospace}</style>
</head><body><h1>beamgate ${escapeHtml(doc.version)}</h1><p>WebSocket endpoints:</p><ul>${rows}</ul>
<p>Schemes: ${doc.schemes.map((s) => `<code>${escapeHtml(s)}://</code>`).join(" ")}. Health: <a href="/health">/health</a>. API documentation: <a href="/docs">/docs</a>.</p>
<p>Live <code>sim://sine</code> over <code>/ws</code>: <span id="v">…</span></p>
<script>
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
ws.onopen = () => ws.send(JSON.stringify({ action: "subscribe", pv_names: ["sim://sine"] }));
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  const u = m.type === "update" ? m : m.type === "batch_update" ? m.updates.at(-1) : m.type === "subscribed" ? m.initial_values["sim://sine"] : null;
  if (u) document.getElementById("v").textContent = Number(u.value).toFixed(3);
};
</script></body></html>`;
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}
