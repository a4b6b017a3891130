#!/usr/bin/env bash
# The propagation benchmark and the bare-ws floor (../shared/bench/ws-floor), back to back with the
# same arguments, then one table of ratios. Args (same for both): --ns 1000,10000 --flips 20 --warm 2
# --gap 500 --rate 2000 --idle 3000 --no-pin. About 3 minutes with the defaults. Loopback only;
# each part stops itself (9-minute deadline each) and kills what it started.
#   --paired: instead, both servers at once with their flips interleaved (paired.mjs), about 2 minutes.
#   --server real: the product is the real Node host (real-server.ts: startServer + nodeStreamHost on a
#     libsql file), flipped by the operator's kill/restore with a receipt per flip; default: hub.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
floor_src="$root/../shared/bench/ws-floor"
[ -d "$floor_src" ] || { echo "no floor at $floor_src" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
echo "# nproc=$(nproc) ulimit -n=$(ulimit -n) node=$(node --version)" >&2

# The floor's directory may be read-only (shared/ is): run a copy, with its own pinned ws.
floor="$floor_src"
if [ ! -w "$floor_src" ]; then
  floor="$(mktemp -d)"
  trap 'rm -rf "$floor"' EXIT
  cp -R "$floor_src"/. "$floor"/
  chmod -R u+w "$floor"
  rm -rf "$floor/results"
fi
if [ ! -d "$floor/node_modules/ws" ]; then
  (cd "$floor" && npm ci --no-audit --no-fund --silent) || {
    # Offline: the repository pins the same ws (8.23.0).
    echo "# npm ci failed for the floor; using the repository's node_modules" >&2
    ln -s "$root/node_modules" "$floor/node_modules"
  }
fi

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
