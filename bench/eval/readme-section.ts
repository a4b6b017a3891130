/**
 * bench/README.md is shared by several benchmarks: each one replaces only its
 * own `## ` section (from its heading to the next `## ` heading) and leaves
 * the rest of the file as it is.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export const README_URL = new URL("../README.md", import.meta.url);

/** `section` starts with its own `## ` heading line. */
export function replaceSection(section: string, url: URL = README_URL): void {
  const heading = section.slice(0, section.indexOf("\n")).trim();
  if (!heading.startsWith("## ")) throw new Error(`a section starts with a "## " heading, got "${heading}"`);
  const body = `${section.trimEnd()}\n`;
  const current = existsSync(url) ? readFileSync(url, "utf8") : "# Benchmarks\n";
  const lines = current.split("\n");
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start === -1) {
    writeFileSync(url, `${current.trimEnd()}\n\n${body}`);
    return;
  }
  let end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
  if (end === -1) end = lines.length;
  const before = lines.slice(0, start).join("\n").trimEnd();
  const after = lines.slice(end).join("\n").trim();
  writeFileSync(url, `${before}\n\n${body}${after ? `\n${after}\n` : ""}`);
}

/** Prints a report's section and, with `--readme`, writes it into bench/README.md. */
export function publishSection(section: string, writeReadme: boolean): void {
  console.log(section);
  if (!writeReadme) return;
  replaceSection(section);
  console.error("bench/README.md updated");
}
