/**
 * One tenant's Durable Object: owns the tenant's SQLite database (drizzle
 * durable-sqlite) and its SDK sockets (Hibernation API), and runs the same
 * Hono app as the Node host inside `fetch`.
 *
 * An object exists for any name the Worker asks for, so it must not turn
 * into a tenant by being asked: only the request that creates the tenant
 * (marked by the Worker, see forwarding.ts) migrates the database; any other
 * request to an object without the tenant marker answers 401, having read
 * one key and written nothing.
 */
import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { TENANT_ID_PATTERN } from "../core/keys/token.js";
import { TENANT_EXISTS_STATUS } from "./create-tenant.js";
import type { Env } from "./env.js";
import { CREATE_HEADER, TENANT_HEADER } from "./forwarding.js";
import { HibernatingHub } from "./hibernating-hub.js";
import { errorField, logLine } from "./json-log.js";
import migrations from "./migrations.js";
import { problem } from "../http/edge.js";
import { UNKNOWN_KEY } from "../http/credentials.js";
import { createTenantServices, type TenantServices } from "./tenant-services.js";

/** Written in the object's synchronous KV once `POST /v1/tenants` succeeded. */
const TENANT_MARKER = "killswitch:tenant";

interface TenantMarker {
  id: string;
  createdAt: number;
}

export class TenantObject extends DurableObject<Env> {
  #tenant: TenantMarker | undefined;
  #services: TenantServices | undefined;
  /** Set when the bundled migrations could not be applied: every request then answers 503. */
  #migrationError: unknown;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Not persisted by the runtime: set on every construction, including wakes from hibernation.
    HibernatingHub.enableAutoPong(ctx);
    this.#tenant = ctx.storage.kv.get<TenantMarker>(TENANT_MARKER);
    // Applies migrations bundled by a new deploy before any event is delivered.
    if (this.#tenant !== undefined) void ctx.blockConcurrencyWhile(async () => this.#migrate());
  }

  override async fetch(request: Request): Promise<Response> {
    const tenantId = request.headers.get(TENANT_HEADER);
    if (request.headers.get(CREATE_HEADER) === "1") return this.#create(request, tenantId);
    if (this.#tenant === undefined || this.#tenant.id !== tenantId) {
      return problem("unauthorized", UNKNOWN_KEY);
    }
    if (this.#migrationError !== undefined) return unavailable();
    return this.#servicesOf(this.#tenant.id).fetch(request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.#tenant === undefined || this.#migrationError !== undefined) return;
    await this.#servicesOf(this.#tenant.id).hub.message(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    if (this.#tenant === undefined) return;
    this.#servicesOf(this.#tenant.id).hub.closed(ws, code, reason);
  }

  /**
   * The one alarm, shared (alarm-clock.ts): set for the stream's next hello or
   * silence deadline, or the next scheduled change, webhook delivery or receipt check.
   */
  override async alarm(): Promise<void> {
    if (this.#tenant === undefined || this.#migrationError !== undefined) return;
    await this.#servicesOf(this.#tenant.id).alarm();
  }

  override async webSocketError(): Promise<void> {
    // webSocketClose follows; the attachment dies with the socket.
  }

  /** `POST /v1/tenants`, forwarded by the Worker to a fresh object named by a new tenant id. */
  async #create(request: Request, tenantId: string | null): Promise<Response> {
    if (tenantId === null || !TENANT_ID_PATTERN.test(tenantId)) return problem("unauthorized", UNKNOWN_KEY);
    if (this.#tenant !== undefined) {
      return new Response(null, { status: TENANT_EXISTS_STATUS }); // the Worker retries with another id
    }
    await this.#migrate();
    if (this.#migrationError !== undefined) return unavailable();
    const response = await this.#servicesOf(tenantId).fetch(request);
    if (response.status === 201) {
      const marker: TenantMarker = { id: tenantId, createdAt: Date.now() };
      // The output gate holds the response until this write is durable.
      this.ctx.storage.kv.put(TENANT_MARKER, marker);
      this.#tenant = marker;
    } else {
      // Refused (an invalid body): leave nothing behind, not even the migrated tables or a metric.
      this.#services?.discard();
      this.#services = undefined;
      await this.ctx.storage.deleteAll();
    }
    return response;
  }

  async #migrate(): Promise<void> {
    try {
      // drizzle's migrator runs every pending migration in one transactionSync.
      await migrate(drizzle(this.ctx.storage), migrations);
    } catch (error) {
      logLine("error", "tenant migrations failed", { tenant: this.#tenant?.id, err: errorField(error) });
      this.#migrationError = error;
    }
  }

  #servicesOf(tenantId: string): TenantServices {
    this.#services ??= createTenantServices({ ctx: this.ctx, env: this.env, tenantId });
    return this.#services;
  }
}

function unavailable(): Response {
  return problem("busy", "The tenant's database could not be migrated; see the logs.");
}
