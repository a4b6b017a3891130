/**
 * What signs an environment's frames at one moment: its tenant, its epoch, and the
 * keys that sign now, the current key first. During a rotation's overlap the previous
 * key signs too, until its `retiresAt`.
 */
export interface SigningKey {
  /** The raw public key in base64url: what `GET …/signing-key` answers and SDKs pin. */
  publicKey: string;
  /** The key's generation in its environment: 1 for the first, +1 per rotation. */
  n: number;
  /** Usable to sign only, not extractable. */
  privateKey: CryptoKey;
  /** When it stops signing: Infinity for the current key. */
  retiresAt: number;
}

export interface SigningState {
  tenantId: string;
  env: string;
  epoch: string;
  /** Current first, then the previous one while its overlap lasts. */
  signers: SigningKey[];
}

/** Where the signer reads an environment's state (the store, which caches it). */
export interface SigningSource {
  /** Rejects 404 (a ProblemError) for an unknown environment. */
  signingState(tenantId: string, env: string): Promise<SigningState>;
}

/** The keys of `state` that still sign at `now`. */
export function signersAt(state: SigningState, now: number): SigningKey[] {
  return state.signers.filter((key) => key.retiresAt > now);
}
