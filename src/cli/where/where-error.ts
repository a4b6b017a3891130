/**
 * A `--where` expression that cannot become conditions: says what is wrong and
 * where, as a column under the expression.
 */
export class WhereError extends Error {
  constructor(
    message: string,
    readonly expression: string,
    /** 0-based offset of the offending text. */
    readonly offset: number,
    /** How many characters to underline (at least one). */
    readonly length: number,
  ) {
    super(message);
    this.name = "WhereError";
  }

  /** 1-based, as editors and terminals count. */
  get column(): number {
    return this.offset + 1;
  }

  /** The message, the expression, and a caret line under the offending text. */
  render(): string {
    return [
      `${this.message} (column ${this.column})`,
      `  ${this.expression}`,
      `  ${" ".repeat(this.offset)}${"^".repeat(Math.max(1, this.length))}`,
    ].join("\n");
  }
}
