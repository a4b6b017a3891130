/**
 * Where the browser suites get their Chromium: the system's when there is one, else the
 * build inside the npm package, else a line that says how to get one. The npm path is
 * exercised for real whatever this machine has: the system lookup is pointed at a file
 * that does not exist, and the browser that comes back must load a page and run its script.
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { findChromium, launchChromium, NPM_CHROMIUM } from "./support/chromium.js";

/** The package installs with the devDependencies; a run without it sees the case above instead. */
function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ks-chromium-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("takes the system Chromium when its path names an executable file", async () => {
  const system = join(dir, "chromium");
  await writeFile(system, "#!/bin/sh\n");
  await chmod(system, 0o755);
  expect(await findChromium({ systemPath: system })).toEqual({ source: "system", executablePath: system, env: {} });
});

it("does not take a system path that is there but not executable", async () => {
  const plain = join(dir, "not-executable");
  await writeFile(plain, "");
  const found = await findChromium({ systemPath: plain, npmPackage: "@killswitch/no-such-browser" });
  expect(found).toEqual({ missing: expect.stringContaining(`${plain} is not an executable file`) });
});

it("says in one line how to get a browser when neither the system nor the npm package has one", async () => {
  const found = await findChromium({ systemPath: join(dir, "missing"), npmPackage: "@killswitch/no-such-browser" });
  expect(found).toEqual({ missing: expect.stringContaining("apt-get install chromium") });
  if (!("missing" in found)) return;
  expect(found.missing).toContain("CHROMIUM_PATH");
  expect(found.missing).toContain("npm install");
  expect(found.missing).not.toContain("\n");
});

// The package ships a Linux x64 build only; elsewhere the case above is what a run sees.
it.runIf(process.platform === "linux" && process.arch === "x64" && installed(NPM_CHROMIUM))(
  "falls back to the npm package's Chromium when the system path is missing, and that browser runs a page",
  async () => {
    const found = await findChromium({ systemPath: join(dir, "missing") });
    expect(found).toMatchObject({ source: "npm", executablePath: expect.any(String), env: { LD_LIBRARY_PATH: expect.any(String) } });
    const browser = await launchChromium(found);
    try {
      const page = await browser.newPage();
      await page.setContent(`<p id="out"></p><script>document.getElementById("out").textContent = typeof WebSocket + " " + (6 * 7);</script>`);
      expect(await page.textContent("#out")).toBe("function 42");
    } finally {
      await browser.close();
    }
  },
  90_000,
);
