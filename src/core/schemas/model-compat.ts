/**
 * Compile-time proof that what the zod schemas accept and answer is what the SDK's
 * model types describe: a schema change that drifts from sdk/src/model.ts fails
 * `tsc`. Nothing here runs.
 */
import type {
  AttributeCondition,
  Condition,
  FlagConfig,
  Rule,
  Segment,
  SegmentCondition,
  SegmentRule,
  Serve,
  WireFlag,
} from "@killswitch/sdk";
import type { HttpSnapshot } from "@killswitch/sdk";
import type { z } from "zod";
import type { attributeConditionSchema, conditionSchema, segmentConditionSchema } from "./condition.js";
import type { ruleSchema } from "./rule.js";
import type { InstanceList, PropagationReceipt } from "../receipts/receipt.js";
import type {
  flagConfigSchema,
  instanceListSchema,
  propagationReceiptSchema,
  segmentSchema,
  snapshotSchema,
  wireFlagSchema,
} from "./responses.js";
import type { segmentRuleSchema } from "./segment.js";
import type { serveSchema } from "./serve.js";

type Assignable<From, To> = [From] extends [To] ? true : false;
type Assert<T extends true> = T;
/** Both ways: the documented answer is exactly what the host's type says it sends. */
type Same<A, B> = [Assignable<A, B>, Assignable<B, A>] extends [true, true] ? true : false;

export type ModelCompat = [
  Assert<Assignable<z.infer<typeof attributeConditionSchema>, AttributeCondition>>,
  Assert<Assignable<z.infer<typeof segmentConditionSchema>, SegmentCondition>>,
  Assert<Assignable<z.infer<typeof conditionSchema>, Condition>>,
  Assert<Assignable<z.infer<typeof serveSchema>, Serve>>,
  Assert<Assignable<z.infer<typeof ruleSchema>, Rule>>,
  Assert<Assignable<z.infer<typeof segmentRuleSchema>, SegmentRule>>,
  Assert<Assignable<z.infer<typeof flagConfigSchema>, FlagConfig>>,
  Assert<Assignable<z.infer<typeof wireFlagSchema>, WireFlag>>,
  Assert<Assignable<z.infer<typeof segmentSchema>, Segment>>,
  Assert<Assignable<z.infer<typeof snapshotSchema>, HttpSnapshot>>,
  Assert<Same<z.infer<typeof propagationReceiptSchema>, PropagationReceipt>>,
  Assert<Same<z.infer<typeof instanceListSchema>, InstanceList>>,
];
