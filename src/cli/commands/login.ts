/**
 * `login` saves a connection as a profile after checking that the key works;
 * `logout` removes it. The key is asked for without echo on a terminal, or read
 * from stdin (`echo $KEY | killswitch login --url …`), so it need not appear in
 * the shell's history or the process list.
 */
import type { Command } from "commander";
import type { EnvironmentView } from "../../core/schemas/responses.js";
import { ApiClient } from "../api-client.js";
import { CliContext } from "../cli-context.js";
import { CliError } from "../cli-error.js";
import { askSecret, readStdin } from "../confirm.js";
import { checkUrl } from "../connection.js";
import { EXIT } from "../exit-codes.js";
import { configPath, readConfig, writeConfig } from "../profiles.js";
import { exampleHelp } from "./help-text.js";

export function registerLogin(program: Command): void {
  exampleHelp(
    program
      .command("login")
      .description("Check a key against the service and save both as a profile (owner-only file)")
      .option("--env <env>", "the environment this profile's commands use by default"),
    [
      "killswitch login --url https://killswitch.example.com        # asks for the key",
      "echo \"$KEY\" | killswitch login --url https://killswitch.example.com --profile staging",
    ],
  ).action(async (flags: { env?: string }, command: Command) => {
    const ctx = new CliContext(command);
    const { term } = ctx;
    const global = ctx.flags;
    const url = global.url ?? process.env.KILLSWITCH_URL;
    if (!url) throw new CliError(EXIT.usage, "give the service with --url (or KILLSWITCH_URL)");
    checkUrl(url);
    let key = global.key ?? process.env.KILLSWITCH_KEY;
    if (!key) key = term.stdinTTY ? await askSecret("API key: ") : await readStdin();
    if (!key) throw new CliError(EXIT.usage, "no API key given: type it at the prompt, pipe it on stdin, or set KILLSWITCH_KEY");
    // Any key of the tenant but an sdk key may list environments: that proves it.
    const envs = await new ApiClient(url, key).getAll<EnvironmentView>("/v1/envs");
    if (flags.env && !envs.some((e) => e.key === flags.env)) {
      throw new CliError(EXIT.usage, `no environment "${flags.env}" (environments: ${envs.map((e) => e.key).join(", ")})`);
    }
    const name = global.profile ?? "default";
    const path = configPath();
    const config = readConfig(path);
    config.profiles[name] = { url, key, ...(flags.env ? { env: flags.env } : {}) };
    config.defaultProfile ??= name;
    writeConfig(config, path);
    if (term.json) return term.printJson({ profile: name, url, env: flags.env ?? null, path, default: config.defaultProfile === name });
    term.line(`Saved profile "${name}" for ${url} in ${path}${config.defaultProfile === name ? " (the default)" : ""}.`);
  });

  exampleHelp(program.command("logout").description("Remove a saved profile (--profile, default: the default one)"), ["killswitch logout --profile staging"]).action(
    async (_flags: unknown, command: Command) => {
      const ctx = new CliContext(command);
      const path = configPath();
      const config = readConfig(path);
      const name = ctx.flags.profile ?? config.defaultProfile;
      if (name === undefined || !config.profiles[name]) throw new CliError(EXIT.usage, `no profile ${name ? `"${name}" ` : ""}to remove in ${path}`);
      delete config.profiles[name];
      if (config.defaultProfile === name) {
        const next = Object.keys(config.profiles)[0];
        if (next === undefined) delete config.defaultProfile;
        else config.defaultProfile = next;
      }
      writeConfig(config, path);
      if (ctx.term.json) return ctx.term.printJson({ removed: name, defaultProfile: config.defaultProfile ?? null });
      ctx.term.line(`Removed profile "${name}".`);
    },
  );
}
