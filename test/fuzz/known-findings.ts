/**
 * Findings of the fuzzer that wait for work not yet merged. Each
 * entry matches its finding as narrowly as it can; a matching failure is
 * reported at the end of the run, not thrown, so that the fuzzer passes in CI
 * without hiding it. Remove an entry once the work it waits for is merged: the
 * fuzzer then fails if the finding is still there.
 *
 * This list is the only place where a failure is let through.
 */
import type { Failure } from "./oracle.js";

export interface KnownFinding {
  id: string;
  /** What the fuzzer found. */
  finding: string;
  /** The work that fixes it. */
  waitsFor: string;
  matches(failure: Failure): boolean;
}

/** Empty: every finding so far is fixed. An entry names the finding and the work it waits for. */
export const KNOWN_FINDINGS: KnownFinding[] = [];

export function knownFindingOf(failure: Failure): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((known) => known.matches(failure));
}
