/**
 * An environment's epoch: the run of versions an SDK may compare. Versions only
 * move forward within one epoch; a database restored from a backup moves them back,
 * so the restore is followed by a new epoch (`POST /v1/envs/{env}/epoch`), as is an
 * environment created again.
 *
 * The SDK takes a snapshot of another epoch only when its epoch sorts after the one it
 * holds, so that a replayed snapshot of an older epoch (signed, but from before a
 * restore) cannot roll it back. Hence the form: 12 hex digits of the creation time in
 * milliseconds (good until the year 10889), then 12 random hex digits; every epoch is
 * 24 characters, so comparing strings compares times. Migration 0004 writes the same
 * form in SQL for environments older than epochs.
 */
import { randomBytes, toHex } from "../crypto.js";

export const EPOCH_PATTERN = /^[0-9a-f]{24}$/;

/** A new epoch, after `previous` (if given) even when the clock has moved back. */
export function newEpoch(now: number, previous?: string | null): string {
  const floor = previous && EPOCH_PATTERN.test(previous) ? parseInt(previous.slice(0, 12), 16) + 1 : 0;
  return Math.max(now, floor).toString(16).padStart(12, "0") + toHex(randomBytes(6));
}
