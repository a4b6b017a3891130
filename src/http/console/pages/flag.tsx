/**
 * A flag in one environment: its state, every rule in plain words (a segment
 * rule with the segment's own rules), what everyone else gets, and for
 * operators the Block, Kill, Restore and Remove actions.
 */
import type { FlagConfig, Segment } from "@killswitch/sdk";
import type { FlagView } from "../../../core/schemas/responses.js";
import { seg } from "../api-client.js";
import { Layout, StateBadge, type Viewer } from "./layout.js";
import { Propagation, type PropagationProps } from "./propagation.js";
import { conditionWords, ruleWords, serveWords } from "./rule-words.js";

export interface FlagPageProps {
  viewer: Viewer;
  canWrite: boolean;
  env: string;
  envs: string[];
  flag: FlagView;
  config: FlagConfig;
  /** The segments the rules name, by key (a missing one was deleted meanwhile). */
  segments: Record<string, Segment>;
  propagation?: PropagationProps | undefined;
  notice?: string | undefined;
}

export const flagPath = (env: string, key: string) => `/console/envs/${seg(env)}/flags/${seg(key)}`;

/** Blocked: some rule serves the off variant; killed: disabled altogether. */
export function flagState(config: FlagConfig): "killed" | "blocked" | "on" {
  if (!config.enabled) return "killed";
  return config.rules.some((r) => "variant" in r.serve && r.serve.variant === config.offVariant) ? "blocked" : "on";
}

export function FlagPage(props: FlagPageProps) {
  const { viewer, canWrite, env, envs, flag, config, segments } = props;
  const base = flagPath(env, flag.key);
  const state = flagState(config);
  return (
    <Layout title={`${flag.key} in ${env}`} section="flags" viewer={viewer}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/console">Overview</a> <span aria-hidden="true">›</span> <span>{env}</span>
      </nav>
      <h1>
        <code>{flag.key}</code> <span class="env-name">in {env}</span>
      </h1>
      {flag.description && <p class="lede">{flag.description}</p>}
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <div class="state-line">
        <StateBadge state={state} />
        <span>
          version {config.version} · fail {config.failMode}
          {config.staleAfterMs !== undefined ? ` after ${config.staleAfterMs / 1000} s` : ""}
        </span>
      </div>
      {canWrite && (
        <div class="actions" role="group" aria-label="Actions">
          <a class="button" href={`${base}/block`}>
            Block
          </a>
          {config.enabled ? (
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
      {envs.length > 1 && (
        <p>
          Other environments:{" "}
          {envs
            .filter((e) => e !== env)
            .map((e, i) => (
              <>
                {i > 0 && ", "}
                <a href={flagPath(e, flag.key)}>{e}</a>
              </>
            ))}
        </p>
      )}

      <h2>Rules</h2>
      {!config.enabled && (
        <p class="notice warn">
          <strong>Killed:</strong> every context gets <code>{config.offVariant}</code>; the rules below apply again after
          Restore.
        </p>
      )}
      {config.rules.length === 0 ? (
        <p>No rules: everyone gets the default below.</p>
      ) : (
        <ol class="rules">
          {config.rules.map((rule) => {
            const named = rule.when.flatMap((c) => ("segment" in c ? c.segment : []));
            return (
              <li class="rule">
                <p class="rule-words">
                  <strong>{ruleWords(rule)}</strong>
                  {rule.directive && (
                    <>
                      {" · "}directive <span class="directive">{rule.directive}</span>
                    </>
                  )}
                </p>
                {rule.description && <p class="help">{rule.description}</p>}
                {named.map((key) => {
                  const segment = segments[key];
                  return (
                    <div class="segment">
                      <p>
                        Segment <code>{key}</code>
                        {segment === undefined ? " (no longer exists)" : segment.description ? `: ${segment.description}` : ""}
                      </p>
                      {segment && <SegmentRules segment={segment} />}
                    </div>
                  );
                })}
                <p class="meta">
                  Rule <code>{rule.id}</code>
                </p>
                {canWrite && (
                  <a class="button secondary small" href={`${base}/rules/${seg(rule.id)}/remove`} aria-label={`Remove rule ${rule.id}`}>
                    Remove
                  </a>
                )}
              </li>
            );
          })}
        </ol>
      )}
      <p>
        Everyone else: <strong>{serveWords(config.fallthrough)}</strong>.
      </p>
    </Layout>
  );
}

export function SegmentRules(props: { segment: Segment }) {
  const { segment } = props;
  return (
    <ul class="segment-rules">
      {segment.rules.map((rule) => (
        <li>member when {rule.when.map(conditionWords).join(" and ")}</li>
      ))}
      {segment.include.length > 0 && <li>always members: {segment.include.join(", ")}</li>}
      {segment.exclude.length > 0 && <li>never members: {segment.exclude.join(", ")}</li>}
      {segment.rules.length === 0 && segment.include.length === 0 && <li>no members</li>}
    </ul>
  );
}
