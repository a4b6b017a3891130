/**
 * A flag in one environment: its state, every rule in the API's plain words
 * (a segment rule with the segment's own rules), who made each block and when,
 * what everyone else gets, and for operators the Block, Kill, Restore and
 * Remove actions.
 */
import type { FlagConfig } from "@killswitch/sdk";
import type { BlockView, FlagState } from "../../../core/schemas/responses.js";
import { seg } from "../api-client.js";
import { EnvSwitch } from "./env-switch.js";
import { Layout, StateBadge, Time, type Viewer } from "./layout.js";
import { Propagation, type PropagationProps } from "./propagation.js";

export interface FlagPageProps {
  viewer: Viewer;
  canWrite: boolean;
  env: string;
  envs: string[];
  /** `GET /v1/envs/{env}/flags`'s entry: the rules in words, the last change. */
  state: FlagState;
  /** `GET /v1/envs/{env}/flags/{key}`: what the state leaves out (fail mode). */
  config: FlagConfig;
  /** This flag's entries of `GET /v1/envs/{env}/blocks`: who made each block, and when. */
  blocks: BlockView[];
  propagation?: PropagationProps | undefined;
}

export const flagPath = (env: string, key: string) => `/console/envs/${seg(env)}/flags/${seg(key)}`;

/** ", by ops-key, 2026-11-27 17:24 UTC" for a block whose author the audit log names. */
function ByWhom(props: { block: BlockView | undefined }) {
  const { block } = props;
  if (!block || (!block.by && !block.since)) return null;
  return (
    <>
      {" · "}
      {block.by ? `by ${block.by.name}` : ""}
      {block.by && block.since ? ", " : ""}
      {block.since && <Time at={block.since} />}
    </>
  );
}

export function FlagPage(props: FlagPageProps) {
  const { viewer, canWrite, env, envs, state, config, blocks } = props;
  const base = flagPath(env, state.key);
  const kill = blocks.find((b) => b.kind === "kill");
  return (
    <Layout title={`${state.key} in ${env}`} section="flags" viewer={viewer}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/console">Overview</a> <span aria-hidden="true">›</span> <span>{env}</span>
      </nav>
      <h1>
        <code>{state.key}</code> <span class="env-name">in {env}</span>
      </h1>
      {state.description && <p class="lede">{state.description}</p>}
      <EnvSwitch env={env} envs={envs} href={(e) => flagPath(e, state.key)} />
      <div class="state-line">
        <StateBadge state={state.state} />
        <span>
          version {state.version} · fails {config.failMode}
          {config.staleAfterMs !== undefined ? ` after ${config.staleAfterMs / 1000} s` : ""}
        </span>
      </div>
      {state.lastChange && (
        <p class="help">
          Last change: {state.lastChange.action} by {state.lastChange.actor.name}, <Time at={state.lastChange.at} />
          {state.lastChange.reason ? ` — “${state.lastChange.reason}”` : ""}
          {state.lastChange.directive ? ` (directive ${state.lastChange.directive})` : ""}.
        </p>
      )}
      {canWrite && (
        <div class="actions" role="group" aria-label="Actions">
          <a class="button" href={`${base}/block`}>
            Block
          </a>
          {state.enabled ? (
            <a class="button danger" href={`${base}/kill`}>
              Kill
            </a>
          ) : (
            <a class="button" href={`${base}/restore`}>
              Restore
            </a>
          )}
        </div>
      )}
      {props.propagation && <Propagation {...props.propagation} />}

      <h2>Rules</h2>
      {!state.enabled && (
        <p class="notice warn">
          <strong>Killed:</strong> every context gets <code>{state.offVariant}</code>
          {state.directive ? ` · directive ${state.directive}` : ""}
          <ByWhom block={kill} />. The rules below apply again after Restore.
        </p>
      )}
      {state.rules.length === 0 ? (
        <p>No rules.</p>
      ) : (
        <ol class="rules">
          {state.rules.map((rule) => (
            <li class="rule">
              <p class="rule-words">
                <strong>{rule.text}</strong>
                {rule.directive && (
                  <>
                    {" · "}directive <span class="directive">{rule.directive}</span>
                  </>
                )}
                <ByWhom block={blocks.find((b) => b.ruleId === rule.id)} />
              </p>
              {rule.description && <p class="help">{rule.description}</p>}
              {rule.segments.map((segment) => (
                <div class="segment">
                  <p>
                    Segment <code>{segment.key}</code>
                    {segment.description ? `: ${segment.description}` : ""}
                  </p>
                  <ul class="segment-rules">
                    {segment.text.map((line) => (
                      <li>{line}</li>
                    ))}
                  </ul>
                </div>
              ))}
              <p class="meta">
                Rule <code>{rule.id}</code>
                {rule.blocks ? " · blocks" : ""}
              </p>
              {canWrite && (
                <a class="button secondary small" href={`${base}/rules/${seg(rule.id)}/remove`}>
                  Remove<span class="visually-hidden"> rule {rule.id}</span>
                </a>
              )}
            </li>
          ))}
        </ol>
      )}
      {/* "otherwise on": what serves when no rule matches. */}
      <p>
        <strong>{state.fallthrough.charAt(0).toUpperCase() + state.fallthrough.slice(1)}</strong>: what everyone else gets.
      </p>
    </Layout>
  );
}
