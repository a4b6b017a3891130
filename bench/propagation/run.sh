#!/usr/bin/env bash
# The propagation benchmark and the bare-ws floor (WS_FLOOR_DIR, see ../lib/ws-floor.sh), back to back with the
# same arguments, then one table of ratios. Args (same for both): --ns 1000,10000 --flips 20 --warm 2
# --gap 500 --rate 2000 --idle 3000 --no-pin. About 3 minutes with the defaults. Loopback only;
# each part stops itself (9-minute deadline each) and kills what it started.
#   --paired: instead, both servers at once with their flips interleaved (paired.mjs), about 2 minutes.
#   --server real: the product is the real Node host (real-server.ts: startServer + nodeStreamHost on a
#     libsql file), flipped by the operator's kill/restore with a receipt per flip; default: hub.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../lib/ws-floor.sh
. "$here/../lib/ws-floor.sh"

# Interleave by N (product, then floor, for each N) so that each pair shares the machine's noise.
ns="1000,10000"
paired=0
args=()
product_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ns) ns="$2"; shift 2 ;;
    --paired) paired=1; shift ;;
    --server) product_args+=("$1" "$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ "$paired" = 1 ]; then
  # Both servers up at once, flips interleaved: the comparison that survives a busy machine.
  node "$here/paired.mjs" --floor "$floor" --ns "$ns" ${args[@]+"${args[@]}"} ${product_args[@]+"${product_args[@]}"}
  exit
fi
product_files=()
floor_files=()
for n in ${ns//,/ }; do
  echo "## product N=$n" >&2
  product_files+=("$(node "$here/run.mjs" --ns "$n" ${args[@]+"${args[@]}"} ${product_args[@]+"${product_args[@]}"} | tee /dev/stderr | tail -n 1)")
  echo "## floor N=$n" >&2
  bash "$floor/run.sh" --ns "$n" ${args[@]+"${args[@]}"} >&2
  # Kept beside the product's results: the floor's copy may be a temp dir.
  floor_json="$(ls -t "$floor"/results/run-*.json | head -n 1)"
  cp "$floor_json" "$root/bench/results/ws-floor-$(basename "$floor_json")"
  floor_files+=("$root/bench/results/ws-floor-$(basename "$floor_json")")
done
node "$here/compare.mjs" --product "${product_files[@]}" --floor "${floor_files[@]}"
