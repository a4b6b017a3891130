export * from "./model.js";
// Protocol constants (PING, CLOSE, …) are the service's concern: `@killswitch/sdk/protocol`.
export type * from "./protocol.js";
export * from "./ruleset.js";
export * from "./client.js";
export { webStorage, type SnapshotStorage, type WebStorageLike } from "./client/storage.js";
export type { WebSocketConstructor } from "./client/transport.js";
