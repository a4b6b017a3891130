# Sourced by the benches' run.sh that compare with the bare-ws floor: a separate harness (a bare
# `ws` server and its clients, no product code), found at WS_FLOOR_DIR. Raises the fd limit, prints the machine line, and sets $floor to a temp
# copy of the floor, removed on exit: the floor's folder is not ours to write (the floor's run.sh writes
# results/ and node_modules/). The repository pins the floor's ws (8.23.0), so the copy uses the
# repository's node_modules. Needs $root, the repository's root.
floor_src="${WS_FLOOR_DIR:-$root/../shared/bench/ws-floor}"
[ -d "$floor_src" ] || { echo "no bare-ws floor at $floor_src: set WS_FLOOR_DIR to its folder" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
echo "# nproc=$(nproc) ulimit -n=$(ulimit -n) node=$(node --version)" >&2

floor="$(mktemp -d)"
trap 'rm -rf "$floor"' EXIT
cp -R "$floor_src"/. "$floor"/
chmod -R u+w "$floor"
rm -rf "$floor/results" "$floor/node_modules"
ln -s "$root/node_modules" "$floor/node_modules"
