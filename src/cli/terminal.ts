/**
 * Where output goes and how it looks: results on stdout, messages and progress on
 * stderr; colour only on a terminal, never with NO_COLOR (https://no-color.org),
 * TERM=dumb or --no-color; with --json, stdout carries nothing but JSON.
 */
export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan";

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** The colour sequences this file writes. */
const ANSI = /\x1b\[[0-9;]*m/g;

/** The length a terminal shows: escape sequences take no columns. */
export const visibleLength = (text: string): number => text.replace(ANSI, "").length;

export interface TerminalOptions {
  json: boolean;
  /** false: --no-color was given. */
  color: boolean;
}

export class Terminal {
  readonly json: boolean;
  readonly stdoutTTY = process.stdout.isTTY === true;
  readonly stderrTTY = process.stderr.isTTY === true;
  readonly stdinTTY = process.stdin.isTTY === true;
  readonly #outColor: boolean;
  readonly #errColor: boolean;

  constructor({ json, color }: TerminalOptions, env: NodeJS.ProcessEnv = process.env) {
    this.json = json;
    const allowed = color && !env.NO_COLOR && env.TERM !== "dumb";
    this.#outColor = allowed && this.stdoutTTY && !json;
    this.#errColor = allowed && this.stderrTTY;
  }

  /** A person can answer a prompt: both the keyboard and the screen are a terminal. */
  get interactive(): boolean {
    return this.stdinTTY && this.stderrTTY;
  }

  /** A line of the result, for a person (nothing with --json). */
  line(text = ""): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }

  /** The result with --json: one JSON document. */
  printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A message or progress line on stderr. */
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }

  /** Styles text for stdout. */
  style(style: Style, text: string): string {
    return this.#outColor ? paint(style, text) : text;
  }

  /** Styles text for stderr. */
  errStyle(style: Style, text: string): string {
    return this.#errColor ? paint(style, text) : text;
  }
}

function paint(style: Style, text: string): string {
  const [open, close] = CODES[style];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}

/** The width of each column: its widest cell, header included. */
export function columnWidths(header: string[], rows: string[][]): number[] {
  return header.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ""))));
}

/** One row, each cell padded to its column's width (the last is not padded). */
export function tableRow(cells: string[], widths: number[]): string {
  return cells
    .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)))))
    .join("  ")
    .trimEnd();
}

/** Rows under a header, columns padded to their widest cell (the last column is not padded). */
export function table(header: string[], rows: string[][], term: Terminal): string {
  const widths = columnWidths(header, rows);
  return [term.style("bold", tableRow(header, widths)), ...rows.map((r) => tableRow(r, widths))].join("\n");
}
