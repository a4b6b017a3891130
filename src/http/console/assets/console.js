// @ts-check
/**
 * The console's one script: it keeps the live parts of a server-rendered page
 * current. Every page works without it; it only fetches fresh HTML fragments
 * from the server and swaps them in, so the words and markup have one source.
 *
 * Both listen to the operator event stream (`GET /v1/events`, read through the
 * console's session):
 * - `[data-live-fragment]`: fetched again when a `receipt` event of its
 *   `data-env` and `data-version` arrives, until the server renders it without
 *   the attribute (the propagation bar, until its receipt is final). A slow
 *   poll covers a stream that cannot be opened.
 * - `[data-refresh-events]`: its content is fetched again from
 *   `data-refresh-url` when the stream reports one of those event types.
 */

/** Without events (a proxy that buffers the stream), the bar is read this often. */
const POLL_MS = 2000;
const GIVE_UP_MS = 10 * 60_000;

/** @type {EventSource | undefined} */
let source;
/** The one event stream of the page, opened on first use. */
function events() {
  source ??= new EventSource("/console/api/v1/events");
  return source;
}

/**
 * Moves the fresh fragment's content into the live one. An element with an id
 * that both hold keeps its identity and only its text changes: a live region
 * (role="status") then announces the new words, once.
 * @param {Element} live
 * @param {Element} fresh
 */
function swapInto(live, fresh) {
  /** @type {Map<string, Element>} */
  const kept = new Map();
  for (const child of Array.from(live.children)) {
    if (child.id && fresh.querySelector(`#${CSS.escape(child.id)}`)) kept.set(child.id, child);
    child.remove();
  }
  for (const child of Array.from(fresh.children)) {
    const same = child.id ? kept.get(child.id) : undefined;
    if (same) {
      if (same.textContent !== child.textContent) same.textContent = child.textContent;
      live.appendChild(same);
    } else {
      live.appendChild(child);
    }
  }
  for (const name of Array.from(live.getAttributeNames())) {
    if (name.startsWith("data-") && !fresh.hasAttribute(name)) live.removeAttribute(name);
  }
  for (const name of fresh.getAttributeNames()) {
    if (name.startsWith("data-")) live.setAttribute(name, fresh.getAttribute(name) ?? "");
  }
}

/** @param {Element} element */
function followFragment(element) {
  const started = Date.now();
  const env = element.getAttribute("data-env");
  const version = Number(element.getAttribute("data-version"));
  let last = "";
  let busy = false;
  let again = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const stop = () => {
    clearTimeout(timer);
    events().removeEventListener("receipt", onReceipt);
    events().removeEventListener("open", refresh);
  };
  const refresh = async () => {
    const url = element.getAttribute("data-live-fragment");
    if (!url || Date.now() - started > GIVE_UP_MS) return stop();
    // One read at a time; an event during a read asks for one more.
    if (busy) return void (again = true);
    busy = true;
    clearTimeout(timer);
    try {
      const response = await fetch(url, { headers: { accept: "text/html" }, credentials: "same-origin" });
      if (response.status === 401 || response.redirected) return stop(); // signed out: the next navigation says so
      const html = await response.text();
      if (response.ok && html !== last) {
        last = html;
        const fresh = new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
        if (fresh) swapInto(element, fresh);
      }
    } catch {
      // The network blinked: the next event or poll tries again.
    } finally {
      busy = false;
    }
    if (!element.hasAttribute("data-live-fragment")) return stop();
    if (again) {
      again = false;
      return refresh();
    }
    timer = setTimeout(refresh, POLL_MS);
  };
  /** @param {Event} event */
  function onReceipt(event) {
    try {
      const data = JSON.parse(/** @type {MessageEvent} */ (event).data);
      if (data.env === env && data.version === version) void refresh();
    } catch {
      // Not this bar's event.
    }
  }
  events().addEventListener("receipt", onReceipt);
  // Whatever happened before the stream was open: read once it is.
  events().addEventListener("open", refresh);
  timer = setTimeout(refresh, POLL_MS);
}

/**
 * Replaces `live`'s content with `fresh`, keeping the keyboard focus on the
 * same link or control when the new content has it.
 * @param {Element} live
 * @param {Element} fresh
 */
function replaceContent(live, fresh) {
  const focused = document.activeElement;
  const key = focused && live.contains(focused) ? focusKey(focused) : null;
  live.replaceChildren(fresh);
  if (key) {
    const again = live.querySelector(key);
    if (again instanceof HTMLElement) again.focus();
  }
}

/** @param {Element} element a selector that finds the same control in fresh markup, or null */
function focusKey(element) {
  if (element.id) return `#${CSS.escape(element.id)}`;
  const href = element.getAttribute("href");
  return href ? `a[href="${CSS.escape(href)}"]` : null;
}

/** @param {Element[]} elements */
function followEvents(elements) {
  const source = events();
  for (const element of elements) {
    const url = element.getAttribute("data-refresh-url");
    const types = (element.getAttribute("data-refresh-events") ?? "").split(" ").filter(Boolean);
    if (!url) continue;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    // Events come in bursts (a change, then its receipts): one fetch per burst.
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try {
          const response = await fetch(url, { headers: { accept: "text/html" }, credentials: "same-origin" });
          if (!response.ok || response.redirected) return;
          const fresh = new DOMParser().parseFromString(await response.text(), "text/html").body.firstElementChild;
          if (fresh) replaceContent(element, fresh);
        } catch {
          // The next event tries again.
        }
      }, 150);
    };
    for (const type of types) source.addEventListener(type, refresh);
  }
}

for (const element of Array.from(document.querySelectorAll("[data-live-fragment]"))) followFragment(element);
const refreshed = Array.from(document.querySelectorAll("[data-refresh-events]"));
if (refreshed.length > 0) followEvents(refreshed);
