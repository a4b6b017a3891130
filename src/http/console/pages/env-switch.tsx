/** Links to the same page in the tenant's other environments. */
export function EnvSwitch(props: { env: string; envs: string[]; href: (env: string) => string }) {
  if (props.envs.length < 2) return null;
  return (
    <nav aria-label="Environments" class="env-switch">
      <span>Environment:</span>
      <ul>
        {props.envs.map((e) => (
          <li>
            <a href={props.href(e)} aria-current={e === props.env ? "page" : undefined}>
              {e}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
