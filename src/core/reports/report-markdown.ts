/** A directive report as Markdown (`Accept: text/markdown`): for a ticket, an e-mail, a repository. */
import type { DirectiveReport } from "../schemas/responses.js";
import { actorText, receiptText, stragglersText, timeText, verificationText } from "./report-text.js";

/** A table cell: pipes escaped, line breaks as spaces. */
const cell = (text: string | null | undefined): string => (text ?? "—").replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

export function reportMarkdown(report: DirectiveReport): string {
  const d = report.directive;
  const out: string[] = [];
  out.push(`# Directive ${d.ref}${d.title ? `: ${d.title}` : ""}`, "");
  out.push("| | |", "|---|---|");
  out.push(`| Status | ${cell(d.status)} |`);
  out.push(`| Issuer | ${cell(d.issuer)} |`);
  out.push(`| Received | ${cell(d.receivedAt && timeText(d.receivedAt))} |`);
  out.push(`| Deadline | ${cell(d.deadline && timeText(d.deadline))} |`);
  out.push(`| In effect since | ${cell(d.inEffectSince && timeText(d.inEffectSince))} |`);
  out.push(`| Lifted | ${report.lifted ? cell(`${timeText(report.lifted.at)} by ${report.lifted.by}: ${report.lifted.reason}`) : "no"} |`);
  out.push(`| Report as of | ${cell(timeText(report.asOf))} |`, "");
  if (d.summary) out.push(d.summary, "");

  out.push(`## Changes (${report.changes.length}${report.truncated ? ", the oldest only" : ""})`, "");
  if (report.changes.length === 0) out.push("No change carries this directive.", "");
  report.changes.forEach((change, i) => {
    out.push(`### ${i + 1}. ${timeText(change.at)}: ${change.action} ${change.key}${change.env ? ` in ${change.env}` : ""}`, "");
    out.push(`- What: ${change.text}`);
    out.push(`- By: ${actorText(change.actor)}`);
    out.push(`- Reason: ${change.reason ?? "—"}`);
    out.push(`- Audit: seq ${change.audit.seq}, hash ${change.audit.hash}`);
    for (const version of change.versions) {
      out.push(`- Receipt (${version.env}, version ${version.version}): ${receiptText(version.receipt)}`);
      const stragglers = stragglersText(version.receipt);
      if (stragglers) out.push(`  - Stragglers: ${stragglers}`);
    }
    out.push("");
  });

  out.push("## Current state", "");
  if (report.currentState.length === 0) out.push("The directive's changes made no kill and no rule.", "");
  else {
    out.push("| Flag | Environment | Kill or rule | Holds |", "|---|---|---|---|");
    for (const state of report.currentState) {
      out.push(`| ${cell(state.flag)} | ${cell(state.env)} | ${cell(state.text)} | ${state.holds ? "yes" : "no, lifted"} |`);
    }
    out.push("");
  }

  out.push("## Audit chain", "", verificationText(report), "");
  return out.join("\n");
}
