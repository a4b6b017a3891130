// Types of children.mjs, for the TypeScript benches (../cli-wait/run.ts).
import type { ChildProcess } from "node:child_process";

export function guardChildren(o: { minutes: number; cleanup?: () => void }): {
  started: Set<ChildProcess & { group?: boolean }>;
  killAll(): void;
  disarm(): void;
};
