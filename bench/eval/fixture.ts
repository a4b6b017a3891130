/**
 * The evaluation benchmark's fixture: one availability flag, a deterministic
 * population of contexts, and the plain reference answer every SDK must give.
 * Kept apart from the harness so that the SDK's tests can reuse it.
 */
import type { EvaluationContext, WireFlag } from "@killswitch/sdk";

export const FLAG_KEY = "model.fable-5";

/** Regions under sanctions in the scenario (ISO 3166-1 alpha-2). */
export const BLOCKED_REGIONS = ["CU", "IR", "KP", "SY", "RU"] as const;
export const BLOCKED_EMPLOYERS = ["acme-defense"] as const;
export const ALLOWED_NATIONALITY = "US";

/**
 * `model.fable-5`: off when `nationality notIn [US]`, off when `region in
 * [CU, IR, KP, SY, RU]`, off when `employer in [acme-defense]`, else on.
 */
export const FLAG: WireFlag = {
  key: FLAG_KEY,
  kind: "boolean",
  variants: { on: true, off: false },
  enabled: true,
  offVariant: "off",
  rules: [
    {
      id: "foreign-nationals",
      directive: "EXPORT-2026-001",
      when: [{ attribute: "nationality", op: "notIn", values: [ALLOWED_NATIONALITY] }],
      serve: { variant: "off" },
    },
    {
      id: "sanctioned-regions",
      when: [{ attribute: "region", op: "in", values: [...BLOCKED_REGIONS] }],
      serve: { variant: "off" },
    },
    {
      id: "acme-defense",
      when: [{ attribute: "employer", op: "in", values: [...BLOCKED_EMPLOYERS] }],
      serve: { variant: "off" },
    },
  ],
  fallthrough: { variant: "on" },
  failMode: "closed",
  version: 1,
};

/** A generated subject. `nationality` is absent (unknown), one code, or two (a dual national). */
export interface BenchContext extends EvaluationContext {
  key: string;
  nationality?: string | string[];
  region?: string;
  employer?: string;
}

/**
 * The rule written out by hand, with Killswitch's semantics: unknown
 * nationality counts as foreign, and a dual national is `in [US]` when either
 * nationality is US.
 */
export function referenceEnabled(context: BenchContext): boolean {
  const nationality = context.nationality;
  const isCitizen = Array.isArray(nationality)
    ? nationality.includes(ALLOWED_NATIONALITY)
    : nationality === ALLOWED_NATIONALITY;
  if (!isCitizen) return false;
  if (context.region !== undefined && (BLOCKED_REGIONS as readonly string[]).includes(context.region)) return false;
  if (context.employer !== undefined && (BLOCKED_EMPLOYERS as readonly string[]).includes(context.employer)) return false;
  return true;
}

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const DEFAULT_SEED = 0x5eed;

const OTHER_NATIONALITIES = ["FR", "GB", "DE", "IN", "CN", "BR", "JP", "CA", "MX", "NG", "RU", "IR"];
const OPEN_REGIONS = ["US", "GB", "FR", "DE", "JP", "IN", "BR", "CA", "MX", "AU", "SG", "AE"];
const OTHER_EMPLOYERS = ["globex", "initech", "umbrella", "hooli", "stark-industries", "wayne-enterprises"];

/**
 * `count` contexts from `seed`: about 10 % without nationality, 40 % US, 30 %
 * another single nationality, 20 % dual nationals (half of them US); 15 % in
 * a blocked region, 5 % without region; 6 % at acme-defense, 10 % without
 * employer. Same seed, same contexts, in the same order.
 */
export function generateContexts(count: number, seed = DEFAULT_SEED): BenchContext[] {
  const random = createRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const contexts: BenchContext[] = [];
  for (let i = 0; i < count; i++) {
    const context: BenchContext = { key: `user-${i}` };

    const n = random();
    if (n < 0.4) context.nationality = "US";
    else if (n < 0.7) context.nationality = pick(OTHER_NATIONALITIES);
    else if (n < 0.8) context.nationality = random() < 0.5 ? ["US", pick(OTHER_NATIONALITIES)] : [pick(OTHER_NATIONALITIES), "US"];
    else if (n < 0.9) context.nationality = [pick(OTHER_NATIONALITIES), pick(OTHER_NATIONALITIES)];
    // else: unknown nationality, which counts as foreign

    const r = random();
    if (r < 0.15) context.region = pick(BLOCKED_REGIONS);
    else if (r < 0.95) context.region = pick(OPEN_REGIONS);

    const e = random();
    if (e < 0.06) context.employer = BLOCKED_EMPLOYERS[0];
    else if (e < 0.9) context.employer = pick(OTHER_EMPLOYERS);

    contexts.push(context);
  }
  return contexts;
}
