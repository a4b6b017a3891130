import { describe, expect, it } from "vitest";
import { SerialQueue } from "../../../src/core/store/serial-queue.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("SerialQueue", () => {
  it("runs one task at a time per key, in arrival order, and keys apart in parallel", async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([queue.run("a", task("a1")), queue.run("a", task("a2")), queue.run("b", task("b1"))]);
    expect(results).toEqual(["a1", "a2", "b1"]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    expect(queue.size).toBe(0);
  });

  it("goes on after a failing task", async () => {
    const queue = new SerialQueue();
    const failed = queue.run("a", async () => {
      throw new Error("boom");
    });
    const next = queue.run("a", async () => "ok");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ok");
    expect(queue.size).toBe(0);
  });
});
