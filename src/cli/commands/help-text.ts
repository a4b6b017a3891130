/**
 * The text after each command's options in --help: examples always, the exit
 * codes on commands that can end with more than ok or usage, the --where grammar
 * on `block`.
 */
import type { Command } from "commander";
import { EXIT_CODES_HELP } from "../exit-codes.js";

export const WHERE_HELP = `--where:
  Conditions joined by "and"; each is ATTRIBUTE OPERATOR VALUES, values
  separated by commas: 'nationality notIn US,CA and employer in acme'.
  Operators: in notIn startsWith endsWith contains lt lte gt gte
  semverLt semverGt semverEq before after, and exists / missing (no values).
  Quote a value with spaces, commas or the word and: employer in "Acme, Inc.".
  A bare number or true/false is a number or boolean unless the attribute is
  declared a string; quoted values are strings. An error points at its column.`;

export interface HelpExtras {
  exitCodes?: boolean;
  where?: boolean;
}

export function exampleHelp(command: Command, examples: string[], extras: HelpExtras = {}): Command {
  const sections = [`Example${examples.length > 1 ? "s" : ""}:\n${examples.map((e) => `  $ ${e}`).join("\n")}`];
  if (extras.where) sections.push(WHERE_HELP);
  if (extras.exitCodes) sections.push(EXIT_CODES_HELP);
  return command.addHelpText("after", `\n${sections.join("\n\n")}`);
}
