// Types of machine.mjs, for the TypeScript benches (../cli-wait/run.ts).
export function arg(name: string, def: string): string;
export function arg(name: string, def?: string): string | undefined;
export function has(cmd: string): boolean;
export function pinning(): boolean;
export function cpuTimes(): { busy: number; steal: number } | null;
