import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/node/config.js";

describe("readConfig", () => {
  it("defaults to 127.0.0.1:8787 and an embedded file database", () => {
    expect(readConfig({})).toEqual({
      host: "127.0.0.1",
      port: 8787,
      databaseUrl: "file:data/killswitch.db",
      rootToken: undefined,
      maxStreamsPerKey: 20_000,
    });
  });

  it("reads HOST, PORT, DATABASE_URL and KILLSWITCH_ROOT_TOKEN", () => {
    expect(
      readConfig({ HOST: "0.0.0.0", PORT: "0", DATABASE_URL: "libsql://db.example:8080", KILLSWITCH_ROOT_TOKEN: "s3cret" }),
    ).toEqual({ host: "0.0.0.0", port: 0, databaseUrl: "libsql://db.example:8080", rootToken: "s3cret", maxStreamsPerKey: 20_000 });
  });

  it("reads KILLSWITCH_MAX_STREAMS_PER_KEY and refuses a value that is not a whole number", () => {
    expect(readConfig({ KILLSWITCH_MAX_STREAMS_PER_KEY: "50" }).maxStreamsPerKey).toBe(50);
    expect(() => readConfig({ KILLSWITCH_MAX_STREAMS_PER_KEY: "lots" })).toThrow(/KILLSWITCH_MAX_STREAMS_PER_KEY/);
  });

  it.each(["http", "-1", "65536", "80.5"])("refuses PORT=%s", (port) => {
    expect(() => readConfig({ PORT: port })).toThrow(/PORT/);
  });
});
