/** `instances`: the SDK instances connected to an environment, and the version each applied. */
import type { Command } from "commander";
import type { z } from "zod";
import type { instanceListSchema } from "../../core/schemas/responses.js";
import { seg } from "../api-client.js";
import { CliContext } from "../cli-context.js";
import { table } from "../terminal.js";
import { agoText, instantText } from "../time-text.js";
import { exampleHelp } from "./help-text.js";

type InstanceList = z.infer<typeof instanceListSchema>;

export function registerInstances(program: Command): void {
  exampleHelp(
    program
      .command("instances")
      .description("The SDK instances connected to an environment, and the version each has applied")
      .option("--env <env>", "environment (default: the profile's, KILLSWITCH_ENV, or production)"),
    ["killswitch instances --env production"],
  ).action(async (_flags: unknown, command: Command) => {
    const ctx = new CliContext(command);
    const env = ctx.env;
    const list = await ctx.client.get<InstanceList>(`/v1/envs/${seg(env)}/instances`);
    const { term } = ctx;
    if (term.json) return term.printJson(list);
    if (list.total === 0) return term.line(`No instance is connected to ${env}.`);
    const newest = Math.max(...list.items.map((i) => i.appliedVersion ?? 0));
    term.line(
      table(
        ["INSTANCE", "APP", "SDK", "CONNECTED", "APPLIED", "LAST ACK"],
        list.items.map((i) => [
          i.instance,
          i.app,
          i.sdk,
          instantText(i.connectedAt),
          i.appliedVersion === null ? term.style("yellow", "none") : i.appliedVersion < newest ? term.style("yellow", String(i.appliedVersion)) : String(i.appliedVersion),
          agoText(i.lastAckAt),
        ]),
        term,
      ),
    );
    term.line(`${list.total} instance${list.total === 1 ? "" : "s"} connected to ${env}.`);
  });
}
