/**
 * The universal core in headless Chromium: the page builds a client over an in-page
 * stream and hands it the snapshot text (fetched first, outside the measure); a timer
 * re-armed at once records the longest gap between two turns of the page's loop until
 * the snapshot is applied. What a browser's own WebSocket does with 50 MB before the
 * message event (on its network thread, then one string on the main thread) is not in it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../../test/browser/support/chromium.js";
import { startStaticServer } from "../../test/browser/support/static-server.js";

export interface PageStalls {
  longestMs: number;
  over100: number;
  appliedMs: number;
}

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { createClient } from "/sdk/index.js";
window.measure = async () => {
  const text = await (await fetch("/snapshot.json")).text();
  let socket;
  let opened;
  const open = new Promise((r) => (opened = r));
  class Stream {
    readyState = 0; onopen = null; onmessage = null; onclose = null; onerror = null;
    constructor() { socket = this; setTimeout(() => { this.readyState = 1; this.onopen?.(); opened(); }); }
    send() {}
    close() { this.readyState = 3; }
  }
  const client = createClient({ url: "http://bench.invalid", sdkKey: "ks_benchbench_key", WebSocket: Stream, fetch: () => new Promise(() => {}), staleAfterMs: 600000 });
  const applied = new Promise((r) => client.on("change", r));
  await open;
  await new Promise((r) => setTimeout(r, 50));
  let last = performance.now(), longest = 0, over = 0, on = true;
  const tick = () => { const now = performance.now(); const gap = now - last; longest = Math.max(longest, gap); if (gap > 100) over++; last = now; if (on) setTimeout(tick, 0); };
  setTimeout(tick, 0);
  const start = performance.now();
  socket.onmessage({ data: text });
  await applied;
  const appliedMs = performance.now() - start;
  on = false;
  await client.close();
  return { longestMs: longest, over100: over, appliedMs };
};
</script>`;

/** Runs the measure `runs` times, each in a fresh page, with the core built in sdk/dist. */
export async function measureInChromium(snapshot: string, runs: number): Promise<{ version: string; results: PageStalls[] }> {
  const core = readFileSync(fileURLToPath(new URL("../../sdk/dist/index.js", import.meta.url)));
  const site = await startStaticServer({
    "/": { type: "text/html", body: PAGE },
    "/sdk/index.js": { type: "text/javascript", body: core },
    "/snapshot.json": { type: "application/json", body: snapshot },
  });
  const browser = await launchChromium();
  try {
    const results: PageStalls[] = [];
    for (let i = 0; i < runs; i++) {
      const page = await browser.newPage();
      await page.goto(site.url);
      await page.waitForFunction(() => "measure" in window);
      results.push(await page.evaluate(() => (window as unknown as { measure(): Promise<PageStalls> }).measure()));
      await page.close();
    }
    return { version: browser.version(), results };
  } finally {
    await browser.close();
    await site.close();
  }
}
