/**
 * The forms of the write actions: block (a segment, or conditions built from
 * the declared attributes), and kill, restore and rule removal. Each takes a
 * reason and a directive; kill, and removing a rule that carries a directive,
 * also ask for the flag's key to be typed.
 */
import { OPERATORS, type Rule } from "@killswitch/sdk";
import type { Problem } from "../api-client.js";
import { Csrf, Layout, ProblemNotice, type Viewer } from "./layout.js";
import { flagPath } from "./flag.js";
import { operatorInWords, ruleInWords } from "../../../core/rules/plain-words.js";

/** A condition row of the block form, as typed. */
export interface ConditionRow {
  attribute: string;
  op: string;
  values: string;
}

export interface BlockFormValues {
  by: "conditions" | "segment";
  segment: string;
  rows: ConditionRow[];
  reason: string;
  directive: string;
  description: string;
}

export interface BlockPageProps {
  viewer: Viewer;
  env: string;
  flag: string;
  attributes: string[];
  segments: { key: string; description?: string | undefined }[];
  values: BlockFormValues;
  problem?: Problem | undefined;
}

export const MAX_CONDITION_ROWS = 10;

function ReasonFields(props: { reason: string; directive: string }) {
  return (
    <>
      <div class="field">
        <label for="reason">Reason</label>
        <textarea id="reason" name="reason" required rows={2} aria-describedby="reason-help">
          {props.reason}
        </textarea>
        <p class="help" id="reason-help">
          Recorded in the audit log as evidence.
        </p>
      </div>
      <div class="field">
        <label for="directive">Directive (optional)</label>
        <input id="directive" name="directive" value={props.directive} aria-describedby="directive-help" autocomplete="off" />
        <p class="help" id="directive-help">
          The order this carries out, e.g. <code>EXPORT-2026-001</code>.
        </p>
      </div>
    </>
  );
}

export function BlockPage(props: BlockPageProps) {
  const { viewer, env, flag, values } = props;
  const back = flagPath(env, flag);
  return (
    <Layout title={`Block ${flag}`} section="flags" viewer={viewer}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={back}>{flag}</a> <span aria-hidden="true">›</span> <span>Block</span>
      </nav>
      <h1>
        Block <code>{flag}</code> in {env}
      </h1>
      <p class="lede">Adds a rule, first in order, that serves the flag's off variant to the people it names.</p>
      <ProblemNotice problem={props.problem} />
      <form method="post" action={`${back}/block`} class="stack">
        <Csrf token={viewer.csrfToken} />
        <input type="hidden" name="rows" value={String(values.rows.length)} />
        <fieldset>
          <legend>Who is blocked</legend>
          <div class="choice">
            <input type="radio" id="by-conditions" name="by" value="conditions" checked={values.by === "conditions"} />
            <label for="by-conditions">Everyone matching these conditions</label>
          </div>
          <div class="conditions">
            {values.rows.map((row, i) => (
              <fieldset class="condition">
                <legend>Condition {i + 1}</legend>
                <div class="field">
                  <label for={`attribute-${i}`}>Attribute</label>
                  <select id={`attribute-${i}`} name={`attribute-${i}`}>
                    <option value="" selected={row.attribute === ""}>
                      (none)
                    </option>
                    {props.attributes.map((name) => (
                      <option value={name} selected={row.attribute === name}>
                        {name}
                      </option>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for={`op-${i}`}>Operator</label>
                  <select id={`op-${i}`} name={`op-${i}`}>
                    {OPERATORS.map((op) => (
                      <option value={op} selected={(row.op || "notIn") === op}>
                        {op} ({operatorInWords(op)})
                      </option>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for={`values-${i}`}>Values</label>
                  <input id={`values-${i}`} name={`values-${i}`} value={row.values} aria-describedby="values-help" autocomplete="off" />
                </div>
              </fieldset>
            ))}
            <p class="help" id="values-help">
              Values are separated by commas, e.g. <code>US, CA</code>. All conditions must hold.
            </p>
          </div>
          <div class="choice">
            <input type="radio" id="by-segment" name="by" value="segment" checked={values.by === "segment"} />
            <label for="by-segment">Everyone in a segment</label>
          </div>
          <div class="field">
            <label for="segment">Segment</label>
            <select id="segment" name="segment">
              <option value="" selected={values.segment === ""}>
                (none)
              </option>
              {props.segments.map((s) => (
                <option value={s.key} selected={values.segment === s.key}>
                  {s.key}
                  {s.description ? ` — ${s.description}` : ""}
                </option>
              ))}
            </select>
          </div>
        </fieldset>
        <ReasonFields reason={values.reason} directive={values.directive} />
        <div class="field">
          <label for="description">Rule description (optional)</label>
          <input id="description" name="description" value={values.description} autocomplete="off" />
        </div>
        <div class="form-actions">
          {/* Block comes first: Enter in a field submits with the form's first button. */}
          <button type="submit" name="intent" value="block" class="danger">
            Block
          </button>
          {values.rows.length < MAX_CONDITION_ROWS && (
            <button type="submit" name="intent" value="add-condition" class="secondary" formnovalidate>
              Add a condition
            </button>
          )}
          <a href={back}>Cancel</a>
        </div>
      </form>
    </Layout>
  );
}

export type ConfirmAction = "kill" | "restore" | "remove";

export interface ConfirmPageProps {
  viewer: Viewer;
  env: string;
  flag: string;
  action: ConfirmAction;
  rule?: Rule | undefined;
  /** Whether the flag's key must be typed. */
  typed: boolean;
  values: { reason: string; directive: string };
  problem?: Problem | undefined;
}

const TITLES: Record<ConfirmAction, string> = { kill: "Kill", restore: "Restore", remove: "Remove a rule of" };

export function ConfirmPage(props: ConfirmPageProps) {
  const { viewer, env, flag, action, rule } = props;
  const back = flagPath(env, flag);
  const target = action === "remove" && rule ? `${back}/rules/${encodeURIComponent(rule.id)}/remove` : `${back}/${action}`;
  const button = action === "kill" ? "Kill" : action === "restore" ? "Restore" : "Remove";
  return (
    <Layout title={`${TITLES[action]} ${flag}`} section="flags" viewer={viewer}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={back}>{flag}</a> <span aria-hidden="true">›</span> <span>{button}</span>
      </nav>
      <h1>
        {TITLES[action]} <code>{flag}</code> in {env}
      </h1>
      {action === "kill" && (
        <p class="lede">
          Every context gets the flag's off variant, whatever the rules say, until it is restored.
        </p>
      )}
      {action === "restore" && <p class="lede">The flag serves by its rules again. Blocking rules stay in place.</p>}
      {action === "remove" && rule && (
        <p class="lede">
          Removes the rule <strong>{ruleInWords(rule)}</strong>
          {rule.directive ? ` (directive ${rule.directive})` : ""}: the people it names get what the rules below it give.
        </p>
      )}
      <ProblemNotice problem={props.problem} />
      <form method="post" action={target} class="stack">
        <Csrf token={viewer.csrfToken} />
        <ReasonFields reason={props.values.reason} directive={props.values.directive} />
        {props.typed && (
          <div class="field">
            <label for="confirm">
              Type <code>{flag}</code> to confirm
            </label>
            <input id="confirm" name="confirm" required autocomplete="off" spellcheck={false} autocapitalize="off" />
          </div>
        )}
        <div class="form-actions">
          <button type="submit" class={action === "restore" ? "" : "danger"}>
            {button}
          </button>
          <a href={back}>Cancel</a>
        </div>
      </form>
    </Layout>
  );
}
