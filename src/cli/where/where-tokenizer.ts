/**
 * The tokens of a `--where` expression: words, quoted strings and commas, each
 * with its offset so that an error can point at it.
 *
 *   nationality notIn US,CA and employer in "Acme, Inc."
 *   └─word────┘ └word┘ └┘│└┘ └┘  └word──┘ └┘ └─string───┘
 */
import { WhereError } from "./where-error.js";

export type Token =
  /** A run of characters other than white space and `,`, not starting with a quote. */
  | { kind: "word"; text: string; offset: number; end: number }
  /** A quoted string: its value, escapes resolved (`\"`, `\\`). */
  | { kind: "string"; text: string; offset: number; end: number }
  | { kind: "comma"; text: ","; offset: number; end: number }
  | { kind: "end"; text: ""; offset: number; end: number };

const SPACE = /\s/;
const WORD_STOP = /[\s,]/;

export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i]!;
    if (SPACE.test(c)) {
      i++;
    } else if (c === ",") {
      tokens.push({ kind: "comma", text: ",", offset: i, end: i + 1 });
      i++;
    } else if (c === '"' || c === "'") {
      const start = i;
      let text = "";
      i++;
      for (;;) {
        if (i >= expression.length) {
          throw new WhereError(`unterminated string: add the closing ${c}`, expression, start, expression.length - start);
        }
        const d = expression[i]!;
        if (d === c) break;
        if (d === "\\" && i + 1 < expression.length) {
          text += expression[i + 1];
          i += 2;
        } else {
          text += d;
          i++;
        }
      }
      i++; // the closing quote
      tokens.push({ kind: "string", text, offset: start, end: i });
    } else {
      const start = i;
      while (i < expression.length && !WORD_STOP.test(expression[i]!)) i++;
      tokens.push({ kind: "word", text: expression.slice(start, i), offset: start, end: i });
    }
  }
  tokens.push({ kind: "end", text: "", offset: expression.length, end: expression.length });
  return tokens;
}
