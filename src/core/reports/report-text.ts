/**
 * The pieces of a directive report that every rendering says the same way
 * (Markdown, the printable page): times, actors, receipts.
 */
import type { DirectiveReport, ReportReceipt } from "../schemas/responses.js";

/** `2026-11-27 17:24:03.120 UTC`. */
export function timeText(iso: string | null): string {
  return iso === null ? "—" : `${iso.replace("T", " ").replace(/Z$/, "")} UTC`;
}

export function actorText(actor: DirectiveReport["changes"][number]["actor"]): string {
  return `${actor.name} (${actor.role}${actor.keyId ? `, ${actor.keyId}` : ""})`;
}

const ms = (value: number | null): string => (value === null ? "—" : `${value} ms`);

/** `50 of 50 applied; p50 3 ms, p99 9 ms, max 10 ms; 100 % after 10 ms`. */
export function receiptText(receipt: ReportReceipt | null): string {
  if (receipt === null) return "not final yet (no saved receipt)";
  if (receipt.status === "no-instances") return "no instance was connected at commit: nothing was reached";
  const latencies = `p50 ${ms(receipt.latencyMs.p50)}, p99 ${ms(receipt.latencyMs.p99)}, max ${ms(receipt.latencyMs.max)}`;
  const done = receipt.complete ? `100 % after ${ms(receipt.timeTo100Ms)}` : `incomplete when saved (${receipt.savedBecause})`;
  return `${receipt.acked} of ${receipt.connected} applied; ${latencies}; ${done}`;
}

export function stragglersText(receipt: ReportReceipt | null): string | null {
  if (receipt === null || receipt.stragglers.length === 0) return null;
  return receipt.stragglers.map((s) => `${s.app}: ${s.instances.join(", ")}`).join("; ");
}

export function verificationText(report: DirectiveReport): string {
  const { verification, head } = report.audit;
  const verdict = verification.ok ? "intact" : `BROKEN at seq ${verification.brokenAt ?? "?"} (breaks: ${verification.breaks.join(", ")})`;
  return `${verdict}; ${verification.entries} entries; head seq ${head.seq}, hash ${head.hash}, at ${timeText(head.at)}`;
}
