import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import * as ws from "ws";
import { prepareFrame, prepareText, writeFrame, type RawAccess } from "../../../src/node/stream/frames.js";

// ws's own framer, absent from its public types: the reference our framing must equal.
const Sender = (ws as unknown as { Sender: { frame(data: Buffer, o: object): Buffer[] } }).Sender;

function fakeSocket(over: Partial<{ writableLength: number; bufferedAmount: number; readyState: number }> = {}) {
  const calls: string[] = [];
  const raw = { writableLength: over.writableLength ?? 0, write: () => calls.push("raw") } as unknown as Socket;
  const sock: RawAccess = {
    readyState: over.readyState ?? ws.WebSocket.OPEN,
    bufferedAmount: over.bufferedAmount ?? raw.writableLength,
    _socket: raw,
    send: () => calls.push("send"),
    ping: () => calls.push("ping"),
    terminate: () => calls.push("terminate"),
  };
  return { sock, calls };
}

describe("prepared frames", () => {
  it.each([0, 125, 126, 65_535, 65_536, 200_000])("frames a %i-byte text message exactly as ws does", (n) => {
    const payload = Buffer.alloc(n, 0x61);
    const ours = prepareFrame(payload).bytes;
    const theirs = Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
    expect(ours.equals(theirs)).toBe(true);
  });

  it("writes the prepared bytes straight to the socket when ws has nothing queued", () => {
    const { sock, calls } = fakeSocket();
    expect(writeFrame(sock, prepareText("hi"), 1024)).toBe(true);
    expect(calls).toEqual(["raw"]);
  });

  it("goes through ws when its sender holds queued bytes, so order is kept", () => {
    const { sock, calls } = fakeSocket({ writableLength: 10, bufferedAmount: 30 });
    writeFrame(sock, prepareText("hi"), 1024);
    writeFrame(sock, prepareFrame(Buffer.alloc(0), 9), 1024);
    expect(calls).toEqual(["send", "ping"]);
  });

  it("terminates a socket over the buffer limit and writes nothing", () => {
    const { sock, calls } = fakeSocket({ writableLength: 2048 });
    expect(writeFrame(sock, prepareText("hi"), 1024)).toBe(false);
    expect(calls).toEqual(["terminate"]);
  });

  it("writes nothing to a socket that is not open", () => {
    const { sock, calls } = fakeSocket({ readyState: ws.WebSocket.CLOSING });
    expect(writeFrame(sock, prepareText("hi"), 1024)).toBe(false);
    expect(calls).toEqual([]);
  });
});
