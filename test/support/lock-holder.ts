/**
 * Another process holding a database file's write lock (`BEGIN IMMEDIATE` with
 * a change in progress), as an operator's sqlite3 shell or a second service
 * would, until told to commit.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const CHILD = `
const { createClient } = await import("@libsql/client");
const client = createClient({ url: "file:" + process.argv[1], timeout: 10000 });
const tx = await client.transaction("write");
await tx.execute("UPDATE tenants SET name = name");
console.log("locked");
process.stdin.once("data", async () => {
  await tx.commit();
  client.close();
  console.log("released");
  process.exit(0);
});
`;

export interface LockHolder {
  /** Commits and exits; resolves once the lock is free. */
  release(): Promise<void>;
}

export function holdWriteLock(file: string): Promise<LockHolder> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, file], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // A test that fails half-way must not leave the lock held.
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (!output.includes("locked")) return;
      child.stdout.off("data", onData);
      resolve({
        async release() {
          child.stdin.end("release\n");
          await exited;
          process.off("exit", kill);
          if (!output.includes("released")) throw new Error(`the lock holder failed:\n${output}`);
        },
      });
    };
    child.stdout.on("data", onData);
    void exited.then(() => reject(new Error(`the lock holder exited before locking:\n${output}`)));
  });
}
