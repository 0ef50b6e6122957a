/**
 * Browser tests run Debian's Chromium through playwright-core (never a downloaded browser). In CI
 * (.ci/run installs it) a missing Chromium is a failure; elsewhere the test is skipped.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/** `skip` option of a browser test: false in CI or when Chromium is there, else why it is skipped. */
export const skipWithoutChromium: false | string =
  existsSync(CHROMIUM) || process.env.CI ? false : "chromium is not installed";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}
