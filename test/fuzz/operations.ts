/**
 * The fuzzer's view of the service, read from its own `/openapi.json`: every
 * operation with its path parameters, query parameters, body schema, access and
 * error shape. A route the document does not list is never fuzzed, which is why
 * a test holds the document equal to both hosts' route tables.
 */

/** A JSON Schema node as `z.toJSONSchema` writes them (the subset the document uses). */
export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  propertyNames?: Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
  default?: unknown;
}

export interface Operation {
  method: string;
  /** `/v1/envs/{env}/flags/{key}` */
  template: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  /** `x-killswitch-access`: none, root, viewer, operator, admin, sdk, "viewer, or the environment's sdk key", or "metrics token" (sent none: the targets set no KILLSWITCH_METRICS_TOKEN). */
  access: string;
  body: Schema | undefined;
  bodyRequired: boolean;
  ifMatch: boolean;
  /** OFREP answers errors in its own shape, as application/json. */
  ofrep: boolean;
  /** The WebSocket upgrade: fuzzed as HTTP (a plain GET) here, and by frames in frames.ts. */
  stream: boolean;
}

export interface ServiceDocument {
  operations: Operation[];
  /** Resolves `#/components/schemas/X`. */
  resolve(schema: Schema): Schema;
  /** The stream's hello frame schema (`x-killswitch-hello`). */
  hello: Schema;
}

interface RawOperation {
  "x-killswitch-access": string;
  "x-killswitch-hello"?: Schema;
  parameters?: { name: string; in: string; schema: Schema }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}

export function readDocument(doc: { paths: Record<string, Record<string, RawOperation>>; components: { schemas: Record<string, Schema> } }): ServiceDocument {
  const schemas = doc.components.schemas;
  const resolve = (schema: Schema): Schema => {
    if (schema.$ref === undefined) return schema;
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = schemas[name];
    if (target === undefined) throw new Error(`unresolved ${schema.$ref}`);
    return target;
  };
  let hello: Schema | undefined;
  const operations: Operation[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const parameters = op.parameters ?? [];
      if (op["x-killswitch-hello"]) hello = resolve(op["x-killswitch-hello"]);
      operations.push({
        method: method.toUpperCase(),
        template,
        pathParams: parameters.filter((p) => p.in === "path").map((p) => p.name),
        query: parameters.filter((p) => p.in === "query").map((p) => ({ name: p.name, schema: p.schema })),
        access: op["x-killswitch-access"],
        body: op.requestBody?.content["application/json"]?.schema,
        bodyRequired: op.requestBody?.required ?? false,
        ifMatch: parameters.some((p) => p.in === "header" && p.name === "If-Match"),
        ofrep: template.startsWith("/ofrep/"),
        stream: parameters.some((p) => p.in === "header" && p.name === "Upgrade"),
      });
    }
  }
  if (hello === undefined) throw new Error("the document describes no stream hello (x-killswitch-hello)");
  return { operations, resolve, hello };
}
