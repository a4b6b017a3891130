// Prints the product's propagation figures beside the bare-ws floor of the same run, as ratios.
//   node compare.mjs --product <results JSON>... --floor <results JSON>...
// The floor is quoted in its "preframed" mode (the product preframes too) and, for reference,
// "plain". The floor's server keeps acks pooled per mode, so it has no per-flip ack p99.
import { readFileSync } from 'node:fs';

const files = { product: [], floor: [] };
let into = null;
for (const a of process.argv.slice(2)) {
  if (a === '--product' || a === '--floor') into = files[a.slice(2)];
  else into?.push(a);
}
const load = (list) => ({ results: list.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')).results) });
const product = load(files.product);
const floor = load(files.floor);

const ratio = (a, b) => (a == null || b == null || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);
const cell = (p, f) => `${p ?? 'n/a'} / ${f ?? 'n/a'} = ${ratio(p, f)}`;
const rows = [
  '| N | floor mode | receive p99 (pooled) | receive p99 (per-flip median) | ack p99 (pooled) | ack p99 (per-flip median) | send loop p50 | server CPU ms (flip phase, per flip) | RSS B/conn idle | foreign CPU ms (product, floor) |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
for (const p of product.results) {
  const f = floor.results.find((r) => r.n === p.n);
  if (!f) continue;
  const perFlipCpu = (r, flips) => +(r.cpu.serverMs / flips).toFixed(1);
  for (const mode of ['preframed', 'plain']) {
    const m = f.modes[mode];
    const floorFlips = f.flipsPerMode * 2 + f.warmPerMode * 2; // the floor's server CPU covers both modes
    rows.push(`| ${p.n} | ${mode} | ${cell(p.product.receive.p99, m.receive.p99)} | ${cell(p.product.receiveP99PerFlip.p50, m.receiveP99PerFlip.p50)} | ${cell(p.product.ack.p99, m.ack.p99)} | ${p.product.ackP99PerFlip.p50} / n/a | ${cell(p.product.serverSendLoop.p50, m.serverSendLoop.p50)} | ${cell(perFlipCpu(p, p.flips + p.warm), perFlipCpu(f, floorFlips))} | ${cell(p.memory.bytesPerConn.rss, f.memory.bytesPerConn.rss)} | ${p.cpu.foreignMs ?? '?'}, ${f.cpu.foreignMs ?? '?'} |`);
  }
}
console.log('Cells: product / floor = ratio (lower is better). Latencies in ms.');
console.log(rows.join('\n'));
for (const p of product.results) {
  const s = p.product;
  console.log(`product N=${p.n}: receive ${s.receive.p50}/${s.receive.p99}/${s.receive.max}, ack ${s.ack.p50}/${s.ack.p99}/${s.ack.max} (p50/p99/max ms), missing recv/ack ${s.receiveMissing}/${s.ackMissing}, incomplete receipts ${s.incompleteReceipts}`);
  const x = p.real; // --server real: the operator's path and the receipts
  if (x) console.log(`  real N=${p.n}: patch ${p.patchBytes} B; kill request -> publish p50/max ${x.commitLagMs.p50}/${x.commitLagMs.max} ms (libsql commit ${x.commitMs.p50}/${x.commitMs.max}); receipt latencyMs pooled p50/p99/max ${x.receiptPooled.p50}/${x.receiptPooled.p99}/${x.receiptPooled.max}, per-flip p99 median/max ${x.receiptP99PerFlip.p50}/${x.receiptP99PerFlip.max}; load ${p.loadavgAtFlips}`);
}
