/**
 * Reading a scrape as Prometheus would: the text is parsed by
 * parse-prometheus-text-format (the most used parser on npm, prom2json's
 * output), never by a regex of ours, so a malformed exposition fails the test
 * that reads it.
 *
 * That parser merges every series of a labelled histogram into one (its open
 * pull request #8), so histograms are read a second way too: the same text with
 * their `# TYPE` set to untyped, which the parser reads as plain families
 * (`x_bucket`, `x_sum`, `x_count`), each sample with its own labels.
 */
import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface Scrape {
  /** Metric family names, in the order of the text. */
  names(): string[];
  type(name: string): string | undefined;
  /** A counter's or gauge's value for exactly these labels (0 when the series is absent). */
  value(name: string, labels?: Record<string, string>): number;
  /** A histogram's observation count for exactly these labels, summed over matching series when `partial`. */
  count(name: string, labels?: Record<string, string>, partial?: boolean): number;
  /** Every label set a family has (for a histogram, those of its `_count` series). */
  labels(name: string): Record<string, string>[];
}

export function parseScrape(text: string): Scrape {
  const families = parsePrometheusTextFormat(text);
  const family = (name: string) => families.find((f) => f.name === name);
  // Each series of a histogram ends its own run of lines, so one name comes back as several families.
  const untyped = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, "# TYPE $1 untyped"));
  const counts = (name: string) => untyped.filter((f) => f.name === `${name}_count`).flatMap((f) => f.metrics);
  const same = (a: Record<string, string> = {}, b: Record<string, string> = {}, partial = false) =>
    Object.entries(b).every(([k, v]) => a[k] === v) && (partial || Object.keys(a).length === Object.keys(b).length);
  return {
    names: () => families.map((f) => f.name),
    type: (name) => family(name)?.type,
    value: (name, labels = {}) => Number(family(name)?.metrics.find((m) => same(m.labels, labels))?.value ?? 0),
    count: (name, labels = {}, partial = false) =>
      counts(name)
        .filter((m) => same(m.labels, labels, partial))
        .reduce((sum, m) => sum + Number(m.value ?? 0), 0),
    labels: (name) =>
      (family(name)?.type === "HISTOGRAM" ? counts(name) : (family(name)?.metrics ?? [])).map((m) => m.labels ?? {}),
  };
}
