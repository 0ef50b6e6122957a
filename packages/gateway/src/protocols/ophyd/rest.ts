/** The ophyd-websocket REST routes under `/api/v1` (specs/ophyd-websocket.md), with its bodies and status codes. */
import type { DeviceRegistry } from "../../devices/registry.js";
import type { Logger } from "../../log.js";
import { type Route, sendJson } from "../../transport/http-server.js";

/**
 * `POST /api/v1/load-devices`: reads the device files again. All or nothing: a file with an error
 * leaves the registry as it was, and the answer says which file and where.
 */
export function loadDevicesRoute(registry: DeviceRegistry, log: Logger): Route {
  const handle: Route["handle"] = (request, response) => {
    request.resume(); // the body, if any, is not used
    if (registry.path === undefined) {
      sendJson(response, 400, {
        error: "No startup directory specified",
        message: "Server was not started with --startup-dir flag. Cannot load devices.",
        suggestion: "Restart server with: beamgate serve --startup-dir /path/to/device/files",
      });
      return;
    }
    const previous = registry.size;
    registry.reload().then(
      (change) => {
        log.info({ ...change, devices: registry.size }, "device files reloaded");
        sendJson(response, 200, {
          success: true,
          message: `Successfully loaded ${registry.size} devices from startup directory`,
          startup_directory: registry.path,
          devices_loaded: registry.names,
          previous_device_count: previous,
          new_device_count: registry.size,
          ...change,
        });
      },
      (e: Error) => {
        log.warn({ err: e.message }, "device files not reloaded");
        sendJson(response, 500, {
          error: "Failed to load devices",
          message: e.message,
          startup_directory: registry.path,
        });
      },
    );
  };
  return { methods: ["POST"], handle };
}
