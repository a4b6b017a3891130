export * from "./model.js";
export * from "./protocol.js";
