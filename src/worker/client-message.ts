import { PROTOCOL_VERSION } from "@killswitch/sdk/protocol.js";
import { z } from "zod";

/**
 * Client frames of protocol 1, parsed as the Node host parses them
 * (src/node/stream/client-messages.ts, which reads Buffers): same bounds, same
 * reasons. The bounds also keep a connection's attachment far below the
 * 2,048 bytes the platform allows.
 * TODO(core): one portable parser in src/core for both hubs.
 */
const helloSchema = z.object({
  t: z.literal("hello"),
  protocol: z.literal(PROTOCOL_VERSION, { error: `this server speaks protocol ${PROTOCOL_VERSION}` }),
  sdk: z.string().min(1).max(100),
  app: z.string().max(200),
  instance: z.string().min(1).max(128),
  since: z.number().int().min(0).optional(),
});

export type Hello = z.infer<typeof helloSchema>;

export type ClientFrame =
  | Hello
  | { t: "ack"; v: number }
  | { t: "resync" }
  | { t: "invalid"; reason: string };

/** Largest client frame accepted, as on Node. */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024;

/** Acks arrive from every SDK on every change, so they are checked by hand; the rare hello goes through zod. */
export function parseClientFrame(data: string): ClientFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return invalid("not JSON");
  }
  if (typeof msg !== "object" || msg === null) return invalid("not a JSON object");
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
