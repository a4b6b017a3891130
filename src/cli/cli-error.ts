/**
 * The one error the commands throw: a message for a person, the exit code, and
 * what --json prints in its place.
 */
import type { ExitCode } from "./exit-codes.js";

export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    /** Printed on stdout instead of the message's JSON form with --json (a receipt, a problem). */
    readonly json?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CliError";
  }
}
