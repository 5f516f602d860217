#!/usr/bin/env bash
# Runs a given major version of Node without touching the system Node: Node 24 for the few tools
# that need Node >= 22 (scripts/node24.sh), and Node 22 and 24 for the suite that starts Fulmar on
# each Node it supports (test/e2e/node-versions.test.ts). Node's own binary is published on the
# npm registry as `node-linux-<arch>`, so it installs with plain npm, once, into
# .tools/node<major> (git-ignored), and every later call just execs it.
#
# Usage: scripts/node-major.sh MAJOR [node arguments…]      e.g. scripts/node-major.sh 22 --version
set -euo pipefail

major=${1:-}
case "$major" in
  '' | *[!0-9]*) echo "node-major.sh: the first argument must be a major version of Node, e.g. 22" >&2; exit 2 ;;
esac
shift

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.tools/node$major"

case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node-major.sh: no Node $major package for $(uname -m)" >&2; exit 1 ;;
esac
pkg="node-linux-$arch"
node="$dir/node_modules/$pkg/bin/node"

if [ ! -x "$node" ]; then
  echo "node-major.sh: installing $pkg@$major into .tools/node$major (once)…" >&2
  # Install into a private folder and move it into place, so two callers racing here never see
  # (or leave) a half-installed copy.
  mkdir -p "$root/.tools"
  tmp=$(mktemp -d "$root/.tools/node$major.tmp.XXXXXX")
  chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "$pkg@$major" >&2
  if [ ! -x "$tmp/node_modules/$pkg/bin/node" ]; then
    echo "node-major.sh: $pkg@$major installed, but $tmp/node_modules/$pkg/bin/node is missing" >&2
    exit 1
  fi
  # A leftover without a binary (an interrupted older install) would block the move.
  [ -x "$node" ] || rm -rf "$dir"
  if ! mv -T "$tmp" "$dir" 2>/dev/null && [ ! -x "$node" ]; then
    echo "node-major.sh: could not move Node $major into $dir" >&2
    exit 1
  fi
  trap - EXIT
  rm -rf "$tmp"
fi

exec "$node" "$@"
