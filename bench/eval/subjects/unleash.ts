/**
 * Unleash (`unleash-client`), bootstrapped from in-memory data: no server, no
 * polling (`refreshInterval: 0`), no metrics, no backup file.
 */
import { InMemStorageProvider, Unleash, type Context, type UnleashConfig } from "unleash-client";
import { ALLOWED_NATIONALITY, BLOCKED_EMPLOYERS, BLOCKED_REGIONS, FLAG_KEY, type BenchContext } from "../fixture.js";
import { installedVersion } from "../installed-version.js";
import type { Subject } from "../subject.js";

type Features = NonNullable<NonNullable<UnleashConfig["bootstrap"]>["data"]>;
type Constraint = NonNullable<Features[number]["strategies"]>[number]["constraints"][number];

// Unleash's operator enum is not exported from the package root; these are its values.
const IN = "IN" as Constraint["operator"];
const NOT_IN = "NOT_IN" as Constraint["operator"];

/**
 * Unleash serves a flag when any strategy's constraints all hold, so the rule
 * is written as its complement: `nationality IN [US]`, `region NOT_IN [...]`,
 * `employer NOT_IN [...]`. A context value is one string (an array would be
 * compared as "US,FR"), so a dual national's second nationality travels as
 * `nationality2`, checked by a second strategy.
 */
function strategy(nationalityField: string) {
  return {
    name: "default",
    parameters: {},
    constraints: [
      { contextName: nationalityField, operator: IN, inverted: false, values: [ALLOWED_NATIONALITY] },
      { contextName: "region", operator: NOT_IN, inverted: false, values: [...BLOCKED_REGIONS] },
      { contextName: "employer", operator: NOT_IN, inverted: false, values: [...BLOCKED_EMPLOYERS] },
    ],
  };
}

const features: Features = [
  { name: FLAG_KEY, enabled: true, strategies: [strategy("nationality"), strategy("nationality2")] },
];

export async function createUnleashSubject(): Promise<Subject<Context>> {
  const unleash = new Unleash({
    appName: "killswitch-bench",
    // Required by the constructor; never contacted with polling and metrics off.
    url: "http://127.0.0.1:9/api/",
    refreshInterval: 0,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: features },
    disableAutoStart: true,
    skipInstanceCountWarning: true,
  });
  const errors: unknown[] = [];
  unleash.on("error", (error: unknown) => errors.push(error));
  const ready = new Promise<void>((resolve) => unleash.once("ready", () => resolve()));
  await unleash.start();
  await ready;
  if (errors.length > 0) throw new Error(`unleash-client reported errors while starting: ${String(errors[0])}`);

  return {
    name: "Unleash",
    pkg: installedVersion("unleash-client"),
    encoding: `enabled; strategies "default" × 2 (one per nationality position), constraints nationality IN [US], region NOT_IN [${BLOCKED_REGIONS.join(", ")}], employer NOT_IN [acme-defense]`,
    adaptation: "custom attributes under `properties`; a dual national's two codes become `nationality` and `nationality2` (Unleash context values are scalars)",
    adapt(context: BenchContext): Context {
      const properties: Record<string, string> = {};
      const { nationality, region, employer } = context;
      if (Array.isArray(nationality)) {
        if (nationality.length > 2) throw new Error("the Unleash encoding covers at most two nationalities");
        if (nationality[0] !== undefined) properties.nationality = nationality[0];
        if (nationality[1] !== undefined) properties.nationality2 = nationality[1];
      } else if (nationality !== undefined) {
        properties.nationality = nationality;
      }
      if (region !== undefined) properties.region = region;
      if (employer !== undefined) properties.employer = employer;
      return { userId: context.key, properties };
    },
    evaluate: (context) => unleash.isEnabled(FLAG_KEY, context),
    runAll(contexts) {
      let on = 0;
      for (let i = 0; i < contexts.length; i++) if (unleash.isEnabled(FLAG_KEY, contexts[i])) on++;
      return on;
    },
    close: () => unleash.destroy(),
  };
}
