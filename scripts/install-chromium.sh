#!/usr/bin/env bash
# Installs the browser the console's browser tests drive (test/console/): Debian's Chromium, from
# Debian's own package registry and nowhere else (Playwright's browser downloads are not used:
# playwright-core only drives the browser it is given).
#
#   1. FULMAR_CHROMIUM, or /usr/bin/chromium, already there: nothing to do.
#   2. As root with apt-get: `apt-get install chromium` (CI runs as root).
#   3. Otherwise: `apt-get download` of chromium and chromium-common, unpacked with dpkg-deb -x
#      into the per-machine tools cache, ${FULMAR_TOOLS_CACHE:-$HOME/.cache/fulmar-tools}/chromium;
#      its shared libraries must then already be on the machine (they are where any desktop is).
#
# Prints the browser's path on its last line. test/helpers/chromium.ts looks in the same places.
set -euo pipefail

if [ -n "${FULMAR_CHROMIUM:-}" ] && [ -x "$FULMAR_CHROMIUM" ]; then echo "$FULMAR_CHROMIUM"; exit 0; fi
if [ -x /usr/bin/chromium ]; then /usr/bin/chromium --version 2>/dev/null || true; echo /usr/bin/chromium; exit 0; fi

export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium with apt-get…" >&2
  # The package lists may be missing or stale on a fresh machine; one update, then the install.
  apt-get update -qq >&2 || echo "note: apt-get update failed (continuing with the lists there are)" >&2
  if apt-get install -y -qq --no-install-recommends chromium >&2; then
    /usr/bin/chromium --version || true
    echo /usr/bin/chromium
    exit 0
  fi
  echo "apt-get install chromium failed; trying apt-get download + dpkg-deb -x" >&2
fi

cache=${FULMAR_TOOLS_CACHE:-${HOME:-/nonexistent}/.cache/fulmar-tools}
[ "$cache" != off ] || { echo "no chromium, and FULMAR_TOOLS_CACHE=off leaves nowhere to unpack one" >&2; exit 1; }
dest="$cache/chromium"
if [ -x "$dest/usr/lib/chromium/chromium" ]; then echo "$dest/usr/lib/chromium/chromium"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download chromium chromium-common >&2)
mkdir -p "$dest.tmp.$$"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$dest.tmp.$$"; done
rm -rf "$dest" && mv "$dest.tmp.$$" "$dest"
"$dest/usr/lib/chromium/chromium" --version >&2 || echo "note: the unpacked chromium does not start (missing shared libraries?)" >&2
echo "$dest/usr/lib/chromium/chromium"
