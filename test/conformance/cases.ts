/**
 * The stream conformance cases (stream-cases.json) and what a target must offer to
 * run them: a stream to open per client, and the server events the cases name.
 */
import { readFileSync } from "node:fs";

export type ClientStep =
  | { client: "connect" | "hello" | "resync" | "binary"; since?: number; as?: string }
  | { client: "ack"; v: number; as?: string }
  | { client: "text"; text: string; as?: string };
export type ServerStep = { server: "commit" | "holdSnapshots" | "stallSnapshots" | "releaseSnapshots" | "revokeKey" };
export type ExpectStep =
  | { expect: "snapshot" | "hb" | "holds"; v: number; as?: string }
  | { expect: "patch"; v: number; prev: number; as?: string }
  | { expect: "close"; code: number; reason?: string; as?: string }
  | { expect: "receipt"; v: number; connected: number; pending: number };
export type CaseStep = ClientStep | ServerStep | ExpectStep;

export interface ConformanceCase {
  name: string;
  steps: CaseStep[];
}

export const STREAM_CASES = (JSON.parse(readFileSync(new URL("./stream-cases.json", import.meta.url), "utf8")) as { cases: ConformanceCase[] }).cases;

/** One client's stream. */
export interface TargetStream {
  sendText(text: string): void;
  sendBinary(bytes: Uint8Array): void;
  /** The next text frame the server sent. */
  next(): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the server has handled every frame this client sent (a case's next step may depend on it). */
  settle(): Promise<void>;
}

/** A host (or the state machine) at version 1 of one environment with one sdk key. */
export interface StreamTarget {
  open(): Promise<TargetStream>;
  /** Commits one change; answers its version. */
  commit(): Promise<number>;
  /** Snapshot reads wait from now until `releaseSnapshots`, and then read the state. */
  holdSnapshots(): Promise<void>;
  /**
   * Snapshot reads from now read the state at once, and answer it only at
   * `releaseSnapshots`: a read that straddles the commits made meanwhile.
   */
  stallSnapshots(): Promise<void>;
  releaseSnapshots(): Promise<void>;
  revokeKey(): Promise<void>;
  /** The receipt of `version`: how many were connected at its commit, and how many of those have not acked it. */
  receipt(version: number): Promise<{ connected: number; pending: number } | null>;
  close(): Promise<void>;
}
