/**
 * The `killswitch` command line: global flags, and every command registered from
 * src/cli/commands/.
 */
import { Command } from "commander";
import { registerActions } from "./commands/actions.js";
import { registerAudit } from "./commands/audit.js";
import { registerDirective } from "./commands/directive.js";
import { registerExplain } from "./commands/explain.js";
import { registerFlagViews } from "./commands/flags.js";
import { registerInstances } from "./commands/instances.js";
import { registerLogin } from "./commands/login.js";
import { registerWatch } from "./commands/watch.js";
import { EXIT_CODES_HELP } from "./exit-codes.js";

export const CLI_VERSION = "0.1.0";

const ROOT_HELP = `
Connection: --url and --key, else KILLSWITCH_URL and KILLSWITCH_KEY, else the
profile saved by \`killswitch login\` (--profile NAME or KILLSWITCH_PROFILE).

Examples:
  $ killswitch login --url https://killswitch.example.com
  $ killswitch flags
  $ killswitch block model.fable-5 --where 'nationality notIn US' --reason "Export directive received 17:21" --directive EXPORT-2026-001 --wait
  $ killswitch explain model.fable-5 --context '{"nationality":"FR"}'

${EXIT_CODES_HELP}

Colour only on a terminal, never with NO_COLOR or --no-color. --json prints only JSON on stdout.`;

export function buildProgram(): Command {
  const program = new Command("killswitch")
    .description("Kill switches for AI model availability, from the command line")
    .version(CLI_VERSION)
    .option("--url <url>", "the service (or KILLSWITCH_URL)")
    .option("--key <key>", "an API key (or KILLSWITCH_KEY; a flag shows in the process list, prefer login)")
    .option("--profile <name>", "a profile saved by login (or KILLSWITCH_PROFILE)")
    .option("--json", "print only JSON on stdout")
    .option("--no-color", "no colour (also NO_COLOR)")
    .addHelpText("after", ROOT_HELP)
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();
  registerFlagViews(program);
  registerActions(program);
  registerExplain(program);
  registerInstances(program);
  registerWatch(program);
  registerAudit(program);
  registerDirective(program);
  registerLogin(program);
  // Every command throws on a usage error instead of exiting, and main maps it.
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) command.exitOverride();
  return program;
}
