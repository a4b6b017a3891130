export * from "./model.js";
export * from "./protocol.js";
export * from "./ruleset.js";
export * from "./client.js";
export { webStorage, type SnapshotStorage } from "./client/storage.js";
export type { WebSocketConstructor } from "./client/transport.js";
