#!/usr/bin/env bash
# Runs Node 24 for the few tools that need Node >= 22 (e.g. @pulumi/pulumi >= 3.250, which the e2e
# programs use), without touching the system Node. Node's own binary is published on the npm
# registry as `node-linux-<arch>`, so it installs with plain npm, once, into .tools/node24
# (git-ignored), and every later call just execs it.
#
# Usage: scripts/node24.sh [node arguments…]      e.g. scripts/node24.sh --version
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.tools/node24"

case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node24.sh: no Node 24 package for $(uname -m)" >&2; exit 1 ;;
esac
pkg="node-linux-$arch"
node="$dir/node_modules/$pkg/bin/node"

if [ ! -x "$node" ]; then
  echo "node24.sh: installing $pkg@24 into .tools/node24 (once)…" >&2
  # Install into a private folder and move it into place, so two callers racing here never see
  # (or leave) a half-installed copy.
  mkdir -p "$root/.tools"
  tmp=$(mktemp -d "$root/.tools/node24.tmp.XXXXXX")
  chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "$pkg@24" >&2
  if [ ! -x "$tmp/node_modules/$pkg/bin/node" ]; then
    echo "node24.sh: $pkg installed, but $tmp/node_modules/$pkg/bin/node is missing" >&2
    exit 1
  fi
  # A leftover without a binary (an interrupted older install) would block the move.
  [ -x "$node" ] || rm -rf "$dir"
  if ! mv -T "$tmp" "$dir" 2>/dev/null && [ ! -x "$node" ]; then
    echo "node24.sh: could not move Node 24 into $dir" >&2
    exit 1
  fi
  trap - EXIT
  rm -rf "$tmp"
fi

exec "$node" "$@"
