/** Reading lists and environments for the console's pages. */
import type { Page } from "../../../core/schemas/paging.js";
import type { EnvironmentView } from "../../../core/schemas/responses.js";
import type { ConsoleApi } from "../api-client.js";

/** Items per list the console shows at most on one page (the API's largest page). */
export const PAGE_LIMIT = 500;

export async function listOf<T>(api: ConsoleApi, path: string): Promise<T[]> {
  const page = await api.get<Page<T>>(`${path}${path.includes("?") ? "&" : "?"}limit=${PAGE_LIMIT}`);
  return page.items;
}

export async function environmentsOf(api: ConsoleApi): Promise<EnvironmentView[]> {
  return listOf<EnvironmentView>(api, "/v1/envs");
}

/** Where pages without an environment in their path start: production when there is one. */
export function defaultEnv(envs: EnvironmentView[]): string {
  return envs.some((e) => e.key === "production") ? "production" : (envs[0]?.key ?? "production");
}
