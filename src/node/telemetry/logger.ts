/**
 * The Node host's log: pino, one JSON object per line on stdout, or pino-pretty's
 * coloured lines for a person at a terminal. What it says is in log-telemetry.ts
 * and docs/operations.md ("Logs").
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const satisfies readonly LevelWithSilent[];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "json" | "pretty";

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Default stdout. A benchmark passes a file (`pino.destination(path)`). */
  destination?: DestinationStream;
}

/**
 * Field names that would hold a credential: never written by this service, and
 * censored if a future line ever carried one (defence in depth, not the rule).
 * Top-level names only: wildcard paths double the cost of every line (measured
 * with pino 10: about 8 → 18 µs on the shared 2-core machine).
 */
const REDACTED = ["authorization", "secret", "adminKey", "sdkKey", "token"];

/** Asynchronous: pino-pretty is loaded only for a terminal, not by every server. */
export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const settings = {
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The level's name, which log pipelines and people read without a table.
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
    redact: { paths: REDACTED, censor: "[redacted]" },
  };
  if (options.format === "pretty") {
    const { default: pretty } = await import("pino-pretty");
    const colorize = options.destination === undefined && process.stdout.isTTY === true;
    return pino(settings, pretty({ colorize, translateTime: "SYS:HH:MM:ss.l", ignore: "pid", destination: options.destination ?? 1, sync: true }));
  }
  // Asynchronous writes keep the request path off the write(2) call; flushLogger writes what is left.
  return pino(settings, options.destination ?? pino.destination({ dest: 1, sync: false }));
}

/** Writes what is still buffered (at shutdown, before the process exits). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/**
 * `LOG_FORMAT`: `json` or `pretty`; unset, pretty when stdout is a terminal
 * (a person reads it) and JSON otherwise (a log pipeline does).
 */
export function parseLogFormat(value: string | undefined, isTty: boolean): LogFormat {
  const format = value?.trim().toLowerCase() || (isTty ? "pretty" : "json");
  if (format !== "json" && format !== "pretty") throw new Error(`LOG_FORMAT must be json or pretty, not "${value}".`);
  return format;
}

/** `LOG_LEVEL`: one of pino's levels; default info. */
export function parseLogLevel(value: string | undefined): LogLevel {
  const level = value?.trim().toLowerCase() || "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, not "${value}".`);
  }
  return level as LogLevel;
}
