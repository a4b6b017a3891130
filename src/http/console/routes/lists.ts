/** Reading lists and environments for the console's pages. */
import type { Page } from "../../../core/schemas/paging.js";
import type { EnvironmentView, FlagState } from "../../../core/schemas/responses.js";
import { ApiProblem, seg, type ConsoleApi } from "../api-client.js";

/** Items per list the console shows at most on one page (the API's largest page). */
export const PAGE_LIMIT = 500;

export async function listOf<T>(api: ConsoleApi, path: string): Promise<T[]> {
  const page = await api.get<Page<T>>(`${path}${path.includes("?") ? "&" : "?"}limit=${PAGE_LIMIT}`);
  return page.items;
}

/** Every item of a list, following its cursor: for lists a page must show whole (flags, blocks). */
export async function allOf<T>(api: ConsoleApi, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const join = path.includes("?") ? "&" : "?";
    const page = await api.get<Page<T>>(`${path}${join}limit=${PAGE_LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

/** One flag's entry of `GET /v1/envs/{env}/flags`: its state, with the rules in plain words. */
export async function flagStateOf(api: ConsoleApi, env: string, key: string): Promise<FlagState> {
  const state = (await allOf<FlagState>(api, `/v1/envs/${seg(env)}/flags`)).find((s) => s.key === key);
  if (!state) throw new ApiProblem({ type: "", title: "", status: 404, detail: `No flag "${key}".` });
  return state;
}

export async function environmentsOf(api: ConsoleApi): Promise<EnvironmentView[]> {
  return listOf<EnvironmentView>(api, "/v1/envs");
}

/** Where pages without an environment in their path start: production when there is one. */
export function defaultEnv(envs: EnvironmentView[]): string {
  return envs.some((e) => e.key === "production") ? "production" : (envs[0]?.key ?? "production");
}
