/**
 * "Explain": a pasted context evaluated against one environment, per flag: what
 * it serves, which rule decides and why each rule before it did not match.
 */
import type { Condition } from "@killswitch/sdk";
import type { EvaluateResponse, FlagExplanationView } from "../../../core/schemas/evaluate.js";
import type { Problem } from "../api-client.js";
import { EnvSwitch } from "./env-switch.js";
import { Csrf, Layout, ProblemNotice, StateBadge, type Viewer } from "./layout.js";
import { conditionInWords } from "../../../core/rules/plain-words.js";

export const explainPath = (env: string) => `/console/envs/${encodeURIComponent(env)}/explain`;

export interface ExplainPageProps {
  viewer: Viewer;
  env: string;
  envs: string[];
  flags: string[];
  values: { context: string; flag: string };
  answer?: EvaluateResponse | undefined;
  problem?: Problem | undefined;
}

const REASONS: Record<string, string> = {
  STATIC: "no rules: the default",
  DEFAULT: "no rule matched: the default",
  TARGETING_MATCH: "a rule matched",
  SPLIT: "a percentage split",
  DISABLED: "the flag is killed",
  ERROR: "the flag could not be evaluated",
};

export function ExplainPage(props: ExplainPageProps) {
  const { env, values } = props;
  return (
    <Layout title={`Explain in ${env}`} section="explain" viewer={props.viewer}>
      <h1>
        Explain <span class="env-name">in {env}</span>
      </h1>
      <EnvSwitch env={env} envs={props.envs} href={explainPath} />
      <p class="lede">Paste a context to see what each flag serves it, and which rule decides.</p>
      <ProblemNotice problem={props.problem} />
      <form method="post" action={explainPath(env)} class="stack">
        <Csrf token={props.viewer.csrfToken} />
        <div class="field">
          <label for="context">Context (JSON)</label>
          <textarea id="context" name="context" rows={5} required spellcheck={false} aria-describedby="context-help">
            {values.context}
          </textarea>
          <p class="help" id="context-help">
            For example <code>{'{"key": "user-1", "nationality": "FR"}'}</code>.
          </p>
        </div>
        <div class="field">
          <label for="flag">Flag</label>
          <select id="flag" name="flag">
            <option value="" selected={values.flag === ""}>
              Every flag
            </option>
            {props.flags.map((f) => (
              <option value={f} selected={values.flag === f}>
                {f}
              </option>
            ))}
          </select>
        </div>
        <div>
          <button type="submit">Explain</button>
        </div>
      </form>
      {props.answer && (
        <section aria-labelledby="answer-title">
          <h2 id="answer-title">At version {props.answer.version}</h2>
          {props.answer.flags.map((f) => (
            <Explanation flag={f} />
          ))}
        </section>
      )}
    </Layout>
  );
}

function Explanation(props: { flag: FlagExplanationView }) {
  const { flag } = props;
  const served = flag.result.variant ?? JSON.stringify(flag.result.value);
  const off = flag.result.value === false || !flag.enabled;
  return (
    <article class="card explanation">
      <h3>
        <code>{flag.flag}</code>
      </h3>
      <p>
        <StateBadge state={off ? "off" : "on"} words={`Serves ${served}`} /> because {REASONS[flag.result.reason] ?? flag.result.reason}
        {flag.result.ruleId ? ` (rule ${flag.result.ruleId})` : ""}.
        {flag.result.errorMessage ? ` ${flag.result.errorMessage}` : ""}
      </p>
      {flag.rules.length > 0 && (
        <ol class="rules">
          {flag.rules.map((r) => (
            <li>
              Rule <code>{r.id}</code>: {r.matched ? <strong>matched</strong> : "did not match"}
              {r.failedCondition && (
                <>
                  {" "}
                  — {conditionInWords(r.failedCondition.condition as Condition)}: {r.failedCondition.detail}
                </>
              )}
              {r.segments && (
                <>
                  {" "}
                  (segments:{" "}
                  {Object.entries(r.segments)
                    .map(([s, m]) => `${s} ${m}`)
                    .join(", ")}
                  )
                </>
              )}
            </li>
          ))}
        </ol>
      )}
    </article>
  );
}
