/**
 * The live propagation bar of one change: applied / connected, p99, and the
 * instances still pending by name, from the change's receipt
 * (`GET /v1/envs/{env}/changes/{version}`). console.js fetches this fragment
 * again on each of the change's `receipt` events until the receipt is final
 * (complete, nobody connected at commit, or saved 10 minutes after the commit);
 * with no instance connected at commit, it says so instead of showing a full bar.
 */
import type { PropagationReceipt } from "../../../core/schemas/responses.js";

export interface PropagationProps {
  env: string;
  version: number;
  /** Null: the host keeps no receipt for this version (too old, or lost in a restart). */
  receipt: PropagationReceipt | null;
}

const MAX_PENDING_SHOWN = 20;

export const fragmentPath = (env: string, version: number) =>
  `/console/envs/${encodeURIComponent(env)}/changes/${version}`;

function summary({ version, receipt }: PropagationProps): string {
  if (receipt === null) return `No propagation record is kept for version ${version} any more.`;
  const p99 = receipt.latencyMs.p99 === null ? "" : ` p99 ${Math.round(receipt.latencyMs.p99)} ms.`;
  const share = `${receipt.acked} of ${receipt.connected}`;
  switch (receipt.status) {
    case "no-instances":
      return `No SDK instance was connected when version ${version} was committed: nothing has applied it yet, and there is nothing to wait for.`;
    case "complete":
      return `Complete: applied by ${share} connected instances (100 %).${p99}`;
    case "pending": {
      const percent = receipt.connected === 0 ? 0 : Math.floor((receipt.acked / receipt.connected) * 100);
      if (receipt.final) {
        const when = receipt.savedBecause === "shutdown" ? "when the server stopped" : "10 minutes after the commit";
        return `Incomplete, and final: applied by ${share} connected instances (${percent} %) ${when}; the others left or never applied it.${p99}`;
      }
      return `In progress: applied by ${share} connected instances (${percent} %).${p99}`;
    }
  }
}

export function Propagation(props: PropagationProps) {
  const { env, version, receipt } = props;
  // A final receipt is saved and will not move again, whatever its status.
  const live = receipt !== null && receipt.status === "pending" && receipt.final !== true;
  return (
    <section
      class="propagation"
      id="propagation"
      aria-labelledby="propagation-title"
      data-live-fragment={live ? fragmentPath(env, version) : undefined}
      data-env={env}
      data-version={String(version)}
      data-status={receipt?.status ?? "gone"}
    >
      <h2 id="propagation-title">Propagation of version {version}</h2>
      {receipt !== null && receipt.status !== "no-instances" && (
        <progress max={receipt.connected} value={receipt.acked} aria-labelledby="propagation-title propagation-words">
          {receipt.acked} of {receipt.connected}
        </progress>
      )}
      <p id="propagation-words" role="status">
        {summary(props)}
      </p>
      {receipt !== null && receipt.pending.length > 0 && (
        <div>
          <p>Waiting for:</p>
          <ul class="pending">
            {receipt.pending.slice(0, MAX_PENDING_SHOWN).map((p) => (
              <li>
                <code>{p.instance}</code> ({p.app}, at version {p.appliedVersion ?? "none"})
              </li>
            ))}
            {receipt.pending.length > MAX_PENDING_SHOWN && <li>and {receipt.pending.length - MAX_PENDING_SHOWN} more</li>}
          </ul>
        </div>
      )}
      {live && (
        <p class="help">
          This updates by itself. <a href="">Reload</a> to see it without scripts.
        </p>
      )}
    </section>
  );
}
