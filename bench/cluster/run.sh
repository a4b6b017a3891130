#!/usr/bin/env bash
# Cross-instance propagation on the Node host (run.mjs): two `npm start` processes on one database
# file, the flag flipped through A, N SDK connections on B (cross-node), then on A (same-node), then
# the bare-ws floor (../shared/bench/ws-floor) with the same N and flips, back to back.
# Args pass through to run.mjs: --n 1000 --flips 30 --warm 2 --gap 500 --jitter 100 --rate 2000
# --idle 3000 --order cross,same --no-pin --no-floor. About 2 minutes with the defaults. Loopback
# only; a 10-minute deadline; stops every process it started and removes its temp dirs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
floor_src="$root/../shared/bench/ws-floor"
[ -d "$floor_src" ] || { echo "no floor at $floor_src" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
echo "# nproc=$(nproc) ulimit -n=$(ulimit -n) node=$(node --version)" >&2

# Run a copy of the floor: shared/ is not ours to write (its run.sh writes results/ and node_modules/).
# The repository pins the floor's ws (8.23.0), so the copy uses the repository's node_modules.
floor="$(mktemp -d)"
trap 'rm -rf "$floor"' EXIT
cp -R "$floor_src"/. "$floor"/
chmod -R u+w "$floor"
rm -rf "$floor/results" "$floor/node_modules"
ln -s "$root/node_modules" "$floor/node_modules"

node "$here/run.mjs" --floor "$floor" "$@"
