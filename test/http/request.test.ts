import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { readIfMatch } from "../../src/http/request.js";
import { errorToResponse } from "../../src/http/problem-response.js";

async function ifMatch(header?: string): Promise<{ status: number; body: unknown }> {
  const app = new Hono();
  app.onError((error) => errorToResponse(error, () => {}));
  app.get("/", (c) => c.json(readIfMatch(c)));
  const res = await app.request("/", { headers: header === undefined ? {} : { "if-match": header } });
  return { status: res.status, body: await res.json() };
}

describe("If-Match", () => {
  it.each([
    ["12", { ifMatch: 12 }],
    ['"12"', { ifMatch: 12 }],
    ['W/"12"', { ifMatch: 12 }],
    [" 7 ", { ifMatch: 7 }],
    ["*", {}],
    [undefined, {}],
  ])("reads %j", async (header, expected) => {
    expect(await ifMatch(header)).toEqual({ status: 200, body: expected });
  });

  it.each(["abc", '"12', "12,13", "-1", "1e3"])("answers 400 to %j", async (header) => {
    const res = await ifMatch(header);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errors: [{ path: "If-Match" }] });
  });
});
