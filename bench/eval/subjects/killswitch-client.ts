/**
 * Killswitch's client API, what applications call: `client.isEnabled(...)` on a
 * real `createClient` whose WebSocket is an in-process stub playing the service.
 * The stub opens at once, sends the fixture's flag as the service's snapshot and
 * answers every `ping` with a `pong`, so the client is connected and fresh — the
 * steady state of a healthy application. Nothing leaves the process: the snapshot
 * poll (used only while a socket cannot connect) is a fetch that always fails.
 */
import { createClient, type KillswitchClient, type SnapshotMessage, type WebSocketConstructor } from "@killswitch/sdk";
import { FLAG, FLAG_KEY, type BenchContext } from "../fixture.js";
import { installedVersion } from "../installed-version.js";
import type { Subject } from "../subject.js";

/** The service's side of one stream, in memory: snapshot on open, pong for ping. */
class StubSocket {
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: ((event: { message?: string }) => void) | null = null;

  constructor() {
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.();
      const snapshot: SnapshotMessage = { t: "snapshot", v: 1, env: "bench", flags: { [FLAG_KEY]: FLAG }, segments: {}, serverTime: Date.now() };
      this.deliver(JSON.stringify(snapshot));
    });
  }

  send(data: string): void {
    if (data === "ping") this.deliver("pong");
  }

  close(): void {
    this.readyState = 3;
  }

  private deliver(data: string): void {
    setTimeout(() => this.readyState === 1 && this.onmessage?.({ data }));
  }
}

export async function createKillswitchClientSubject(): Promise<Subject<BenchContext>> {
  const client: KillswitchClient = createClient({
    url: "http://killswitch.invalid",
    sdkKey: "ks_benchmark_stub",
    app: "bench-eval",
    WebSocket: StubSocket as WebSocketConstructor,
    fetch: () => Promise.reject(new Error("offline benchmark")),
    // The harness may hold the event loop for many seconds (no pong is delivered meanwhile):
    // a one-hour limit keeps the client fresh, the state being measured.
    staleAfterMs: 3_600_000,
  });
  const status = await client.ready({ timeoutMs: 5_000 });
  if (status !== "ready") throw new Error(`the stub service did not make the client ready (${status})`);
  return {
    name: "Killswitch client (`client.isEnabled`)",
    // The workspace link: this repository's sdk/, evaluated from source.
    pkg: installedVersion("@killswitch/sdk"),
    encoding:
      "the same flag, received by `createClient` as the snapshot of an in-process stub service over a stub WebSocket; connected and fresh",
    adaptation: "none",
    adapt: (context) => context,
    evaluate: (context) => client.isEnabled(FLAG_KEY, context, false),
    runAll(contexts) {
      let on = 0;
      for (let i = 0; i < contexts.length; i++) if (client.isEnabled(FLAG_KEY, contexts[i]!, false)) on++;
      return on;
    },
    close: () => client.close(),
  };
}
