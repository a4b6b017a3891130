/**
 * Scheduled changes: `at` (do it later) and `until` (undo it then) on the
 * operator's actions, the schedule list and its cancellation.
 */
import { z } from "zod";
import type { Condition } from "@killswitch/sdk";
import { directiveSchema, reasonSchema } from "./common.js";
import { pageQuerySchema } from "./paging.js";

export const SCHEDULED_ACTIONS = ["kill", "restore", "block", "rule.remove"] as const;
export type ScheduledAction = (typeof SCHEDULED_ACTIONS)[number];

export const SCHEDULE_STATUSES = ["pending", "applied", "skipped", "cancelled"] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

/** How far ahead `at` and `until` may reach. */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 60 * 60 * 1000;

/**
 * An ISO 8601 instant with a time zone (`2026-12-24T17:00:00Z`, `…+01:00`).
 * Whether it lies ahead is checked against the server's clock when the write is planned.
 */
export const instantSchema = z.iso.datetime({
  offset: true,
  error: "must be an ISO 8601 instant with a time zone, such as 2026-12-24T17:00:00Z",
});

/** `at`: when to make the change instead of now (answered 202 with the schedule entry). */
export const atField = instantSchema.meta({
  description: "Make the change at this instant instead of now: the answer is 202 with the schedule entry. Within one year.",
});

/** `until`: when the change lifts itself (a kill is restored, a block's rule removed). */
export const untilField = instantSchema.meta({
  description: "Lift the change at this instant: a kill is restored, a block's rule removed. In the future, within one year.",
});

/** What a scheduled block writes, kept as the block body gave it. */
export interface ScheduledBlock {
  segment?: string | string[];
  when?: Condition[];
  description?: string;
}

/** What each action needs beyond the flag and the audit fields. */
export interface ScheduleParams {
  /** `block`: the rule to insert. */
  block?: ScheduledBlock;
  /** `rule.remove`: the rule. A lift of a block names the rule the block inserted. */
  ruleId?: string;
  /** A scheduled kill or block that lifts itself: when, in ms since the epoch. */
  until?: number;
  /**
   * A lift (origin `until`) of a kill: the environment version the kill committed.
   * The lift is skipped if the flag was restored since: a later kill is someone else's.
   */
  sinceVersion?: number;
}

export const scheduleCancelSchema = z.strictObject({
  reason: reasonSchema,
  directive: directiveSchema.optional(),
});
export type ScheduleCancelInput = z.infer<typeof scheduleCancelSchema>;

export const scheduleQuerySchema = pageQuerySchema.extend({
  status: z
    .enum([...SCHEDULE_STATUSES, "all"])
    .default("pending")
    .meta({ description: "Which entries: pending (the default, what is due), applied, skipped, cancelled or all" }),
});
export type ScheduleQuery = z.infer<typeof scheduleQuerySchema>;

/** An entry of the schedule, as the API answers it. */
export const scheduleSchema = z.object({
  id: z.string(),
  env: z.string(),
  flag: z.string(),
  action: z.enum(SCHEDULED_ACTIONS),
  at: z.string(),
  /** `at`: asked for later; `until`: lifts a change made earlier. */
  origin: z.enum(["at", "until"]),
  status: z.enum(SCHEDULE_STATUSES),
  reason: z.string(),
  directive: z.string().optional(),
  /** `block`: the rule it inserts (segment or when, description). */
  block: z
    .object({ segment: z.union([z.string(), z.array(z.string())]).optional(), when: z.array(z.unknown()).optional(), description: z.string().optional() })
    .optional(),
  /** `rule.remove`: the rule; an applied block: the rule it inserted. */
  ruleId: z.string().optional(),
  /** A scheduled kill or block that lifts itself then. */
  until: z.string().optional(),
  createdAt: z.string(),
  createdBy: z.object({ keyId: z.string().nullable(), name: z.string() }),
  /** When the scheduler applied or skipped it: the real time, however late. */
  appliedAt: z.string().optional(),
  skippedAt: z.string().optional(),
  /** Applied or skipped more than a second after `at` (the server was down, or busy). */
  late: z.boolean().optional(),
  /** The environment version the applied change committed. */
  version: z.number().int().optional(),
  /** The audit entry of the applied change or of the skip. */
  auditSeq: z.number().int().optional(),
  /** Why it was skipped, or the reason given to cancel it. */
  cause: z.string().optional(),
  cancelledAt: z.string().optional(),
});
export type ScheduleView = z.infer<typeof scheduleSchema>;

/** The answer of a write given `at`: 202 and the entry. */
export const scheduledAnswerSchema = z.object({ schedule: scheduleSchema });
