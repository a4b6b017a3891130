#!/usr/bin/env bash
# Cross-instance propagation on the Node host (run.mjs): two `npm start` processes on one database
# file, the flag flipped through A, N SDK connections on B (cross-node), then on A (same-node), then
# the bare-ws floor (WS_FLOOR_DIR, see ../lib/ws-floor.sh) with the same N and flips, back to back.
# Args pass through to run.mjs: --n 1000 --flips 30 --warm 2 --gap 500 --jitter 100 --rate 2000
# --idle 3000 --order cross,same --no-pin --no-floor. About 2 minutes with the defaults. Loopback
# only; a 10-minute deadline; stops every process it started and removes its temp dirs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../lib/ws-floor.sh
. "$here/../lib/ws-floor.sh"

node "$here/run.mjs" --floor "$floor" "$@"
