/**
 * The question before a write on a terminal: nothing is sent unless the answer is
 * yes. Off a terminal nobody can answer, so nothing is asked (clig.dev: prompt only
 * when stdin is interactive); --yes skips it.
 */
import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";

export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Reads a secret on a terminal without echoing it. */
export async function askSecret(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, encoding, callback) {
      if (!muted) process.stderr.write(chunk, encoding);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const pending = rl.question(question);
    muted = true;
    const answer = await pending;
    process.stderr.write("\n");
    return answer.trim();
  } finally {
    rl.close();
  }
}

/** Everything on stdin (a key piped in), trimmed. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}
