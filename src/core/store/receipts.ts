/**
 * Final propagation receipts in the database (table `receipts`): the
 * ReceiptStore both hosts use. A save is one upsert outside the write path (it
 * is no change of the tenant's state and is not audited); a saved `complete`
 * receipt is never replaced.
 */
import { and, eq, inArray, ne } from "drizzle-orm";
import { receipts } from "../db/schema.js";
import type { SavedReceipt } from "../receipts/receipt-store.js";
import type { StoreContext } from "./context.js";

export async function saveReceipt(ctx: StoreContext, tenantId: string, env: string, receipt: SavedReceipt): Promise<void> {
  const row = {
    tenantId,
    env,
    version: receipt.version,
    committedAt: Date.parse(receipt.committedAt),
    savedAt: Date.parse(receipt.savedAt),
    status: receipt.status,
    body: JSON.stringify(receipt),
  };
  await ctx.executor.commit([
    ctx.db
      .insert(receipts)
      .values(row)
      .onConflictDoUpdate({
        target: [receipts.tenantId, receipts.env, receipts.version],
        set: { savedAt: row.savedAt, status: row.status, body: row.body },
        setWhere: ne(receipts.status, "complete"),
      }),
  ]);
}

function parse(body: string): SavedReceipt | null {
  try {
    return JSON.parse(body) as SavedReceipt;
  } catch {
    return null; // a row edited by hand: no receipt rather than a 500
  }
}

export async function savedReceipt(ctx: StoreContext, tenantId: string, env: string, version: number): Promise<SavedReceipt | null> {
  const [row] = await ctx.db
    .select({ body: receipts.body })
    .from(receipts)
    .where(and(eq(receipts.tenantId, tenantId), eq(receipts.env, env), eq(receipts.version, version)));
  return row ? parse(row.body) : null;
}

export async function savedReceipts(ctx: StoreContext, tenantId: string, env: string, versions: readonly number[]): Promise<Map<number, SavedReceipt>> {
  const out = new Map<number, SavedReceipt>();
  const wanted = [...new Set(versions)];
  // A Durable Object binds at most 100 parameters per statement.
  for (let i = 0; i < wanted.length; i += 90) {
    const rows = await ctx.db
      .select({ version: receipts.version, body: receipts.body })
      .from(receipts)
      .where(and(eq(receipts.tenantId, tenantId), eq(receipts.env, env), inArray(receipts.version, wanted.slice(i, i + 90))));
    for (const row of rows) {
      const saved = parse(row.body);
      if (saved) out.set(row.version, saved);
    }
  }
  return out;
}
