export { createStreamHub, type StreamHub, type StreamHubOptions, type StreamHubStats } from "./stream-hub.js";
export { type StreamAuthenticator, type StreamPrincipal, type StreamRejection } from "./stream-auth.js";
export { nodeStreamHost, sdkKeyAuthenticator, type NodeStreamOptions } from "./node-stream-host.js";
