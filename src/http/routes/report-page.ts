/**
 * A directive report as a printable HTML page (`Accept: text/html`). Every value
 * goes through hono's `html` template, which escapes it.
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { actorText, receiptText, stragglersText, timeText, verificationText } from "../../core/reports/report-text.js";
import type { DirectiveReport } from "../../core/schemas/responses.js";

const STYLE = `
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #111; }
  h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #999; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
  th, td { border: 1px solid #999; padding: .3rem .5rem; text-align: left; vertical-align: top; }
  th { background: #eee; } code { font-size: .85em; word-break: break-all; }
  .no { font-weight: bold; }
  @media print { body { margin: 0; max-width: none; } a { color: inherit; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
`;

export function reportPage(report: DirectiveReport): HtmlEscapedString | Promise<HtmlEscapedString> {
  const d = report.directive;
  const rows: [string, string][] = [
    ["Status", d.status],
    ["Issuer", d.issuer ?? "—"],
    ["Received", d.receivedAt ? timeText(d.receivedAt) : "—"],
    ["Deadline", d.deadline ? timeText(d.deadline) : "—"],
    ["In effect since", d.inEffectSince ? timeText(d.inEffectSince) : "—"],
    ["Lifted", report.lifted ? `${timeText(report.lifted.at)} by ${report.lifted.by}: ${report.lifted.reason}` : "no"],
    ["Report as of", timeText(report.asOf)],
  ];
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Directive ${d.ref}</title><style>${raw(STYLE)}</style></head>
<body>
<h1>Directive ${d.ref}${d.title ? `: ${d.title}` : ""}</h1>
<table>${rows.map(([name, value]) => html`<tr><th scope="row">${name}</th><td>${value}</td></tr>`)}</table>
${d.summary ? html`<p>${d.summary}</p>` : ""}
<h2>Changes (${report.changes.length}${report.truncated ? ", the oldest only" : ""})</h2>
${report.changes.length === 0 ? html`<p>No change carries this directive.</p>` : ""}
${report.changes.map(
  (change, i) => html`<h3>${i + 1}. ${timeText(change.at)}: ${change.action} ${change.key}${change.env ? ` in ${change.env}` : ""}</h3>
<table>
<tr><th scope="row">What</th><td>${change.text}</td></tr>
<tr><th scope="row">By</th><td>${actorText(change.actor)}</td></tr>
<tr><th scope="row">Reason</th><td>${change.reason ?? "—"}</td></tr>
<tr><th scope="row">Audit</th><td>seq ${change.audit.seq}, hash <code>${change.audit.hash}</code></td></tr>
${change.versions.map(
  (v) => html`<tr><th scope="row">Receipt (${v.env}, version ${v.version})</th><td>${receiptText(v.receipt)}${
    stragglersText(v.receipt) ? html`<br>Stragglers: ${stragglersText(v.receipt)}` : ""
  }</td></tr>`,
)}
</table>`,
)}
<h2>Current state</h2>
${
  report.currentState.length === 0
    ? html`<p>The directive's changes made no kill and no rule.</p>`
    : html`<table><tr><th>Flag</th><th>Environment</th><th>Kill or rule</th><th>Holds</th></tr>${report.currentState.map(
        (s) => html`<tr><td>${s.flag}</td><td>${s.env}</td><td>${s.text}</td><td${s.holds ? "" : html` class="no"`}>${s.holds ? "yes" : "no, lifted"}</td></tr>`,
      )}</table>`
}
<h2>Audit chain</h2>
<p>${verificationText(report)}</p>
</body>
</html>`;
}
