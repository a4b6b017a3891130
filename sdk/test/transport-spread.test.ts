import { afterAll, expect, it, vi } from "vitest";
import { blockedForForeigners, foreignNationals } from "./support/flags.js";
import { client, closeClients } from "./support/clients.js";
import { FakeServer, TEST_KEY, waitFor } from "./support/fake-server.js";

// Records every reconnect delay the real clients choose: the real backoff, observed.
// The delays, not the server's arrival times, are what the client decides: arrivals
// bunch whenever a loaded machine stalls the event loop, whatever the delays were.
const chosen = vi.hoisted(() => [] as { n: number; delay: number }[]);
vi.mock("../src/client/backoff.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/client/backoff.js")>();
  return {
    ...real,
    backoff: (n: number, base: number) => {
      const delay = real.backoff(n, base);
      chosen.push({ n, delay });
      return delay;
    },
  };
});

const CLIENTS = 1_000;
const WINDOW_MS = 100;

let server: FakeServer;

afterAll(async () => {
  await closeClients();
  await server?.close();
});

/** The largest number of times within any window of `width` ms (sliding, not bucketed). */
const busiestWindow = (times: number[], width: number): number => {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= width) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
};

it(
  "spreads the reconnect delays of 1,000 dropped clients: no more than 5 % in any 100 ms window",
  async () => {
    server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
    // The real 3 s base: the first delay after a drop is uniform in [0, 6 s).
    const clients = Array.from({ length: CLIENTS }, () => client({ url: server.url, sdkKey: TEST_KEY }));
    const states = await Promise.all(clients.map((c) => c.ready({ timeoutMs: 15_000 })));
    expect(states.every((s) => s === "ready")).toBe(true);

    chosen.length = 0;
    const before = server.attempts.length;
    server.drop();
    await waitFor(() => server.attempts.length - before >= CLIENTS && server.open.size === CLIENTS, "every client back", 20_000);

    // Each client chose one first-attempt delay after the drop, and came back once.
    const first = chosen.filter((c) => c.n === 1).map((c) => c.delay);
    expect(first).toHaveLength(CLIENTS);
    expect(server.attempts.slice(before)).toHaveLength(CLIENTS);
    expect(Math.max(...first)).toBeLessThan(6_000);
    expect(busiestWindow(first, WINDOW_MS)).toBeLessThanOrEqual(CLIENTS * 0.05);
    // And they resumed where they were.
    expect(server.connections.slice(CLIENTS).every((c) => c.hello?.since === 1)).toBe(true);
  },
  40_000,
);
