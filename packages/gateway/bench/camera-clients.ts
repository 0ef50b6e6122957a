/**
 * The camera bench's viewers: WebSocket clients of `/api/v1/camera-socket` that send `{}` (the
 * 13SIM1 defaults) and only count what they receive, in the bench's main process.
 */
import WebSocket from "ws";

export interface Viewer {
  frames: number;
  bytes: number;
  settings: string | undefined;
}

export class Viewers {
  readonly viewers: Viewer[] = [];
  readonly #sockets: WebSocket[] = [];

  static async open(url: string, count: number): Promise<Viewers> {
    const pool = new Viewers();
    await Promise.all(Array.from({ length: count }, () => pool.#openOne(url)));
    return pool;
  }

  #openOne(url: string): Promise<void> {
    const viewer: Viewer = { frames: 0, bytes: 0, settings: undefined };
    this.viewers.push(viewer);
    const ws = new WebSocket(url);
    this.#sockets.push(ws);
    ws.on("message", (data: Buffer, isBinary) => {
      if (!isBinary) viewer.settings = data.toString();
      else {
        viewer.frames++;
        viewer.bytes += data.length;
      }
    });
    return new Promise((resolve, reject) => {
      ws.once("open", () => {
        ws.send("{}");
        resolve();
      });
      ws.once("error", reject);
    });
  }

  /** Frames and bytes received so far, per viewer. */
  counts(): Array<{ frames: number; bytes: number }> {
    return this.viewers.map(({ frames, bytes }) => ({ frames, bytes }));
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) resolve();
            else {
              ws.once("close", () => resolve());
              ws.close();
            }
          }),
      ),
    );
  }
}
