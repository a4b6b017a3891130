/** The CLI's exit codes: scripts branch on them, so they never change meaning. */
export const EXIT = {
  ok: 0,
  /** Bad arguments, an unparsable --where, a declined prompt, or a local file that cannot be read or written. */
  usage: 1,
  /** The API answered with a problem (4xx): its detail is printed. */
  refused: 2,
  /** --wait: instances still pending when --timeout ran out. */
  incomplete: 3,
  /** --wait: no instance was connected when the change was committed. */
  noInstances: 4,
  /** No answer: connection refused, timed out, or a 5xx. */
  unreachable: 5,
  /** `audit verify`: the chain has a break, or no longer holds the checkpoint. */
  unverified: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok (with --wait: every instance connected at commit applied the change)
  1  usage: bad arguments, a --where that does not parse, a declined prompt
  2  refused by the API (its problem's detail is printed)
  3  --wait: not complete within --timeout (the pending instances are named)
  4  --wait: no instance was connected at commit (unless --allow-none)
  5  service unreachable (no answer, a timeout, or a 5xx)
  6  audit verify: the chain is broken or no longer holds the checkpoint`;
