/**
 * The Prometheus text exposition format (version 0.0.4), written by hand for
 * the Worker: prom-client needs Node's modules, and a tenant's object holds a
 * few dozen series, so rendering is a loop.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
import type { MetricSpec } from "../core/metrics-catalog.js";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A counter's or gauge's value, or a histogram's bucket counts (one per bound, not cumulative, then +Inf), sum and count. */
export type SeriesValue = number | { buckets: number[]; sum: number; count: number };

export interface Series {
  /** In the order of the metric's label names. */
  labels: readonly string[];
  value: SeriesValue;
}

/** One metric family: `# HELP`, `# TYPE`, then a line per sample. */
export function renderFamily(spec: MetricSpec, series: Iterable<Series>): string {
  const lines = [`# HELP ${spec.name} ${escapeHelp(spec.help)}`, `# TYPE ${spec.name} ${spec.type}`];
  for (const { labels, value } of series) {
    const pairs = spec.labels.map((name, i) => `${name}="${escapeLabel(labels[i] ?? "")}"`);
    if (typeof value === "number") {
      lines.push(`${spec.name}${braces(pairs)} ${formatNumber(value)}`);
      continue;
    }
    let cumulative = 0;
    const bounds = spec.buckets ?? [];
    bounds.forEach((bound, i) => {
      cumulative += value.buckets[i] ?? 0;
      lines.push(`${spec.name}_bucket${braces([...pairs, `le="${formatNumber(bound)}"`])} ${cumulative}`);
    });
    lines.push(`${spec.name}_bucket${braces([...pairs, 'le="+Inf"'])} ${value.count}`);
    lines.push(`${spec.name}_sum${braces(pairs)} ${formatNumber(value.sum)}`);
    lines.push(`${spec.name}_count${braces(pairs)} ${value.count}`);
  }
  return `${lines.join("\n")}\n`;
}

const braces = (pairs: string[]): string => (pairs.length === 0 ? "" : `{${pairs.join(",")}}`);

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** Label values escape backslash, double quote and line feed. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Help text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
