/**
 * Reads at most the first `keep` bytes of a request body, and throws the rest
 * away as it comes. A caller that keeps `limit + 1` bytes learns whether the
 * body is over `limit` and can still forward a body that says so.
 *
 * The rest is read to its end rather than cancelled: answering while the
 * client's stream is half read makes workerd restart the Worker ("Your worker
 * restarted mid-request" for the next request, seen under wrangler 4.86.0
 * with a chunked body), which would cost every socket of the isolate.
 * Discarding is cheap, and the platform caps a request body (100 MB on most
 * plans), so the drain is bounded.
 */
export async function readBodyPrefix(request: Request, keep: number): Promise<ArrayBuffer> {
  if (request.body === null) return new ArrayBuffer(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size >= keep) continue;
    const kept = value.byteLength <= keep - size ? value : value.subarray(0, keep - size);
    chunks.push(kept);
    size += kept.byteLength;
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body.buffer;
}
