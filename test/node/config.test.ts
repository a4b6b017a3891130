import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/node/config.js";

describe("readConfig", () => {
  it("defaults to 127.0.0.1:8787 and an embedded file database", () => {
    expect(readConfig({}, false)).toEqual({
      host: "127.0.0.1",
      port: 8787,
      databaseUrl: "file:data/killswitch.db",
      rootToken: undefined,
      maxStreamsPerKey: 20_000,
      metricsToken: undefined,
      logLevel: "info",
      logFormat: "json",
      webhookAllowPrivate: false,
      webhookRetryBaseMs: undefined,
    });
  });

  it("reads HOST, PORT, DATABASE_URL and KILLSWITCH_ROOT_TOKEN", () => {
    expect(
      readConfig({ HOST: "0.0.0.0", PORT: "0", DATABASE_URL: "libsql://db.example:8080", KILLSWITCH_ROOT_TOKEN: "s3cret" }),
    ).toMatchObject({ host: "0.0.0.0", port: 0, databaseUrl: "libsql://db.example:8080", rootToken: "s3cret", maxStreamsPerKey: 20_000 });
  });

  it("reads KILLSWITCH_MAX_STREAMS_PER_KEY and refuses a value that is not a whole number", () => {
    expect(readConfig({ KILLSWITCH_MAX_STREAMS_PER_KEY: "50" }).maxStreamsPerKey).toBe(50);
    expect(() => readConfig({ KILLSWITCH_MAX_STREAMS_PER_KEY: "lots" })).toThrow(/KILLSWITCH_MAX_STREAMS_PER_KEY/);
  });

  it("reads KILLSWITCH_METRICS_TOKEN, LOG_LEVEL and LOG_FORMAT", () => {
    expect(readConfig({ KILLSWITCH_METRICS_TOKEN: "scrape-me", LOG_LEVEL: "DEBUG", LOG_FORMAT: "pretty" }, false)).toMatchObject({
      metricsToken: "scrape-me",
      logLevel: "debug",
      logFormat: "pretty",
    });
    expect(readConfig({ KILLSWITCH_METRICS_TOKEN: "" }).metricsToken).toBeUndefined();
  });

  it("logs for a person at a terminal and for a pipeline otherwise, unless LOG_FORMAT says", () => {
    expect(readConfig({}, true).logFormat).toBe("pretty");
    expect(readConfig({}, false).logFormat).toBe("json");
    expect(readConfig({ LOG_FORMAT: "json" }, true).logFormat).toBe("json");
  });

  it.each([
    [{ LOG_LEVEL: "verbose" }, /LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent/],
    [{ LOG_FORMAT: "xml" }, /LOG_FORMAT must be json or pretty/],
    [{ KILLSWITCH_METRICS_TOKEN: "two words" }, /KILLSWITCH_METRICS_TOKEN must not contain spaces/],
  ])("refuses %o with a message that says what to fix", (env, message) => {
    expect(() => readConfig(env)).toThrow(message);
  });

  it.each(["http", "-1", "65536", "80.5"])("refuses PORT=%s", (port) => {
    expect(() => readConfig({ PORT: port })).toThrow(/PORT/);
  });
});
