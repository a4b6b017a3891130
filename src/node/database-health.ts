/**
 * Whether the Node host's database can take writes, and readiness.
 *
 * - Every write reports its outcome (`noteWrite`): a full disk, a read-only file,
 *   a file that cannot be opened or an I/O error puts the database in that state,
 *   the next write that lands takes it out. Writes keep being tried meanwhile
 *   (each on a fresh connection, see libsql-client.ts), so the service recovers
 *   by itself once space is freed or permissions are back.
 * - The file's identity (device and inode, read when it was opened) is checked
 *   every second, before every commit and on readiness. A file deleted or
 *   replaced while the service runs would otherwise take writes into an unlinked
 *   inode, lost at the next start: writes answer 503 instead, until a restart.
 * - Each change of state is logged once, as one line.
 */
import { stat } from "node:fs/promises";
import type { Client } from "@libsql/client";
import { FAULT_DETAIL, databaseFault, isBusyError, type DatabaseFault } from "../core/db/retryable.js";
import { ProblemError } from "../core/problem.js";

export type WriteState = { ok: true } | { ok: false; fault: DatabaseFault | "gone"; detail: string };

const GONE_DETAIL =
  "The database file was deleted or replaced while the service ran; nothing was written. Restore the file and restart the service.";

/** A readiness probe's answer is reused this long: a probe commits (one fsync). */
const PROBE_REUSE_MS = 1000;

export interface DatabaseHealthOptions {
  /** The database file, or null for a database that is not a file. */
  file: string | null;
  reader: Client;
  writer: Client;
  /** Receives one line per change of state. */
  log: (line: string) => void;
  /** Default 1 s. */
  checkEveryMs?: number;
}

interface Identity {
  dev: bigint;
  ino: bigint;
}

export class DatabaseHealth {
  readonly #o: DatabaseHealthOptions;
  #identity: Identity | null = null;
  #state: WriteState = { ok: true };
  #timer: NodeJS.Timeout | undefined;
  /** Counts changes of state: a probe's answer is reused only while it still holds. */
  #changes = 0;
  #probe: { at: number; changes: number; result: Promise<string | null> } | undefined;

  constructor(options: DatabaseHealthOptions) {
    this.#o = options;
  }

  /** Reads the file's identity and starts checking it. */
  async start(): Promise<void> {
    if (this.#o.file === null) return;
    const identity = await identityOf(this.#o.file);
    if (typeof identity === "string") throw new Error(`cannot read the identity of ${this.#o.file}`);
    this.#identity = identity;
    this.#timer = setInterval(() => void this.checkFile(), this.#o.checkEveryMs ?? 1000);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  get state(): WriteState {
    return this.#state;
  }

  /** True when the file was found deleted or replaced (as of the last check). */
  get gone(): boolean {
    return !this.#state.ok && this.#state.fault === "gone";
  }

  /** Checks the file's identity now; false once it was deleted or replaced. */
  async checkFile(): Promise<boolean> {
    if (this.#identity === null || this.gone) return !this.gone;
    const now = await identityOf(this.#o.file!);
    // A file that cannot be looked at (a directory's permissions) is not known to be gone.
    if (now === "unknown" || (now !== "missing" && now.dev === this.#identity.dev && now.ino === this.#identity.ino)) return true;
    this.#set({ ok: false, fault: "gone", detail: GONE_DETAIL }, `${this.#o.file} is ${now === "missing" ? "gone" : "another file now"}`);
    return false;
  }

  /** Throws a 503 problem when the database must not be written to. */
  async assertWritable(): Promise<void> {
    if (!(await this.checkFile())) throw new ProblemError("unavailable", GONE_DETAIL);
  }

  /** A write's outcome: success, or the error it failed with. Busy locks and races change nothing. */
  noteWrite(error?: unknown): void {
    if (this.gone) return;
    if (error === undefined) {
      if (!this.#state.ok) this.#set({ ok: true }, "");
      return;
    }
    const fault = databaseFault(error);
    if (fault === null) return;
    if (!this.#state.ok && this.#state.fault === fault) return;
    this.#set({ ok: false, fault, detail: FAULT_DETAIL[fault] }, error instanceof Error ? error.message : String(error));
  }

  /**
   * Null when the database answers a read and takes a write, else why not. The
   * write is real (the header's `user_version`, rewritten unchanged), so that a
   * full disk is seen as one; another process holding the lock counts as taking
   * writes. One probe serves every caller for a second, unless the state changed.
   */
  readiness(): Promise<string | null> {
    const now = performance.now();
    let probe = this.#probe;
    if (probe === undefined || now - probe.at >= PROBE_REUSE_MS || probe.changes !== this.#changes) {
      const fresh = { at: now, changes: this.#changes, result: this.#ready() };
      // Its own outcome may change the state: count that in, so that the answer is reused.
      void fresh.result.then(() => (fresh.changes = this.#changes));
      this.#probe = probe = fresh;
    }
    return probe.result;
  }

  async #ready(): Promise<string | null> {
    if (!(await this.checkFile())) return GONE_DETAIL;
    try {
      await this.#o.reader.execute("SELECT 1 FROM tenants LIMIT 1");
    } catch (error) {
      return `The database does not answer a read: ${error instanceof Error ? error.message : String(error)}`;
    }
    try {
      const { rows } = await this.#o.writer.execute("PRAGMA user_version");
      await this.#o.writer.batch([`PRAGMA user_version = ${Number(rows[0]?.[0] ?? 0)}`]);
      this.noteWrite();
    } catch (error) {
      if (!isBusyError(error)) this.noteWrite(error);
      if (!isBusyError(error) && databaseFault(error) === null) {
        return `The database does not take a write: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    return this.#state.ok ? null : this.#state.detail;
  }

  #set(state: WriteState, cause: string): void {
    this.#state = state;
    this.#changes++;
    this.#o.log(
      state.ok
        ? "killswitch: the database takes writes again"
        : `killswitch: the database cannot take writes (${state.fault}: ${cause}); writes answer 503 ${
            state.fault === "gone" ? "until the file is restored and the service restarted" : "until it can"
          }`,
    );
  }
}

async function identityOf(file: string): Promise<Identity | "missing" | "unknown"> {
  try {
    const { dev, ino } = await stat(file, { bigint: true });
    return { dev, ino };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "missing" : "unknown";
  }
}
