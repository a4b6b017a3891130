/**
 * Rows → the shapes the API answers and SDKs receive.
 */
import type { FlagConfig, Segment, WireFlag } from "@killswitch/sdk";
import type { apiKeys, environments, flagConfigs, flags, segments, tenants } from "../db/schema.js";
import { displayPrefix } from "../keys/token.js";
import type { Role } from "../keys/roles.js";
import type { ApiKeyView, EnvironmentView, FlagView, TenantView } from "../schemas/responses.js";

export type TenantRow = typeof tenants.$inferSelect;
export type EnvironmentRow = typeof environments.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type FlagRow = typeof flags.$inferSelect;
export type FlagConfigRow = typeof flagConfigs.$inferSelect;
export type SegmentRow = typeof segments.$inferSelect;

export const isoTime = (ms: number): string => new Date(ms).toISOString();

export const tenantView = (row: TenantRow): TenantView => ({ id: row.id, name: row.name, createdAt: isoTime(row.createdAt) });

export const environmentView = (row: EnvironmentRow): EnvironmentView => ({
  key: row.key,
  version: row.version,
  createdAt: isoTime(row.createdAt),
});

export const apiKeyView = (row: ApiKeyRow): ApiKeyView => ({
  id: row.id,
  name: row.name,
  role: row.role as Role,
  env: row.env,
  prefix: displayPrefix(row.tenantId, row.prefix),
  createdAt: isoTime(row.createdAt),
  lastUsedAt: row.lastUsedAt === null ? null : isoTime(row.lastUsedAt),
});

export function flagView(row: FlagRow): FlagView {
  const view: FlagView = {
    key: row.key,
    kind: row.kind,
    variants: row.variants,
    tags: row.tags,
    createdAt: isoTime(row.createdAt),
    updatedAt: isoTime(row.updatedAt),
  };
  if (row.description !== null) view.description = row.description;
  return view;
}

export function flagConfigView(row: FlagConfigRow): FlagConfig {
  const config: FlagConfig = {
    enabled: row.enabled,
    offVariant: row.offVariant,
    rules: row.rules,
    fallthrough: row.fallthrough,
    failMode: row.failMode,
    version: row.version,
  };
  if (row.staleAfterMs !== null) config.staleAfterMs = row.staleAfterMs;
  return config;
}

/** A flag as an SDK of the config's environment receives it. */
export const wireFlag = (flag: FlagRow, config: FlagConfigRow): WireFlag => ({
  key: flag.key,
  kind: flag.kind,
  variants: flag.variants,
  ...flagConfigView(config),
});

export function segmentView(row: SegmentRow): Segment {
  const segment: Segment = {
    key: row.key,
    include: row.include,
    exclude: row.exclude,
    rules: row.rules,
    version: row.version,
  };
  if (row.description !== null) segment.description = row.description;
  return segment;
}
