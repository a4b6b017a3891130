/**
 * Runs the CLI and turns what happened into an exit code (exit-codes.ts): a
 * CliError carries its own; commander's usage errors are 1; anything else is a
 * bug, reported as such with exit 1.
 */
import { CommanderError } from "commander";
import { CliError } from "./cli-error.js";
import { EXIT } from "./exit-codes.js";
import { buildProgram } from "./program.js";
import { Terminal } from "./terminal.js";
import { WhereError } from "./where/where-error.js";

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const term = new Terminal({ json, color: !argv.includes("--no-color") });
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here too; commander has printed what it had to say.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof WhereError) {
      if (json) term.printJson({ error: { where: error.expression, column: error.column, message: error.message } });
      term.note(`${term.errStyle("red", "error:")} --where: ${error.render()}`);
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      if (json && error.json) term.printJson(error.json);
      term.note(`${term.errStyle("red", "error:")} ${error.message}`);
      return error.exitCode;
    }
    term.note(`${term.errStyle("red", "error:")} unexpected failure, please report it: ${(error as Error).stack ?? String(error)}`);
    return EXIT.usage;
  }
}
