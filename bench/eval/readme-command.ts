/** The command line that produced a report, without machine paths. */
export function readmeCommand(script: string): string {
  const viaTsx = process.execArgv.some((arg) => arg.includes("tsx"));
  const gc = (globalThis as { gc?: unknown }).gc !== undefined ? " --expose-gc" : "";
  const args = process.argv.slice(2);
  return [`${viaTsx ? "npx tsx" : "node"}${gc}`, script, ...args].join(" ");
}
