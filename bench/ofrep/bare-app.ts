/**
 * The reference for the OFREP benchmark: the same route on the same Hono and
 * @hono/node-server, answering a constant OFREP success without reading the
 * request, authenticating or evaluating. What is left between it and the
 * product is the product's own work.
 */
import { Hono } from "hono";

export function createBareApp(): Hono {
  const app = new Hono();
  app.post("/ofrep/v1/evaluate/flags/:key", (c) =>
    c.json({ key: c.req.param("key"), value: true, reason: "STATIC", variant: "on", metadata: {} }),
  );
  return app;
}
