/**
 * The operator event source: what an on-call engineer (or another system)
 * follows live, per tenant. The write path reports every commit to it
 * (`committed`), the receipt follower reports each change's progress, and the
 * socket layer reports instances connecting and leaving; `GET /v1/events`
 * streams it as server-sent events, and webhooks can subscribe to it too.
 *
 * Events: `change` (a committed change of a flag, config or segment: one per
 * environment version), `directive` (a directive recorded, edited, lifted or
 * deleted), `receipt` (a change's propagation progress, and once final) and
 * `instance` (an SDK instance connected or disconnected).
 *
 * Ids are `<seq>:<n>:<epoch>`: `seq` is the tenant's newest audit entry known
 * when the event was made, `n` counts this source's events of the tenant, and
 * `epoch` names this source (a process, or a Durable Object's life). A client
 * resuming with the id of an event of this epoch that is still buffered gets
 * exactly what followed it; after a restart, or once the buffer has moved on,
 * it gets the change and directive events after `seq` again from the audit log
 * (durable), and no receipt or instance events it missed (those are not kept).
 */
import { randomAlphanumeric } from "../crypto.js";
import type { Role } from "../keys/roles.js";
import type { ReceiptStatus } from "../schemas/responses.js";
import type { ConnectionEvent, Telemetry } from "../telemetry.js";

export type OperatorEventType = "change" | "directive" | "receipt" | "instance";

export interface EventActor {
  keyId: string | null;
  name: string;
  role: Role | "root" | "system" | string;
}

export interface ChangeEventData {
  env: string;
  version: number;
  entity: "flag" | "segment";
  /** The flag or segment key. */
  key: string;
  /** The flag key for a change of a flag or its config; null for a segment. */
  flag: string | null;
  action: string;
  actor: EventActor;
  reason: string | null;
  directive: string | null;
  committedAt: string;
  audit: { seq: number; hash: string };
}

export interface DirectiveEventData {
  ref: string;
  action: string;
  actor: EventActor;
  reason: string | null;
  at: string;
  audit: { seq: number; hash: string };
}

export interface ReceiptEventData {
  env: string;
  version: number;
  connected: number;
  /** Instances connected at commit that have applied the version. */
  acked: number;
  /** How many of those connected at commit are still connected and have not applied it. */
  pending: number;
  p99: number | null;
  status: ReceiptStatus;
  complete: boolean;
  /** True for the last event of this change: saved, it will not move again. */
  final: boolean;
}

export interface InstanceEventData {
  env: string;
  event: "connect" | "disconnect";
  instance: string;
  app: string;
  sdk: string;
  at: string;
}

export type OperatorEvent =
  | { id: string; type: "change"; data: ChangeEventData }
  | { id: string; type: "directive"; data: DirectiveEventData }
  | { id: string; type: "receipt"; data: ReceiptEventData }
  | { id: string; type: "instance"; data: InstanceEventData };

type EventData<T extends OperatorEventType> = Extract<OperatorEvent, { type: T }>["data"];

/** One committed mutation as the write path reports it: its audit entry and the environment versions it made. */
export interface CommitRecord {
  tenantId: string;
  audit: {
    seq: number;
    hash: string;
    at: number;
    actor: EventActor;
    action: string;
    entity: string;
    key: string;
    env: string | null;
    reason: string | null;
    directive: string | null;
  };
  changes: { env: string; version: number; entity: "flag" | "segment"; key: string }[];
}

/** What the write path reports commits to. */
export interface CommitObserver {
  committed(commit: CommitRecord): void;
}

/** The events a commit makes: one `change` per environment version, or one `directive`. */
export function eventsOfCommit(commit: CommitRecord): { type: "change" | "directive"; data: ChangeEventData | DirectiveEventData }[] {
  const { audit } = commit;
  const ref = { seq: audit.seq, hash: audit.hash };
  if (audit.entity === "directive") {
    return [
      {
        type: "directive",
        data: { ref: audit.key, action: audit.action, actor: audit.actor, reason: audit.reason, at: new Date(audit.at).toISOString(), audit: ref },
      },
    ];
  }
  return commit.changes.map((change) => ({
    type: "change" as const,
    data: {
      env: change.env,
      version: change.version,
      entity: change.entity,
      key: change.key,
      flag: change.entity === "flag" ? change.key : null,
      action: audit.action,
      actor: audit.actor,
      reason: audit.reason,
      directive: audit.directive,
      committedAt: new Date(audit.at).toISOString(),
      audit: ref,
    },
  }));
}

export type EventListener = (event: OperatorEvent) => void;

/** A parsed `Last-Event-ID`. */
export interface EventPosition {
  seq: number;
  n: number;
  epoch: string;
}

const ID = /^(\d{1,15}):(\d{1,15}):([a-z0-9]{1,32})$/;

export const eventId = (position: EventPosition): string => `${position.seq}:${position.n}:${position.epoch}`;

/** The position an event id names, or null when it is no id of this service. */
export function parseEventId(id: string): EventPosition | null {
  const match = ID.exec(id);
  return match ? { seq: Number(match[1]), n: Number(match[2]), epoch: match[3]! } : null;
}

export interface OperatorEventsOptions {
  /** Events kept per tenant for resumption. Default 1,000. */
  bufferSize?: number;
  /** Tenants whose events are kept; past it, the one idle longest without subscribers is forgotten. Default 10,000. */
  maxTenants?: number;
  /** Names this source in ids; default random. */
  epoch?: string;
  /** Listeners that throw are reported here, never to the publisher. */
  onError?: (error: unknown) => void;
}

class TenantEvents {
  n = 0;
  /** The newest audit seq seen; -1 until one is known. */
  seq = -1;
  readonly buffer: OperatorEvent[] = [];
  readonly listeners = new Set<EventListener>();
  /** Recent seqs of change and directive events already made: a commit seen twice (own, and from another process) makes them once. */
  readonly made = new Set<number>();
}

/** What a resuming subscriber is owed: buffered events, or a durable replay from an audit seq. */
export type Resumption = { kind: "buffered"; events: OperatorEvent[] } | { kind: "durable"; afterSeq: number };

export class OperatorEvents implements CommitObserver {
  readonly epoch: string;
  readonly #tenants = new Map<string, TenantEvents>();
  readonly #bufferSize: number;
  readonly #maxTenants: number;
  readonly #onError: (error: unknown) => void;
  readonly #closers = new Set<() => void>();
  #closed = false;

  constructor(options: OperatorEventsOptions = {}) {
    this.epoch = options.epoch ?? randomAlphanumeric(8).toLowerCase();
    this.#bufferSize = Math.max(1, options.bufferSize ?? 1_000);
    this.#maxTenants = Math.max(1, options.maxTenants ?? 10_000);
    this.#onError = options.onError ?? (() => {});
  }

  /** The write path: every commit of a change or a directive becomes events. */
  committed(commit: CommitRecord): void {
    const tenant = this.#tenant(commit.tenantId);
    tenant.seq = Math.max(tenant.seq, commit.audit.seq);
    if (tenant.made.has(commit.audit.seq)) return;
    const events = eventsOfCommit(commit);
    if (events.length === 0) return;
    tenant.made.add(commit.audit.seq);
    if (tenant.made.size > this.#bufferSize) tenant.made.delete(tenant.made.values().next().value!);
    for (const { type, data } of events) this.#emit(tenant, type, data);
  }

  /** True when a change or directive event was already made for this audit seq. */
  madeFor(tenantId: string, seq: number): boolean {
    return this.#tenants.get(tenantId)?.made.has(seq) ?? false;
  }

  publish<T extends "receipt" | "instance">(tenantId: string, type: T, data: EventData<T>): void {
    this.#emit(this.#tenant(tenantId), type, data);
  }

  /** Subscribes to a tenant's events from now on; returns the unsubscribe. */
  subscribe(tenantId: string, listener: EventListener): () => void {
    const tenant = this.#tenant(tenantId);
    tenant.listeners.add(listener);
    return () => tenant.listeners.delete(listener);
  }

  hasSubscribers(tenantId: string): boolean {
    return (this.#tenants.get(tenantId)?.listeners.size ?? 0) > 0;
  }

  /**
   * Where the tenant's events stand: the newest audit seq known (raised to
   * `auditSeq`, the head a subscriber just read) and the count of events made.
   * Events replayed from the audit log carry this position: resuming from one
   * continues with what was made after it.
   */
  position(tenantId: string, auditSeq: number): EventPosition {
    const tenant = this.#tenant(tenantId);
    tenant.seq = Math.max(tenant.seq, auditSeq);
    return { seq: tenant.seq, n: tenant.n, epoch: this.epoch };
  }

  /** What a subscriber that saw `position` last has missed. */
  resume(tenantId: string, position: EventPosition): Resumption {
    const tenant = this.#tenants.get(tenantId);
    if (tenant && position.epoch === this.epoch && position.n <= tenant.n) {
      const oldest = tenant.buffer[0] === undefined ? tenant.n + 1 : counter(tenant.buffer[0].id);
      if (position.n >= oldest - 1) return { kind: "buffered", events: tenant.buffer.filter((event) => counter(event.id) > position.n) };
    }
    return { kind: "durable", afterSeq: position.seq };
  }

  /** Called once when this source closes (shutdown): streams end so that the server can stop. */
  onClose(closer: () => void): () => void {
    if (this.#closed) {
      closer();
      return () => {};
    }
    this.#closers.add(closer);
    return () => this.#closers.delete(closer);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const closer of this.#closers) {
      try {
        closer();
      } catch (error) {
        this.#onError(error);
      }
    }
    this.#closers.clear();
  }

  #emit(tenant: TenantEvents, type: OperatorEventType, data: OperatorEvent["data"]): void {
    const event = { id: eventId({ seq: Math.max(tenant.seq, 0), n: ++tenant.n, epoch: this.epoch }), type, data } as OperatorEvent;
    tenant.buffer.push(event);
    if (tenant.buffer.length > this.#bufferSize) tenant.buffer.shift();
    for (const listener of tenant.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  #tenant(tenantId: string): TenantEvents {
    let tenant = this.#tenants.get(tenantId);
    if (tenant) return tenant;
    if (this.#tenants.size >= this.#maxTenants) {
      for (const [id, known] of this.#tenants) {
        if (known.listeners.size === 0) {
          this.#tenants.delete(id);
          break;
        }
      }
    }
    this.#tenants.set(tenantId, (tenant = new TenantEvents()));
    return tenant;
  }
}

function counter(id: string): number {
  return parseEventId(id)?.n ?? 0;
}

/**
 * A change that reached this process's sockets without passing through its own
 * write path (another Node process on the same database committed it): its
 * `change` event, read back from the audit log. A change this process committed
 * already made its event and is skipped.
 */
export function relayChange(
  events: OperatorEvents,
  read: (tenantId: string, afterSeq: number, limit: number) => Promise<CommitRecord[]>,
  change: { tenantId: string; audit?: { seq: number } | undefined },
  onError: (error: unknown) => void,
): void {
  const seq = change.audit?.seq;
  if (seq === undefined || events.madeFor(change.tenantId, seq)) return;
  read(change.tenantId, seq - 1, 1).then(([commit]) => {
    if (commit?.audit.seq === seq) events.committed(commit);
  }, onError);
}

/**
 * The socket layer's connection reports (the hubs' telemetry) as `instance`
 * events: combine it into a host's telemetry.
 */
export function instanceEventTelemetry(events: OperatorEvents): Pick<Telemetry, "sdkConnected" | "sdkDisconnected"> {
  const publish = (event: "connect" | "disconnect", connection: ConnectionEvent): void => {
    if (connection.instance === undefined) return; // closed before its hello: no instance yet
    events.publish(connection.tenantId, "instance", {
      env: connection.env,
      event,
      instance: connection.instance,
      app: connection.app ?? "",
      sdk: connection.sdk ?? "",
      at: new Date().toISOString(),
    });
  };
  return { sdkConnected: (connection) => publish("connect", connection), sdkDisconnected: (connection) => publish("disconnect", connection) };
}
