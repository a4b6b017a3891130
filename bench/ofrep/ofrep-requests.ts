/** The OFREP requests the benchmark sends: the evaluation fixture's contexts, as OFREP bodies. */
import { FLAG_KEY, generateContexts, referenceEnabled, type BenchContext } from "../eval/fixture.js";

export const OFREP_PATH = `/ofrep/v1/evaluate/flags/${encodeURIComponent(FLAG_KEY)}`;

export interface OfrepRequest {
  context: BenchContext;
  /** The JSON body: `{context}` with the context's key as OpenFeature's targetingKey. */
  body: string;
  expected: boolean;
}

export function ofrepRequests(count: number, seed?: number): OfrepRequest[] {
  return generateContexts(count, seed).map((context) => {
    const { key, ...attributes } = context;
    return { context, body: JSON.stringify({ context: { targetingKey: key, ...attributes } }), expected: referenceEnabled(context) };
  });
}
