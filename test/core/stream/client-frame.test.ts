import { describe, expect, it } from "vitest";
import { parseClientFrame } from "../../../src/core/stream/client-frame.js";

const hello = { t: "hello", protocol: 1, sdk: "node/1.0", app: "checkout", instance: "i-1" };

describe("parseClientFrame", () => {
  it("reads hello, ack and resync", () => {
    expect(parseClientFrame(JSON.stringify(hello))).toEqual(hello);
    expect(parseClientFrame('{"t":"ack","v":3}')).toEqual({ t: "ack", v: 3 });
    expect(parseClientFrame('{"t":"resync"}')).toEqual({ t: "resync" });
  });

  it.each([
    ["U+0000 in hello's instance", '{"t":"hello","protocol":1,"sdk":"s","app":"a","instance":"i\\u0000x"}', "instance: contains U+0000"],
    ["a lone surrogate in hello's app", '{"t":"hello","protocol":1,"sdk":"s","app":"\\ud800","instance":"i"}', "app: contains an unpaired"],
    ["a __proto__ key in hello", '{"t":"hello","protocol":1,"sdk":"s","app":"a","instance":"i","__proto__":{"since":0}}', '__proto__: "__proto__" is not allowed'],
    ["a nested constructor key in an ack", '{"t":"ack","v":1,"x":{"constructor":{"prototype":1}}}', "x.constructor"],
    ["a resync nested 10,000 deep", `{"t":"resync","x":${"[".repeat(10_000)}${"]".repeat(10_000)}}`, "nests deeper than 32 levels"],
    ["a lone surrogate in the type", '{"t":"\\udc00"}', "t: contains an unpaired"],
  ])("refuses %s, saying where", (_name, text, reason) => {
    const frame = parseClientFrame(text);
    expect(frame.t).toBe("invalid");
    expect((frame as { reason: string }).reason).toContain(reason);
  });
});
