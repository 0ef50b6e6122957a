/**
 * The client's first message: which areaDetector PVs to watch, by the real server's rules
 * (specs/ophyd-websocket.md, camera-socket).
 *
 * - `imageArray_PV` defaults to `13SIM1:image1:ArrayData`; an empty string means that default too.
 * - A setting not named takes the image PV's first colon-separated segment as prefix and the
 *   default's `:cam1:...` suffix: `MYDET:image1:ArrayData` gives `MYDET:cam1:SizeX`. With an empty
 *   `imageArray_PV` the 13SIM1 defaults are used instead.
 * - A setting named as an empty string falls back to its 13SIM1 default, not to the prefix.
 *
 * Names are hub topic names: a bare name takes the default scheme (`ca`). A `scheme://` in front of
 * the image PV is kept in front of the derived names (the real server knows no schemes). `binX` and
 * `binY` are accepted but not watched: the real server subscribes them and never uses their values.
 */

export const SETTING_KEYS = ["startX", "startY", "sizeX", "sizeY", "colorMode", "dataType"] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** The PVs of one camera view: the image array and the settings that shape it. */
export type CameraPvs = { readonly imageArray: string } & { readonly [K in SettingKey]: string };

const DEFAULT_IMAGE_PV = "13SIM1:image1:ArrayData";
const DEFAULT_SETTING_PVS: Readonly<Record<SettingKey, string>> = {
  startX: "13SIM1:cam1:MinX",
  startY: "13SIM1:cam1:MinY",
  sizeX: "13SIM1:cam1:SizeX",
  sizeY: "13SIM1:cam1:SizeY",
  colorMode: "13SIM1:cam1:ColorMode",
  dataType: "13SIM1:cam1:DataType",
};

export const DEFAULT_CAMERA_PVS: CameraPvs = { imageArray: DEFAULT_IMAGE_PV, ...DEFAULT_SETTING_PVS };

/** A first message the socket cannot use; its text goes to the client as `{"error": ...}`. */
export class InitError extends Error {}

/** The PVs named by the first message's text. */
export function parseInit(text: string): CameraPvs {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (e) {
    throw new InitError(`Invalid JSON: ${(e as Error).message}`);
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new InitError("The first message must be a JSON object naming the camera's PVs");
  }
  return cameraPvs(message as Record<string, unknown>);
}

export function cameraPvs(message: Readonly<Record<string, unknown>>): CameraPvs {
  const image = pvName(message, "imageArray_PV", DEFAULT_IMAGE_PV);
  const derived = image.length > 0;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(image)?.[0] ?? "";
  const prefix = image.slice(scheme.length).split(":")[0] as string;
  const pvs: Record<string, string> = { imageArray: derived ? image : DEFAULT_IMAGE_PV };
  for (const key of SETTING_KEYS) {
    const fallback = DEFAULT_SETTING_PVS[key];
    const name = pvName(message, key, derived ? scheme + prefix + fallback.slice(fallback.indexOf(":")) : fallback);
    pvs[key] = name.length > 0 ? name : fallback;
  }
  return pvs as CameraPvs;
}

function pvName(message: Readonly<Record<string, unknown>>, key: string, fallback: string): string {
  const value = Object.hasOwn(message, key) ? message[key] : fallback;
  if (typeof value !== "string")
    throw new InitError(`${key} must be a PV name (a string), not ${JSON.stringify(value)}`);
  return value;
}
