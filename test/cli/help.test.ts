/**
 * `--help` on every command of the CLI: each shows an example of itself, and
 * the exit codes are documented (on the root, and on every command that can
 * end with more than ok or usage: the writes with --wait, audit verify). Read
 * as commander prints it (the text added after the options included), and once
 * from the real binary; and `npx killswitch` runs it from the checkout.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { buildProgram, CLI_VERSION } from "../../src/cli/program.js";
import { runCli } from "../e2e/support/cli-process.js";

/** Every command with the words that call it (`[]` for the root). */
function commands(): [string[], Command][] {
  const walk = (command: Command, path: string[]): [string[], Command][] => [
    [path, command],
    ...command.commands.filter((sub) => sub.name() !== "help").flatMap((sub) => walk(sub, [...path, sub.name()])),
  ];
  return walk(buildProgram(), []);
}

function helpOf(command: Command): string {
  let out = "";
  command.configureOutput({ writeOut: (text) => void (out += text), writeErr: (text) => void (out += text) });
  command.outputHelp();
  return out;
}

const EXIT_LINES = [/^ {2}0 {2}ok/m, /^ {2}1 {2}usage/m, /^ {2}2 {2}refused by the API/m, /^ {2}3 {2}--wait: not complete/m, /^ {2}4 {2}--wait: no instance/m, /^ {2}5 {2}service unreachable/m];

describe("--help", () => {
  const all = commands();

  it("covers every command the issue names", () => {
    const names = all.map(([path]) => path.join(" "));
    for (const name of ["flags", "status", "block", "kill", "restore", "unblock", "explain", "instances", "watch", "audit", "audit verify", "directive new", "directive ls", "directive show", "directive lift", "directive report", "login"]) {
      expect(names).toContain(name);
    }
  });

  it.each(commands().map(([path, command]) => [path.join(" ") || "(root)", path, command] as const))(
    "%s shows an example of itself",
    (_name, path, command) => {
      const help = helpOf(command);
      const examples = /\nExamples?:\n((?: {2}\$ .*\n?)+)/.exec(help)?.[1];
      expect(examples, help).toBeDefined();
      for (const line of examples!.trim().split("\n")) {
        // The root's examples may call any command; a command's call that command (possibly fed by a pipe).
        expect(line.trim(), help).toMatch(new RegExp(`^\\$ (.* \\| )?${["killswitch", ...path].join(" ")}( |$)`));
      }
    },
  );

  it("documents the exit codes on the root, on every write (--wait) and on audit verify", () => {
    const byName = new Map(all.map(([path, command]) => [path.join(" "), command]));
    for (const name of ["", "kill", "restore", "block", "unblock", "audit verify"]) {
      const help = helpOf(byName.get(name)!);
      for (const line of EXIT_LINES) expect(help, name || "(root)").toMatch(line);
    }
    expect(helpOf(byName.get("audit verify")!)).toMatch(new RegExp(`^ {2}${EXIT.unverified} {2}audit verify`, "m"));
  });

  it("is what the binary prints: exit 0, the exit codes and NO_COLOR on stdout", async () => {
    const run = await runCli(["--help"]);
    expect(run.code, run.stderr).toBe(0);
    for (const line of EXIT_LINES) expect(run.stdout).toMatch(line);
    expect(run.stdout).toContain("NO_COLOR");
    const block = await runCli(["block", "--help"]);
    expect(block.code).toBe(0);
    expect(block.stdout).toContain("$ killswitch block model.fable-5 --where");
  }, 120_000);

  it("runs from the checkout as npx killswitch, with no build step", async () => {
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const { stdout } = await promisify(execFile)("npx", ["--no-install", "killswitch", "--version"], { cwd: root, timeout: 90_000 });
    expect(stdout.trim()).toBe(CLI_VERSION);
  }, 120_000);
});
