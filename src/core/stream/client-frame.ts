import { PROTOCOL_VERSION } from "@killswitch/sdk/protocol.js";
import { z } from "zod";
import { jsonInputFaults } from "../json-input.js";

/**
 * Client frames of protocol 1, parsed the same way by both hosts' hubs. The
 * bounds also keep a Durable Object socket's attachment far below the 2,048
 * bytes the platform allows.
 */

/** Largest client frame accepted. */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024;

/** `hello`: the first frame of every connection. Unknown fields are ignored (newer SDKs). */
export const helloSchema = z.object({
  t: z.literal("hello"),
  protocol: z.literal(PROTOCOL_VERSION, { error: `this server speaks protocol ${PROTOCOL_VERSION}` }),
  sdk: z.string().min(1).max(100),
  app: z.string().max(200),
  instance: z.string().min(1).max(128),
  since: z.number().int().min(0).optional(),
  /** The epoch of the state the client holds: `since` resumes only within it. */
  epoch: z.string().max(64).optional(),
});

export type Hello = z.infer<typeof helloSchema>;

/** A client JSON frame, parsed; or the reason it breaks protocol 1. */
export type ClientFrame = Hello | { t: "ack"; v: number } | { t: "resync" } | { t: "invalid"; reason: string };

/**
 * Parse one JSON text frame. Acks arrive from every SDK on every change, so they
 * are checked by hand; the rare `hello` goes through its zod schema.
 */
export function parseClientFrame(text: string): ClientFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return invalid("not JSON");
  }
  if (typeof msg !== "object" || msg === null) return invalid("not a JSON object");
  // The same rules as every HTTP body: hello's strings reach the instance list and the database.
  const fault = jsonInputFaults(msg, { text })[0];
  if (fault !== undefined) return invalid(`${fault.path || "frame"}: ${fault.message}`);
  const t = (msg as { t?: unknown }).t;
  if (t === "ack") {
    const v = (msg as { v?: unknown }).v;
    return Number.isSafeInteger(v) && (v as number) >= 0 ? { t: "ack", v: v as number } : invalid("ack.v must be a version");
  }
  if (t === "resync") return { t: "resync" };
  if (t === "hello") {
    const parsed = helloSchema.safeParse(msg);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    return invalid(`hello.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return invalid(typeof t === "string" ? `unknown message type "${t.slice(0, 32)}"` : "missing message type");
}

function invalid(reason: string): ClientFrame {
  return { t: "invalid", reason };
}
