/**
 * An OpenFeature provider for `@openfeature/server-sdk`, backed by a Killswitch
 * client: evaluation stays local and synchronous; the provider maps contexts,
 * results and the client's events to OpenFeature's vocabulary.
 *
 * @packageDocumentation
 */
import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type ErrorCode,
  type EvaluationContext as OpenFeatureContext,
  type EvaluationContextValue,
  type JsonValue as OpenFeatureJson,
  type Provider,
  type ResolutionDetails,
} from "@openfeature/server-sdk";
import type { ClientOptions, KillswitchClient } from "./client.js";
// In dist this is the package itself (`@killswitch/sdk`): the Node entry on Node, the core elsewhere.
import { createClient } from "./node.js";
import type { EvaluationContext, JsonValue } from "./model.js";

/**
 * Options of a {@link KillswitchProvider}.
 *
 * @example
 * ```ts
 * new KillswitchProvider({ url, sdkKey }, { timeoutMs: 2_000 });
 * ```
 */
export interface KillswitchProviderOptions {
  /** How long `initialize` waits for the service's snapshot. Default 5,000 ms. */
  timeoutMs?: number;
}

// OpenFeature contexts may hold Dates; the rule engine compares ISO 8601 strings.
const plain = (v: EvaluationContextValue): unknown =>
  v instanceof Date
    ? v.toISOString()
    : Array.isArray(v)
      ? v.map(plain)
      : v !== null && typeof v == "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
        : v;

/** OpenFeature's `targetingKey` is Killswitch's `key`. */
const toContext = ({ targetingKey, ...rest }: OpenFeatureContext): EvaluationContext => {
  const ctx = plain(rest) as EvaluationContext;
  if (targetingKey !== undefined) ctx.key = targetingKey;
  return ctx;
};

/**
 * An OpenFeature server provider. Give it client options (it then owns the client
 * and closes it in `onClose`) or an existing client. Emits
 * `PROVIDER_CONFIGURATION_CHANGED` with `flagsChanged` on every snapshot or patch,
 * `PROVIDER_STALE` when the client goes stale (and after an initialization that
 * could only use a stale persisted snapshot), `PROVIDER_READY` when it is fresh
 * again, and `PROVIDER_ERROR` while nothing at all is known.
 *
 * @example
 * ```ts
 * import { OpenFeature } from "@openfeature/server-sdk";
 * import { KillswitchProvider } from "@killswitch/sdk/openfeature";
 *
 * await OpenFeature.setProviderAndWait(new KillswitchProvider({ url, sdkKey }));
 * const allowed = await OpenFeature.getClient().getBooleanValue("model.fable-5", false, { targetingKey: user.id, nationality: "FR" });
 * ```
 */
export class KillswitchProvider implements Provider {
  readonly metadata = { name: "killswitch" } as const;
  readonly runsOn = "server" as const;
  readonly events = new OpenFeatureEventEmitter();
  /** The client evaluations go to. */
  readonly client: KillswitchClient;
  private readonly _owned: boolean;
  private readonly _timeoutMs: number | undefined;
  private readonly _offs: Array<() => void>;
  private _initialized = false;
  private _stale = false;

  constructor(client: KillswitchClient | ClientOptions, options: KillswitchProviderOptions = {}) {
    this._owned = !("evaluate" in client);
    this.client = "evaluate" in client ? client : createClient(client);
    this._timeoutMs = options.timeoutMs;
    const c = this.client;
    this._offs = [
      c.on("change", ({ flags }) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: flags })),
      c.on("stale", () => {
        this._stale = true;
        this.events.emit(ProviderEvents.Stale, { message: "killswitch: nothing heard from the service within the staleness limit" });
      }),
      c.on("ready", () => {
        this._stale = false;
        // Before initialization has resolved, the SDK itself announces readiness.
        if (this._initialized) this.events.emit(ProviderEvents.Ready);
      }),
      c.on("error", (e) => {
        // With flags in memory a connection error is not an error state: staleness covers it.
        if (this._initialized && c.version < 0) this.events.emit(ProviderEvents.Error, { message: e.message });
      }),
    ];
  }

  /** Waits for the client; rejects (status ERROR) when neither the service nor a persisted snapshot answered. */
  async initialize(): Promise<void> {
    const status = await this.client.ready({ timeoutMs: this._timeoutMs });
    this._initialized = true;
    if (status == "defaults") throw new Error("killswitch: no flags from the service or a persisted snapshot; serving defaults");
    // The SDK marks the provider READY once this resolves; a stale cache must then read STALE.
    if (this._stale) setTimeout(() => this._stale && this.events.emit(ProviderEvents.Stale), 0);
  }

  async onClose(): Promise<void> {
    for (const off of this._offs) off();
    if (this._owned) await this.client.close();
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: OpenFeatureContext): Promise<ResolutionDetails<boolean>> {
    return this._resolve(flagKey, defaultValue, context);
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: OpenFeatureContext): Promise<ResolutionDetails<string>> {
    return this._resolve(flagKey, defaultValue, context);
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: OpenFeatureContext): Promise<ResolutionDetails<number>> {
    return this._resolve(flagKey, defaultValue, context);
  }

  resolveObjectEvaluation<T extends OpenFeatureJson>(flagKey: string, defaultValue: T, context: OpenFeatureContext): Promise<ResolutionDetails<T>> {
    return this._resolve(flagKey, defaultValue, context);
  }

  private async _resolve<T>(flagKey: string, defaultValue: T, context: OpenFeatureContext): Promise<ResolutionDetails<T>> {
    const r = this.client.evaluate(flagKey, toContext(context), defaultValue as JsonValue);
    return {
      value: r.value as T,
      variant: r.variant,
      reason: r.reason,
      // Killswitch's error codes are OpenFeature's names.
      errorCode: r.errorCode as ErrorCode | undefined,
      errorMessage: r.errorMessage,
      flagMetadata: r.ruleId === undefined ? {} : { ruleId: r.ruleId },
    };
  }
}
