import { readFileSync } from "node:fs";

/** The version of a package as installed in the repository's node_modules. */
export function installedVersion(pkg: string): string {
  const url = new URL(`../../node_modules/${pkg}/package.json`, import.meta.url);
  const { version } = JSON.parse(readFileSync(url, "utf8")) as { version: string };
  return `${pkg}@${version}`;
}
