import { Layout, type Viewer } from "./layout.js";

const TITLES: Record<number, string> = {
  400: "Not accepted",
  401: "Signed out",
  403: "Not allowed",
  404: "Not found",
  409: "Changed meanwhile",
  429: "Too many requests",
  500: "Server error",
  503: "Unavailable",
};

export function ErrorPage(props: { viewer?: Viewer | undefined; status: number; detail: string }) {
  const title = TITLES[props.status] ?? `Error ${props.status}`;
  return (
    <Layout title={title} section="overview" viewer={props.viewer}>
      <h1>{title}</h1>
      <div class="notice error" role="alert">
        <p>{props.detail}</p>
      </div>
      <p>
        <a href="/console">Back to the overview</a>
      </p>
    </Layout>
  );
}
