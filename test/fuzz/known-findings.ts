/**
 * Findings of the fuzzer that wait for work on other branches (issue 11). Each
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

/** Every string anywhere in a value. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

/**
 * Condition values that the server's checks take and the SDK's parsers refuse:
 * a calendar date that does not exist (JavaScript's Date rolls Feb 30 over to
 * March), hour 24, and a semver over the SDK's 256 characters.
 */
function isServerOnlyValue(text: string): boolean {
  const date = /^(\d{4})-(\d{2})-(\d{2})T/.exec(text);
  if (date !== null) {
    const [year, month, day] = date.slice(1).map(Number) as [number, number, number];
    if (month >= 1 && month <= 12 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return true;
  }
  return /T24:/.test(text) || (/^\d+\.\d+\.\d+-/.test(text) && text.length > 256);
}

export const KNOWN_FINDINGS: KnownFinding[] = [
  {
    id: "server-accepts-what-the-sdk-cannot-compile",
    finding:
      "A block, config or segment whose condition holds an instant such as 2026-02-30T00:00:00Z, or a semver over 256 characters, is accepted (200) and then does not compile in the SDK: every SDK serves the caller's default for the flags it touches.",
    waitsFor: "issue 11 §1: the server compiles every write with the SDK's compiler",
    matches: (failure) => failure.check === "sdk-compile" && strings(failure.subject).some(isServerOnlyValue),
  },
];

export function knownFindingOf(failure: Failure): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((known) => known.matches(failure));
}
