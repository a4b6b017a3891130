/**
 * `--where`: conditions joined by `and`, parsed by recursive descent over the
 * tokens of where-tokenizer.ts.
 *
 *   expression := condition ( "and" condition )*
 *   condition  := ATTRIBUTE OPERATOR [ value ( "," value )* ]
 *   value      := WORD | STRING
 *
 * `exists` and `missing` take no values; every other operator takes at least one.
 * Whether an attribute is declared is checked against the service, not here.
 * Operators are the rule engine's (`in`, `notIn`, `lt`, …), matched without regard
 * to case. A value's type: quoted is always a string; `lt lte gt gte` take numbers;
 * `in`/`notIn` read a bare number or `true`/`false` as a number or boolean unless
 * the attribute is declared a string (quote it otherwise); every other operator
 * takes strings.
 */
import type { AttributeCondition, ConditionValue, Operator } from "../../../sdk/src/model.js";
import { OPERATORS } from "../../../sdk/src/model.js";
import { closestName } from "../../core/attributes/suggest.js";
import { WhereError } from "./where-error.js";
import { tokenize, type Token } from "./where-tokenizer.js";

/** Where each part of a condition sits in the expression, to point at it later (a refusal by the API). */
export interface ConditionSpan {
  offset: number;
  end: number;
  attribute: { offset: number; end: number };
  op: { offset: number; end: number };
  values: { offset: number; end: number }[];
}

export interface ParsedWhere {
  conditions: AttributeCondition[];
  spans: ConditionSpan[];
}

export interface WhereOptions {
  /** An attribute's declared type, when it has one: a string attribute keeps bare numbers as strings. */
  typeOf?: (attribute: string) => string | undefined;
}

const OPERATOR_BY_LOWER = new Map<string, Operator>(OPERATORS.map((op) => [op.toLowerCase(), op]));
const NO_VALUES: ReadonlySet<Operator> = new Set(["exists", "missing"]);
const NUMERIC: ReadonlySet<Operator> = new Set(["lt", "lte", "gt", "gte"]);
const LEXICAL: ReadonlySet<Operator> = new Set(["in", "notIn"]);
/** A JSON number: no leading zeros, so "02139" stays a string. */
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

const isAnd = (token: Token): boolean => token.kind === "word" && token.text.toLowerCase() === "and";
const describe = (token: Token): string => (token.kind === "end" ? "the end" : `"${token.text}"`);

class Parser {
  private i = 0;
  constructor(
    private readonly expression: string,
    private readonly tokens: Token[],
    private readonly options: WhereOptions,
  ) {}

  /** A method, not a getter: TypeScript would keep a narrowed kind across `this.i++`. */
  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private fail(message: string, token: Token = this.peek()): never {
    throw new WhereError(message, this.expression, token.offset, Math.max(1, token.end - token.offset));
  }

  expressionRule(): ParsedWhere {
    const conditions: AttributeCondition[] = [];
    const spans: ConditionSpan[] = [];
    if (this.peek().kind === "end") this.fail("expected a condition such as: nationality notIn US");
    for (;;) {
      const [condition, span] = this.condition();
      conditions.push(condition);
      spans.push(span);
      if (this.peek().kind === "end") return { conditions, spans };
      if (!isAnd(this.peek())) {
        const hint = condition.values ? '"," between values or "and" between conditions' : '"and" between conditions';
        this.fail(`expected ${hint}, found ${describe(this.peek())}`);
      }
      this.i++;
      if (this.peek().kind === "end") this.fail('expected a condition after "and"');
    }
  }

  private condition(): [AttributeCondition, ConditionSpan] {
    const attributeToken = this.peek();
    if (attributeToken.kind !== "word" || isAnd(attributeToken)) {
      this.fail(`expected an attribute name, found ${describe(attributeToken)}`);
    }
    this.i++;
    const opToken = this.peek();
    if (opToken.kind !== "word") this.fail(`expected an operator after "${attributeToken.text}", such as in or notIn`);
    const op = OPERATOR_BY_LOWER.get(opToken.text.toLowerCase());
    if (!op) {
      const near = closestName(opToken.text.toLowerCase(), OPERATOR_BY_LOWER.keys());
      const hint = near ? `did you mean "${OPERATOR_BY_LOWER.get(near)}"?` : `operators: ${OPERATORS.join(" ")}`;
      this.fail(`unknown operator "${opToken.text}": ${hint}`);
    }
    this.i++;
    const attribute = attributeToken.text;
    const values: ConditionValue[] = [];
    const valueSpans: ConditionSpan["values"] = [];
    if (NO_VALUES.has(op)) {
      if (this.peek().kind !== "end" && !isAnd(this.peek())) this.fail(`"${op}" takes no values`);
    } else {
      for (;;) {
        const t = this.peek();
        if (t.kind !== "word" && t.kind !== "string") {
          this.fail(values.length === 0 ? `expected a value after "${op}"` : 'expected a value after ","');
        }
        if (t.kind === "word" && isAnd(t) && values.length === 0) {
          this.fail(`expected a value after "${op}" (quote "and" to compare with the word)`);
        }
        values.push(this.value(attribute, op, t));
        valueSpans.push({ offset: t.offset, end: t.end });
        this.i++;
        if (this.peek().kind !== "comma") break;
        this.i++;
      }
    }
    const last = this.tokens[this.i - 1]!;
    const condition: AttributeCondition = values.length > 0 ? { attribute, op, values } : { attribute, op };
    const span: ConditionSpan = {
      offset: attributeToken.offset,
      end: last.end,
      attribute: { offset: attributeToken.offset, end: attributeToken.end },
      op: { offset: opToken.offset, end: opToken.end },
      values: valueSpans,
    };
    return [condition, span];
  }

  private value(attribute: string, op: Operator, t: Token): ConditionValue {
    if (NUMERIC.has(op)) {
      if (t.kind !== "word" || !NUMBER.test(t.text)) this.fail(`"${op}" compares numbers: ${describe(t)} is not a number`, t);
      return Number(t.text);
    }
    if (t.kind === "string" || !LEXICAL.has(op)) return t.text;
    const declared = this.options.typeOf?.(attribute);
    if (declared === "string" || declared === "semver" || declared === "instant") return t.text;
    if (declared !== "number" && (t.text === "true" || t.text === "false")) return t.text === "true";
    if (declared !== "boolean" && NUMBER.test(t.text)) return Number(t.text);
    return t.text;
  }
}

/** Parses a `--where` expression; throws a WhereError that points at the column. */
export function parseWhere(expression: string, options: WhereOptions = {}): ParsedWhere {
  return new Parser(expression, tokenize(expression), options).expressionRule();
}
