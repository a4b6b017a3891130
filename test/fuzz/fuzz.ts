/**
 * The oracle fuzzer: random and hostile requests to every route of
 * `/openapi.json`, then hostile stream frames, then the end-of-run checks
 * (docs/testing.md). One seed fixes the whole sequence of choices; a failure
 * names the seed, the request and how to replay it.
 */
import fc from "fast-check";
import { apiFor } from "../support/api.js";
import type { ContractTarget } from "../support/contract-target.js";
import { finalChecks, watchedClient } from "./final-checks.js";
import { runSocketCase, socketCaseArb } from "./frames.js";
import { knownFindingOf, type KnownFinding } from "./known-findings.js";
import { readDocument } from "./operations.js";
import { describeFailure, judge, send, type Failure } from "./oracle.js";
import { concrete, requestArb } from "./requests.js";
import { buildWorld, replenish, writtenState } from "./world.js";

export interface FuzzOptions {
  seed: number;
  /** HTTP requests, each judged. */
  requests: number;
  /** Stream sockets, a few frames each. */
  sockets: number;
  /** How long a socket must stay quiet after its pong (the Worker answers ping without waking the object). */
  settleMs: number;
  /** The command that replays a run, given its seed and counts. */
  replay(seed: number, requests: number, sockets: number): string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  sockets: number;
  /** Answers by status. */
  statuses: Record<number, number>;
  /** Milliseconds spent per phase. */
  phases: { setup: number; requests: number; sockets: number; final: number };
  /** Failures the known-findings list let through, with the entry that matched. */
  known: { finding: KnownFinding; failure: Failure }[];
}

/** Thrown at the first failure that no known finding matches. */
export class FuzzFailure extends Error {
  override name = "FuzzFailure";
}

export async function runFuzz(target: ContractTarget, options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const api = apiFor(target);
  const world = await buildWorld(target, api);
  const doc = readDocument((await api("GET", "/openapi.json")).body);
  let phaseStart = started;
  const phase = (): number => {
    const now = Date.now();
    const spent = now - phaseStart;
    phaseStart = now;
    return spent;
  };
  const report: FuzzReport = { seed: options.seed, requests: 0, sockets: 0, statuses: {}, phases: { setup: 0, requests: 0, sockets: 0, final: 0 }, known: [] };
  const watcher = watchedClient(world, "fuzz-watcher");

  /** Known failures are kept for the report; the first other one ends the run. */
  const check = (failures: Failure[], replay: string) => {
    for (const failure of failures) {
      const finding = knownFindingOf(failure);
      if (finding !== undefined) report.known.push({ finding, failure });
      else throw new FuzzFailure(`fuzz seed ${options.seed}: ${describeFailure(failure, replay)}`);
    }
  };

  try {
    if ((await watcher.client.ready({ timeoutMs: 20_000 })) !== "ready") throw new Error("the watching SDK client got no snapshot");
    let before = await writtenState(world);
    report.phases.setup = phase();

    const requests = fc.asyncProperty(requestArb(doc, world), async (choice) => {
      const request = concrete(world, choice);
      const answer = await send(world, request);
      report.requests++;
      report.statuses[answer.status] = (report.statuses[answer.status] ?? 0) + 1;
      if (process.env.FUZZ_DEBUG) console.log(answer.status, request.method, request.url.slice(0, 100), request.credential, answer.text.slice(0, 160), "BODY", request.body?.slice(0, 400));
      const judged = await judge(world, before, request, answer, choice.op.ofrep);
      before = judged.after;
      if (request.method === "DELETE" && answer.status < 300 && /^\/v1\/(flags|envs\/[^/]+\/segments)\/[^/]+$/.test(request.url)) {
        await replenish(world);
        before = await writtenState(world);
      }
      check(judged.failures, options.replay(options.seed, report.requests, 0));
    });
    rethrow(await fc.check(requests, { seed: options.seed, numRuns: options.requests, endOnFailure: true }));
    report.phases.requests = phase();

    const sockets = fc.asyncProperty(socketCaseArb(doc), async (c) => {
      report.sockets++;
      check(await runSocketCase(world, c, options.settleMs), options.replay(options.seed, options.requests, report.sockets));
    });
    rethrow(await fc.check(sockets, { seed: options.seed + 1, numRuns: options.sockets, endOnFailure: true }));
    report.phases.sockets = phase();

    // One more change, which the watching client must receive although hostile sockets came and went.
    const last = await api("POST", "/v1/flags", { key: world.a.admin, json: { key: `fuzz.final-${options.seed}`, kind: "boolean" } });
    if (last.status !== 201) throw new Error(`the final change failed: ${last.status} ${JSON.stringify(last.body)}`);
    check(await finalChecks(world, watcher), options.replay(options.seed, options.requests, options.sockets));
    report.phases.final = phase();
  } finally {
    await watcher.client.close();
  }
  return report;
}

/** fast-check's failure, as the FuzzFailure the property threw (which carries the request), or its own report. */
function rethrow<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  if (details.errorInstance instanceof FuzzFailure) throw details.errorInstance;
  throw new FuzzFailure(`fuzz seed ${details.seed}: ${fc.defaultReportMessage(details) ?? String(details.errorInstance)}`);
}
