import { Layout } from "./layout.js";

export interface SignInProps {
  /** The form's double-submit token (also in the sign-in cookie). */
  token: string;
  /** Where to go once signed in: a /console path. */
  next?: string | undefined;
  error?: string | undefined;
  notice?: string | undefined;
}

export function SignInPage(props: SignInProps) {
  return (
    <Layout title="Sign in" section="sign-in">
      <div class="narrow">
        <h1>Sign in to the console</h1>
        {props.notice && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        {props.error && (
          <div class="notice error" role="alert" id="sign-in-error">
            <p>{props.error}</p>
          </div>
        )}
        <form method="post" action="/console/sign-in" class="stack">
          <input type="hidden" name="csrf" value={props.token} />
          {props.next && <input type="hidden" name="next" value={props.next} />}
          <div class="field">
            <label for="key">API key</label>
            <input
              id="key"
              name="key"
              type="password"
              required
              autocomplete="off"
              spellcheck={false}
              autocapitalize="off"
              aria-describedby={props.error ? "key-help sign-in-error" : "key-help"}
              aria-invalid={props.error ? "true" : undefined}
            />
            <p class="help" id="key-help">
              An admin, operator or viewer key (<code>ks_…</code>). It is exchanged for a session and is not kept by the
              browser.
            </p>
          </div>
          <div>
            <button type="submit">Sign in</button>
          </div>
        </form>
      </div>
    </Layout>
  );
}
