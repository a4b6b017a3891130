/**
 * Headless Chromium for the browser tests: Debian's `chromium` package (installed by
 * .ci/run), driven by playwright-core. Playwright's own browser download cannot run here.
 */
import { chromium, type Browser } from "playwright-core";

/** Where Debian's package puts it; CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // No sandbox: CI runs as root. No background networking: nothing leaves 127.0.0.1.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    timeout: 30_000,
  });
}
