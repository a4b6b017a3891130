/** Every SDK must give the reference's answer on every context. */
import type { BenchContext } from "./fixture.js";
import type { Subject } from "./subject.js";

export interface Agreement {
  name: string;
  mismatches: number;
  /** The first few disagreements, for the report. */
  examples: Array<{ context: BenchContext; expected: boolean; got: boolean }>;
}

export async function checkAgreement<C>(
  subject: Subject<C>,
  contexts: BenchContext[],
  expected: boolean[],
  keep = 5,
): Promise<Agreement> {
  const agreement: Agreement = { name: subject.name, mismatches: 0, examples: [] };
  for (let i = 0; i < contexts.length; i++) {
    const context = contexts[i]!;
    const got = await subject.evaluate(subject.adapt(context));
    if (got !== expected[i]) {
      agreement.mismatches++;
      if (agreement.examples.length < keep) agreement.examples.push({ context, expected: expected[i]!, got });
    }
  }
  return agreement;
}
