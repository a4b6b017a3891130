// The benches' guard over the processes they start: on a deadline or on SIGINT / SIGTERM, every
// child still running is killed (a child marked `group`, started detached, with its whole process
// group) and the bench exits, so that no run leaves a server or load generator behind.
/**
 * @param o.minutes  the hard deadline (exit code 2)
 * @param o.cleanup  optional: also run by killAll (e.g. remove a temp dir)
 * @returns {started, killAll, disarm}: add each child to `started`; disarm() once the run is done
 */
export function guardChildren({ minutes, cleanup }) {
  const started = new Set();
  function killAll() {
    for (const c of started) {
      if (c.exitCode === null && c.signalCode === null) try { c.group ? process.kill(-c.pid, 'SIGKILL') : c.kill('SIGKILL'); } catch {}
    }
    cleanup?.();
  }
  const deadline = setTimeout(() => { console.error(`deadline (${minutes} min) reached`); killAll(); process.exit(2); }, minutes * 60e3);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });
  return { started, killAll, disarm: () => clearTimeout(deadline) };
}
