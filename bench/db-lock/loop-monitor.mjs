// Preloaded into the server under test (node --import): its own event-loop delay and CPU time,
// sent over IPC when the bench asks ("stats"), then reset.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
let cpu = process.cpuUsage();
process.on('message', (message) => {
  if (message !== 'stats') return;
  const used = process.cpuUsage(cpu);
  const ms = (ns) => +(ns / 1e6).toFixed(1);
  process.send({ p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), cpuMs: Math.round((used.user + used.system) / 1000) });
  delay.reset();
  cpu = process.cpuUsage();
});
