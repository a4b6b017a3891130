/**
 * The client's public types: its options, its events and the client itself.
 *
 * @packageDocumentation
 */
import type { EvaluationContext, EvaluationResult, JsonValue } from "../model.js";
import type { SnapshotStorage } from "./storage.js";
import type { WebSocketConstructor } from "./transport.js";

/**
 * This SDK's version, sent in `hello` (kept equal to package.json's by a test).
 *
 * @example
 * ```ts
 * console.log(`@killswitch/sdk@${SDK_VERSION}`);
 * ```
 */
export const SDK_VERSION = "0.1.0";

/**
 * Options of {@link createClient}.
 *
 * @example
 * ```ts
 * const options: ClientOptions = { url: "https://killswitch.example.com", sdkKey: process.env.KILLSWITCH_SDK_KEY!, app: "chat-api", cache: ".killswitch.json" };
 * ```
 */
export interface ClientOptions {
  /** The service's HTTP(S) base URL; the stream is at `ws(s)://…/v1/stream`. */
  url: string;
  /** An `sdk` key (`ks_<tenant>_<secret>`); it selects the environment. */
  sdkKey: string;
  /** Names this application in the service's instance list. Default `"unknown"`. */
  app?: string;
  /**
   * Last known good snapshot, used when the service cannot be reached at start:
   * a file path (Node), `{ path }`, or any {@link SnapshotStorage} (e.g. `webStorage(localStorage)`).
   */
  cache?: string | { path: string } | SnapshotStorage;
  /** Staleness limit for flags without their own `staleAfterMs`. Default 60,000 ms. */
  staleAfterMs?: number;
  /** A standard WebSocket constructor; default the global one, else (Node 20, Node entry) `ws`. */
  WebSocket?: WebSocketConstructor;
  /** The fetch used to poll `GET /v1/snapshot` while the socket cannot connect; default the global one. */
  fetch?: typeof fetch;
  /** Base of the reconnect backoff: the n-th delay is uniform in [0, min(30 s, base · 2ⁿ)). Default 3,000 ms. */
  reconnectDelayMs?: number;
  /** How long a snapshot poll (`GET /v1/snapshot`, answer and body) may take before it is given up. Default 10,000 ms. */
  pollTimeoutMs?: number;
  /**
   * The environment's Ed25519 public key (`key` of `GET /v1/envs/{env}/signing-key`:
   * the raw 32 bytes in base64url), or several (a rotation's old and new). Given, the
   * client verifies every snapshot and patch, from the stream, a poll or the cache,
   * with WebCrypto before applying it, and refuses (an `error` event and a `resync`,
   * no ack; what it holds stays in force) anything unsigned, signed by another key, or
   * naming another tenant or environment. It follows a rotation by itself: a signed
   * frame announces the new key. Without it the client trusts whatever the service,
   * or anything between, sends (sdk/README.md, "Signed state").
   *
   * @example
   * ```ts
   * createClient({ url, sdkKey, publicKey: "mfcYvJ0wG6pJ7dnqlxyfSbtiY3xOxa6nSOh-QuvjCis" });
   * ```
   */
  publicKey?: string | string[];
}

/**
 * How {@link KillswitchClient.ready} ended: `"ready"` — a snapshot from the service is
 * applied; `"cached"` — the service was not reached in time and a persisted snapshot is
 * served; `"defaults"` — nothing is known and callers' defaults are served.
 *
 * @example
 * ```ts
 * const status: ReadyStatus = await client.ready({ timeoutMs: 2_000 });
 * ```
 */
export type ReadyStatus = "ready" | "cached" | "defaults";

/**
 * Payload of the `change` event: the flags whose evaluation may have changed
 * (changed themselves, or naming a changed segment) and the new version.
 *
 * @example
 * ```ts
 * client.on("change", ({ flags, version }) => console.log(version, flags));
 * ```
 */
export interface ChangeEvent {
  flags: string[];
  version: number;
}

/**
 * Events of a {@link KillswitchClient} and their payloads. `ready`: service data is
 * applied and fresh (first time, or again after `stale`). `stale`: nothing heard for the
 * smallest staleness limit of the loaded flags, so some flag now serves `STALE` or `CACHED`.
 * `change`: a snapshot or patch was applied. `error`: a connection, poll or storage failure
 * (the client keeps retrying unless the key was refused).
 *
 * @example
 * ```ts
 * const off = client.on("stale", () => metrics.increment("killswitch.stale"));
 * ```
 */
export interface ClientEvents {
  change: ChangeEvent;
  stale: void;
  error: Error;
  ready: void;
}

/** `false` infers as the type `false`; the result of an evaluation is any boolean. */
export type Widen<T> = T extends boolean ? boolean : T extends string ? string : T extends number ? number : T;

/**
 * A Killswitch client. Evaluation is synchronous, reads memory only and never throws;
 * the context never leaves the application.
 *
 * @example
 * ```ts
 * const client = createClient({ url, sdkKey });
 * await client.ready({ timeoutMs: 2_000 });
 * if (!client.isEnabled("model.fable-5", { key: user.id, nationality: user.nationality }, false)) reject();
 * ```
 */
export interface KillswitchClient {
  /** This instance's random id, as the service's instance list and receipts show it. */
  readonly instance: string;
  /** The environment version applied; -1 while nothing is known. */
  readonly version: number;
  /** The environment the key belongs to, once known. */
  readonly env: string | undefined;
  /**
   * Waits for a snapshot from the service, at most `timeoutMs` (default 5,000). Never
   * rejects: the cause of a `"cached"` or `"defaults"` answer goes to the `error` event.
   *
   * @example
   * ```ts
   * if ((await client.ready({ timeoutMs: 1_000 })) === "defaults") log.warn("serving defaults");
   * ```
   */
  ready(options?: { timeoutMs?: number }): Promise<ReadyStatus>;
  /**
   * A boolean flag's value. For an availability flag pass `false` where a block must hold:
   * the default is served whenever the flag is unknown (nothing loaded, a typo).
   *
   * @example
   * ```ts
   * client.isEnabled("model.fable-5", { key: "u1", nationality: ["US", "FR"] }, false);
   * ```
   */
  isEnabled(flag: string, context: EvaluationContext, defaultValue: boolean): boolean;
  /**
   * A string flag's value.
   *
   * @example
   * ```ts
   * client.getString("chat.default-model", { key: "u1" }, "model.sonnet");
   * ```
   */
  getString(flag: string, context: EvaluationContext, defaultValue: string): string;
  /**
   * A number flag's value.
   *
   * @example
   * ```ts
   * client.getNumber("chat.max-tokens", { key: "u1" }, 1024);
   * ```
   */
  getNumber(flag: string, context: EvaluationContext, defaultValue: number): number;
  /**
   * A json flag's value (an object, array or null default).
   *
   * @example
   * ```ts
   * client.getJson("chat.limits", { key: "u1" }, { rpm: 60 });
   * ```
   */
  getJson<T extends JsonValue>(flag: string, context: EvaluationContext, defaultValue: T): T;
  /**
   * The value with its variant, reason (`TARGETING_MATCH`, `STALE`, …), rule and error code.
   *
   * @example
   * ```ts
   * const { value, reason, ruleId } = client.evaluate("model.fable-5", { key: "u1" }, false);
   * ```
   */
  evaluate<T extends JsonValue>(flag: string, context: EvaluationContext, defaultValue: T): EvaluationResult<Widen<T>>;
  /**
   * The first of `flags` whose availability flag is on for `context` (an unknown flag
   * counts as off), or undefined: fallback routing over models in order of preference.
   *
   * @example
   * ```ts
   * const model = client.firstAvailable(["model.fable-5", "model.mythos-5", "model.sonnet"], ctx) ?? "none";
   * ```
   */
  firstAvailable(flags: readonly string[], context: EvaluationContext): string | undefined;
  /**
   * Subscribes to an event; returns the unsubscribe function. A throwing listener is ignored.
   *
   * @example
   * ```ts
   * const off = client.on("change", ({ flags }) => cache.invalidate(flags));
   * off();
   * ```
   */
  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void;
  /**
   * Closes the socket and every timer, and waits for a pending cache write. Evaluation
   * keeps answering from memory (as stale as it gets).
   *
   * @example
   * ```ts
   * process.on("SIGTERM", () => client.close());
   * ```
   */
  close(): Promise<void>;
}
