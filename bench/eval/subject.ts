import type { BenchContext } from "./fixture.js";

/**
 * One SDK under test, holding the fixture's flag in its own rule language.
 *
 * Contexts are converted to the SDK's native shape once, before timing (what
 * an application would hand that SDK). `runAll` owns the timed loop so that
 * each SDK's call site stays monomorphic: a loop shared by five SDKs would
 * charge every one of them a megamorphic call.
 */
export interface Subject<C = unknown> {
  /** Short name for the table. */
  name: string;
  /** npm package and installed version. */
  pkg: string;
  /** How the rule is written for this SDK. */
  encoding: string;
  /** How contexts are adapted for this SDK, or "none". */
  adaptation: string;
  /** The SDK's native context for one fixture context. */
  adapt(context: BenchContext): C;
  /** One evaluation: is the flag on? (Used for the agreement check.) */
  evaluate(context: C): boolean | Promise<boolean>;
  /** Evaluates every context once, in order; returns how many were on. */
  runAll(contexts: C[]): number | Promise<number>;
  close(): Promise<void> | void;
}
