/**
 * Where final propagation receipts are kept: the port the receipt follower
 * saves to and the routes and report read from. A receipt is saved once it is
 * final (complete, no instance at commit, ten minutes after the commit, or at
 * shutdown), so that it survives the process (or Durable Object) that counted it.
 *
 * Two implementations: the database (src/core/store/receipts.ts, what both
 * hosts use) and memory (below, for tests and hosts without a database).
 */
import type { PropagationReceipt } from "../schemas/responses.js";

/** Why a receipt was saved when it was. */
export type SavedBecause = "complete" | "no-instances" | "timeout" | "shutdown";

/** A receipt as saved: as it stood then, pending instances included. */
export interface SavedReceipt extends PropagationReceipt {
  final: true;
  /** ISO 8601. */
  savedAt: string;
  savedBecause: SavedBecause;
}

export interface ReceiptStore {
  /**
   * Saves a receipt. A saved `complete` receipt is never replaced: a later save
   * of the same version (another process's, at its shutdown) keeps it.
   */
  saveReceipt(tenantId: string, env: string, receipt: SavedReceipt): Promise<void>;
  savedReceipt(tenantId: string, env: string, version: number): Promise<SavedReceipt | null>;
  /** The saved receipts of these versions of one environment, by version. */
  savedReceipts(tenantId: string, env: string, versions: readonly number[]): Promise<Map<number, SavedReceipt>>;
}

export class MemoryReceiptStore implements ReceiptStore {
  readonly #receipts = new Map<string, SavedReceipt>();

  async saveReceipt(tenantId: string, env: string, receipt: SavedReceipt): Promise<void> {
    const key = keyOf(tenantId, env, receipt.version);
    if (this.#receipts.get(key)?.status === "complete") return;
    this.#receipts.set(key, structuredClone(receipt));
  }

  async savedReceipt(tenantId: string, env: string, version: number): Promise<SavedReceipt | null> {
    const saved = this.#receipts.get(keyOf(tenantId, env, version));
    return saved ? structuredClone(saved) : null;
  }

  async savedReceipts(tenantId: string, env: string, versions: readonly number[]): Promise<Map<number, SavedReceipt>> {
    const out = new Map<number, SavedReceipt>();
    for (const version of versions) {
      const saved = await this.savedReceipt(tenantId, env, version);
      if (saved) out.set(version, saved);
    }
    return out;
  }
}

const keyOf = (tenantId: string, env: string, version: number) => `${tenantId}/${env}/${version}`;
