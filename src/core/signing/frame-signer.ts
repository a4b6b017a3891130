/**
 * Every signed text SDKs and relays receive is built here, once per change, for
 * both hosts: stream patches and snapshots, the key announcement of a rotation, the
 * HTTP snapshot, and OFREP answers. A hub makes one call per frame it builds and
 * sends the same text to every socket.
 *
 * The signed form keeps the payload readable JSON. A signed text opens with its
 * signatures, `{"sig":{<public key>:<signature>, …},` — on a stream snapshot and an
 * announcement after a `"serverTime":<ms>,` that changes with every send and is not
 * signed — and goes on with the members of its payload, a JSON object naming its
 * tenant, environment, epoch and version. Each signature is Ed25519 over the UTF-8
 * bytes of that payload exactly as it appears: the text after the first `}` (the one
 * that closes `sig`), whose leading comma becomes `{`. A verifier checks those bytes
 * and parses only them, so what it applies is exactly what was signed. During a
 * rotation's overlap two keys sign (current first), so a client pinned to either
 * accepts the frame. docs/signing.md describes the format for other verifiers. */
import type { PatchMessage, SnapshotMessage } from "@killswitch/sdk";
import type { CommittedChange } from "../broadcaster.js";
import { mergeChanges, patchOf } from "../stream/merge-changes.js";
import type { SnapshotText } from "../stream/snapshot-text.js";
import type { PatchText, SourceSnapshot, StreamFrames } from "../stream/stream-frames.js";
import { base64url } from "../crypto.js";
import { signBytes } from "./ed25519.js";
import { signersAt, type SigningSource, type SigningState } from "./signing-state.js";

const encoder = new TextEncoder();

/** The OFREP signing input's first field: the format of what follows. */
export const OFREP_SIGNED_FORMAT = "ofrep/1";

/** The two response headers of a signed OFREP answer (docs/signing.md). */
export interface OfrepSignature {
  /** `Killswitch-Signed`: what the signature covers besides the body, one line. */
  signed: string;
  /** `Killswitch-Signature`: `<public key>=<signature>`, comma-separated, current key first. */
  signature: string;
}

export interface FrameSignerOptions {
  /** Default `Date.now`: which keys still sign (an overlap ends at a time). */
  now?: () => number;
  /** A patch that could not be signed goes out unsigned (verifying SDKs refuse it and resync); the cause goes here. */
  onError?: (error: unknown) => void;
}

type Payload = Record<string, unknown>;

export class FrameSigner implements StreamFrames {
  readonly #source: SigningSource;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  /** Per `tenant/env`, the last patch being signed: patches resolve in the order they were published. */
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #announcements = new WeakMap<SigningState, Promise<SnapshotText | null>>();

  constructor(source: SigningSource, options: FrameSignerOptions = {}) {
    this.#source = source;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? ((error) => console.error("killswitch signing:", error));
  }

  /**
   * The signed patch of one committed change. Never rejects: a change whose
   * environment cannot be read goes out unsigned (and the cause is reported).
   * Resolves in publish order per environment.
   */
  patch(change: CommittedChange): Promise<string> {
    const queue = `${change.tenantId}/${change.env}`;
    const previous = this.#queues.get(queue) ?? Promise.resolve();
    const next = previous.then(() =>
      this.#source.signingState(change.tenantId, change.env).then(
        (state) => this.#signed(patchPayload(state, patchOf(change)), state).then((tail) => `{${tail}`),
        (error: unknown) => {
          this.#onError(error);
          return JSON.stringify(patchOf(change));
        },
      ),
    );
    this.#queues.set(queue, next);
    void next.then(() => this.#queues.get(queue) === next && this.#queues.delete(queue));
    return next;
  }

  /** The changes after `since` as one signed patch, or null when they do not make one (a gap, none). */
  async resume(tenantId: string, env: string, since: number, changes: readonly CommittedChange[] | null): Promise<PatchText | null> {
    const patch = changes && mergeChanges(changes);
    if (!patch || patch.prev !== since) return null;
    const state = await this.#source.signingState(tenantId, env);
    return { version: patch.v, text: `{${await this.#signed(patchPayload(state, patch), state)}` };
  }

  /** A snapshot message signed, without its `serverTime`, which each send puts first (`snapshotFrame`). */
  async snapshot(tenantId: string, env: string, snapshot: SourceSnapshot): Promise<SnapshotText> {
    const state = await this.#source.signingState(tenantId, env);
    const message: Payload = { t: "snapshot" satisfies SnapshotMessage["t"], v: snapshot.version, env };
    message.epoch = snapshot.epoch ?? state.epoch;
    message.tenant = tenantId;
    message.flags = snapshot.flags;
    message.segments = snapshot.segments;
    if (snapshot.audit) message.audit = snapshot.audit;
    return { version: snapshot.version, epoch: message.epoch as string, tail: await this.#signed(message, state) };
  }

  /**
   * During a rotation's overlap, the announcement of the new key: an `hb` of version
   * 0 (it reports no version) carrying `key` and its generation `n`, signed by the old
   * and the new key, so that a client pinned to the old key learns the new one from a
   * frame it can verify. Sent after a socket's first state and to every socket at the
   * rotation; null when no overlap runs. Built once per rotation.
   */
  async announcement(tenantId: string, env: string): Promise<SnapshotText | null> {
    const state = await this.#source.signingState(tenantId, env);
    let known = this.#announcements.get(state);
    if (!known) {
      const [current] = state.signers;
      known =
        state.signers.length < 2 || !current
          ? Promise.resolve(null)
          : this.#signed({ t: "hb", v: 0, env, epoch: state.epoch, tenant: tenantId, key: current.publicKey, n: current.n }, state).then(
              (tail) => ({ version: 0, tail }),
            );
      this.#announcements.set(state, known);
    }
    const announcement = await known;
    // The overlap may have ended since it was built: a key that no longer signs announces nothing.
    return announcement && signersAt(state, this.#now()).length > 1 ? announcement : null;
  }

  /**
   * The body of `GET …/snapshot`: `{sig, version, env, epoch, tenant, flags, segments}`,
   * signed like a stream frame.
   */
  async httpSnapshot(tenantId: string, env: string, snapshot: SourceSnapshot): Promise<string> {
    const state = await this.#source.signingState(tenantId, env);
    const body: Payload = { version: snapshot.version, env, epoch: snapshot.epoch ?? state.epoch, tenant: tenantId };
    body.flags = snapshot.flags;
    body.segments = snapshot.segments;
    return `{${await this.#signed(body, state)}`;
  }

  /**
   * The ETag of the HTTP snapshot: the same for the same bytes only, so it names the
   * version, the epoch (versions start over in a new one) and the keys that sign.
   */
  async snapshotEtag(tenantId: string, env: string, snapshot: SourceSnapshot): Promise<string> {
    const state = await this.#source.signingState(tenantId, env);
    const keys = signersAt(state, this.#now()).map((key) => key.n);
    return `"${snapshot.version}-${env}-${snapshot.epoch ?? state.epoch}-${keys.join(".")}"`;
  }

  /**
   * The signature of one OFREP answer, for a caller that asks for it: over the
   * `signed` line (tenant, environment, epoch, version, the request's path and the
   * SHA-256 of its body) and the answer's body, so a relay can neither change the
   * answer nor hand it to another request.
   */
  async ofrep(tenantId: string, env: string, version: number, path: string, requestBody: Uint8Array, responseBody: string): Promise<OfrepSignature> {
    const state = await this.#source.signingState(tenantId, env);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", requestBody as Uint8Array<ArrayBuffer>));
    const signed = [
      OFREP_SIGNED_FORMAT,
      `tenant=${tenantId}`,
      `env=${env}`,
      `epoch=${state.epoch}`,
      `version=${version}`,
      `path=${path}`,
      `request=${base64url(digest)}`,
    ].join("; ");
    const bytes = encoder.encode(`${signed}\n${responseBody}`);
    const keys = signersAt(state, this.#now());
    const signatures = await Promise.all(keys.map((key) => signBytes(key.privateKey, bytes)));
    return { signed, signature: keys.map((key, i) => `${key.publicKey}=${signatures[i]}`).join(", ") };
  }

  /** `payload` serialized and signed by every key that signs now: `"sig":{…},<its members>}`, its opening brace left to the caller. */
  async #signed(payload: Payload, state: SigningState): Promise<string> {
    const text = JSON.stringify(payload);
    const bytes = encoder.encode(text);
    const keys = signersAt(state, this.#now());
    const signatures = await Promise.all(keys.map((key) => signBytes(key.privateKey, bytes)));
    // Keyed by base64url public keys: no name is special in a JSON object.
    const sig = keys.map((key, i) => `${JSON.stringify(key.publicKey)}:"${signatures[i]}"`).join(",");
    return `"sig":{${sig}},${text.slice(1)}`;
  }
}

/** A patch message with the fields that bind it: environment, epoch and tenant, after its versions. */
function patchPayload(state: SigningState, patch: PatchMessage): Payload {
  const payload: Payload = { t: "patch", v: patch.v, prev: patch.prev, env: state.env, epoch: state.epoch, tenant: state.tenantId };
  payload.flags = patch.flags;
  payload.segments = patch.segments;
  payload.removed = patch.removed;
  if (patch.audit) payload.audit = patch.audit;
  return payload;
}

