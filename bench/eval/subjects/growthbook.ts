/**
 * GrowthBook (`@growthbook/growthbook`), its multi-user server client
 * initialised synchronously from a payload: no API host, no streaming, no
 * polling.
 */
import { GrowthBookClient, type Attributes, type FeatureDefinitions } from "@growthbook/growthbook";
import { ALLOWED_NATIONALITY, BLOCKED_EMPLOYERS, BLOCKED_REGIONS, FLAG_KEY, type BenchContext } from "../fixture.js";
import { installedVersion } from "../installed-version.js";
import type { Subject } from "../subject.js";

/**
 * GrowthBook's `$in` intersects when the attribute is an array and `$nin` is
 * its negation, true for a missing attribute: Killswitch's semantics as they are.
 */
const features: FeatureDefinitions = {
  [FLAG_KEY]: {
    defaultValue: true,
    rules: [
      { id: "foreign-nationals", condition: { nationality: { $nin: [ALLOWED_NATIONALITY] } }, force: false },
      { id: "sanctioned-regions", condition: { region: { $in: [...BLOCKED_REGIONS] } }, force: false },
      { id: "acme-defense", condition: { employer: { $in: [...BLOCKED_EMPLOYERS] } }, force: false },
    ],
  },
};

export function createGrowthBookSubject(): Subject<{ attributes: Attributes }> {
  const client = new GrowthBookClient().initSync({ payload: { features } });
  return {
    name: "GrowthBook",
    pkg: installedVersion("@growthbook/growthbook"),
    encoding: "defaultValue true; force false when nationality $nin [US], region $in [...], employer $in [...]",
    adaptation: "none (the context is the user's `attributes`)",
    adapt: (context: BenchContext) => ({ attributes: context }),
    evaluate: (user) => client.isOn(FLAG_KEY, user),
    runAll(users) {
      let on = 0;
      for (let i = 0; i < users.length; i++) if (client.isOn(FLAG_KEY, users[i]!)) on++;
      return on;
    },
    close: () => client.destroy(),
  };
}
