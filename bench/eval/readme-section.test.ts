import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { replaceSection } from "./readme-section.js";

const tempReadme = (content?: string): URL => {
  const url = pathToFileURL(join(mkdtempSync(join(os.tmpdir(), "bench-readme-")), "README.md"));
  if (content !== undefined) writeFileSync(url, content);
  return url;
};

describe("replaceSection", () => {
  it("creates the file with a title when it is missing", () => {
    const url = tempReadme();
    replaceSection("## Mine\n\nfigures", url);
    expect(readFileSync(url, "utf8")).toBe("# Benchmarks\n\n## Mine\n\nfigures\n");
  });

  it("appends a section that is not there yet and keeps the others", () => {
    const url = tempReadme("# Benchmarks\n\n## Theirs\n\ntheir figures\n");
    replaceSection("## Mine\n\nfigures", url);
    expect(readFileSync(url, "utf8")).toBe("# Benchmarks\n\n## Theirs\n\ntheir figures\n\n## Mine\n\nfigures\n");
  });

  it("replaces only its own section, up to the next ## heading", () => {
    const url = tempReadme("# Benchmarks\n\n## Before\n\nb\n\n## Mine\n\nold\n### detail\nold detail\n\n## After\n\na\n");
    replaceSection("## Mine\n\nnew", url);
    expect(readFileSync(url, "utf8")).toBe("# Benchmarks\n\n## Before\n\nb\n\n## Mine\n\nnew\n\n## After\n\na\n");
  });

  it("refuses a section without a ## heading", () => {
    expect(() => replaceSection("no heading", tempReadme())).toThrow(/heading/);
  });
});
