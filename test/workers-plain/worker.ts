/**
 * A test-only plain Worker (no Durable Object): the polling pattern of
 * sdk/README.md ("Runtimes", plain Worker), copied as a user would, with the
 * polling interval taken from a variable so the test can keep it short.
 *
 * `/eval?flag=` refreshes (at most once per interval), then answers
 * `rules.evaluate(flag, {key: "probe"}, false, silence)` with the version as JSON, and
 * `checkedAt`, the Worker's time when its last poll started (which interval answered).
 *
 * Typed against the DOM lib of the root tsconfig; `@killswitch/sdk` resolves
 * through its `paths` (tsc, and esbuild inside wrangler).
 */
import { Ruleset, type HttpSnapshot } from "@killswitch/sdk";

interface Env {
  KILLSWITCH_URL: string;
  KILLSWITCH_SDK_KEY: string;
  /** The README's POLL_MS; a string, as every `--var` is. */
  KILLSWITCH_POLL_MS: string;
}

// --- The README's snippet, as written there (POLL_MS from env instead of a constant). ---
const rules = new Ruleset();
let etag = "";
let heardAt = 0; // the last 200 or 304
let checkedAt = -Infinity; // when the last poll started

async function refresh(env: Env): Promise<void> {
  if (Date.now() - checkedAt < Number(env.KILLSWITCH_POLL_MS)) return;
  checkedAt = Date.now(); // one poll per interval, however many requests arrive meanwhile
  try {
    const r = await fetch(`${env.KILLSWITCH_URL}/v1/snapshot`, {
      headers: { authorization: `Bearer ${env.KILLSWITCH_SDK_KEY}`, "if-none-match": etag },
      signal: AbortSignal.timeout(2_000), // an unreachable service must not hold the request
    });
    if (r.status === 200) {
      const s = (await r.json()) as HttpSnapshot;
      rules.load(s.flags, s.segments, s.version);
      etag = r.headers.get("etag") ?? "";
    }
    if (r.status === 200 || r.status === 304) heardAt = Date.now();
  } catch {
    // Unreachable: keep the last rules; the silence passed to evaluate decides what they serve.
  }
}
// --- End of the README's snippet. ---

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    if (url.pathname !== "/eval") return json({ title: "not found" }, 404);
    const flag = url.searchParams.get("flag");
    if (!flag) return json({ title: "flag is required" }, 400);
    await refresh(env);
    // The fourth argument keeps fail-closed flags honest: the time since the service was heard.
    const result = rules.evaluate(flag, { key: "probe" }, false, Date.now() - heardAt);
    return json({ result, version: rules.version, checkedAt });
  },
};
