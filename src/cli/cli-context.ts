/**
 * What every command starts from: the global flags, the terminal, and (on first
 * use) the connection and an API client.
 */
import type { Command } from "commander";
import type { ApiClient } from "./api-client.js";
import { clientFor, resolveConnection, type Connection } from "./connection.js";
import { Terminal } from "./terminal.js";

interface GlobalFlags {
  url?: string;
  key?: string;
  profile?: string;
  json?: boolean;
  color: boolean;
  env?: string;
}

export class CliContext {
  readonly term: Terminal;
  readonly flags: GlobalFlags;
  #connection: Connection | undefined;
  #client: ApiClient | undefined;

  constructor(command: Command) {
    this.flags = command.optsWithGlobals<GlobalFlags>();
    this.term = new Terminal({ json: this.flags.json === true, color: this.flags.color !== false });
  }

  get connection(): Connection {
    this.#connection ??= resolveConnection(this.flags);
    return this.#connection;
  }

  /** The environment: --env, the profile's, KILLSWITCH_ENV, or production. */
  get env(): string {
    return this.connection.env;
  }

  get client(): ApiClient {
    this.#client ??= clientFor(this.connection);
    return this.#client;
  }
}
