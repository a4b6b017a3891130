/**
 * Headers the Worker sets on every request it forwards to a tenant's object.
 * A Durable Object is reachable only through its Worker, and the Worker
 * overwrites both headers on every request, so the object may trust them.
 */
export const TENANT_HEADER = "x-killswitch-tenant";
/** Present (value "1") only on the request that creates the tenant. */
export const CREATE_HEADER = "x-killswitch-create";

/**
 * A copy of `request` for the tenant's object, with the tenant id set and any
 * client-sent copies of our headers dropped. The body is passed buffered,
 * never as the client's stream: when the object answers without reading a
 * streamed body, workerd fails the Worker with "Can't read from request
 * stream after response has been sent" and restarts it (seen with wrangler
 * 4.86.0 on every such request).
 */
export function forwardedRequest(
  request: Request,
  tenantId: string,
  body: ArrayBuffer | null,
  options: { create?: boolean } = {},
): Request {
  const headers = new Headers(request.headers);
  // The body may be a prefix of the client's (see bounded-body.ts): the runtime sets its length.
  headers.delete("content-length");
  headers.delete("transfer-encoding");
  headers.set(TENANT_HEADER, tenantId);
  if (options.create) headers.set(CREATE_HEADER, "1");
  else headers.delete(CREATE_HEADER);
  // "manual": the object's redirects (the console's) go back to the browser, never followed here.
  return new Request(request.url, { method: request.method, headers, body, redirect: "manual" });
}
