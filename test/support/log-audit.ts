/**
 * Every server log a test file produces, checked when the file ends
 * (`checkCapturedLogs`, called by log-audit.setup.ts, a vitest setup file whose
 * afterAll runs after the file's own):
 * - no line may contain an API key's secret (`ks_<tenant>_` followed by the
 *   secret part);
 * - the service's JSON lines must parse, one by one;
 * - the contract targets' logs (the in-process Node host, the Worker under
 *   `wrangler dev`) hold exactly one line per request the file's API client
 *   (`api.ts`, `recordAnswer`) saw answered, found by its `x-request-id`.
 *
 * Helpers that start a server register its output here (`captureLog`): the
 * contract targets, `npm start` in a child process (secrets only: a SIGKILL may
 * cut its last line), `wrangler dev`.
 */

/** A bearer token as the service issues it: whatever else a log says, never this. */
const TOKEN = /ks_[a-z0-9]{10}_[A-Za-z0-9_-]{43}/;

export interface CapturedLog {
  label: string;
  read(): string;
  /**
   * `all`: every line is a JSON object (the Node host's pino). `braced`: the
   * lines that start with `{` are the service's JSON objects, the rest another
   * program's text (wrangler's banner and notes around the Worker's lines).
   */
  json?: "all" | "braced";
  /** Lines that are not the service's own (a dev server's access log): not checked. */
  foreign?: RegExp;
  /**
   * Holds the request lines of the answers the file's API client recorded:
   * together, the logs marked so (one per start of the file's target) have
   * exactly one line per answer.
   */
  requests?: boolean;
}

const logs: CapturedLog[] = [];
const answered: string[] = [];

export function captureLog(log: CapturedLog): void {
  logs.push(log);
}

/** An answer's `x-request-id`, as the API client received it. */
export function recordAnswer(requestId: string | null): void {
  if (requestId !== null) answered.push(requestId);
}

/** What is wrong with the logs captured so far: [] when nothing. */
export function checkCapturedLogs(): string[] {
  const problems: string[] = [];
  const linesPerId = new Map<unknown, number>();
  for (const log of logs) {
    const lines = log
      .read()
      .split("\n")
      .filter((line) => line.trim() !== "" && !(log.foreign?.test(line) ?? false));
    for (const line of lines) if (TOKEN.test(line)) problems.push(`${log.label}: a key's secret in: ${line}`);
    if (log.json === undefined) continue;
    for (const line of log.json === "all" ? lines : lines.filter((l) => l.startsWith("{"))) {
      let parsed: { reqId?: unknown };
      try {
        parsed = JSON.parse(line) as { reqId?: unknown };
      } catch {
        problems.push(`${log.label}: a line that is not JSON: ${line}`);
        continue;
      }
      if (log.requests && parsed.reqId !== undefined) linesPerId.set(parsed.reqId, (linesPerId.get(parsed.reqId) ?? 0) + 1);
    }
  }
  if (logs.some((log) => log.requests)) {
    const answers = new Map<string, number>();
    for (const id of answered) answers.set(id, (answers.get(id) ?? 0) + 1);
    for (const [id, n] of answers) {
      if (linesPerId.get(id) !== n) problems.push(`request ${id} answered ${n} time(s), logged in ${linesPerId.get(id) ?? 0} line(s)`);
    }
  }
  return problems;
}
