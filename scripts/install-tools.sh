#!/usr/bin/env bash
# Builds the real peers Fulmar's tests drive — the MinIO server and the pulumi CLI (the pinned one and
# two older releases for the compatibility suite) — and helm (which lints and renders the chart in
# deploy/helm/fulmar) from the Go module proxy, once, into .tools/bin (git-ignored), and installs
# the API fuzzer, schemathesis, from PyPI into .tools/schemathesis.
# Re-running is cheap: a tool whose pinned version matches the stamp beside it is reused.
#
# .tools/ does not survive a fresh clone (CI clones anew each run), so every build is also copied to
# a per-machine cache, ${FULMAR_TOOLS_CACHE:-$HOME/.cache/fulmar-tools}, and taken from there when its
# stamp matches the pin (for schemathesis, the cache keeps the wheels pip downloaded). Set
# FULMAR_TOOLS_CACHE=off to skip that cache.
#
# Usage: scripts/install-tools.sh [minio|pulumi|pulumi-old|helm|schemathesis|all]   (default: all)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
mkdir -p "$bin"

# MinIO: the newest revision on the proxy (2026-02-12). Conditional PUTs (If-None-Match: * and
# If-Match: <etag>) are enforced by MinIO since late 2024; older revisions accept the headers and
# silently overwrite, which Fulmar's startup probe refuses. This pin passes that probe (see README).
MINIO_VERSION=${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}
# pulumi CLI: one pinned v3 release; pkg/v3 and sdk/v3 must be the same version.
PULUMI_VERSION=${PULUMI_VERSION:-v3.259.0}
# Older CLIs, about six months and a year before the pin, that test/e2e/cli-versions.test.ts drives
# through the core commands; each becomes .tools/bin/pulumi-<version>. v3.224.0 is the last release
# before journaling became the default (v3.225.0) and v3.191.0 predates journaling altogether.
PULUMI_OLD_VERSIONS=${PULUMI_OLD_VERSIONS:-v3.224.0 v3.191.0}
# helm: the newest v3 release on the proxy; test/deploy/helm-chart.test.ts runs `helm lint` and
# `helm template` on deploy/helm/fulmar with it.
HELM_VERSION=${HELM_VERSION:-v3.22.0}

export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export CGO_ENABLED=0

cache=${FULMAR_TOOLS_CACHE:-${HOME:-/nonexistent}/.cache/fulmar-tools}
if [ "$cache" != off ]; then
  # The module cache made writable (-modcacherw) so that `rm -rf` of the tools cache just works.
  export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS="$GOFLAGS -modcacherw"
fi

stamped() { # stamped DIR NAME VERSION → true when DIR/NAME was built from VERSION
  [ -x "$1/$2" ] && [ "$(cat "$1/$2.version" 2>/dev/null)" = "$3" ]
}

install_copy() { # install_copy FROM_DIR TO_DIR NAME: copy a binary and its stamp, atomically
  mkdir -p "$2" || return 1
  # Into a temp name, then rename: a reader never sees half a binary, and a running one keeps its
  # inode. The stamp goes last, so a stamp always describes a complete binary.
  cp "$1/$3" "$2/.$3.tmp.$$" && mv -f "$2/.$3.tmp.$$" "$2/$3" &&
    cp "$1/$3.version" "$2/.$3.version.tmp.$$" && mv -f "$2/.$3.version.tmp.$$" "$2/$3.version" ||
    { rm -f "$2/.$3.tmp.$$" "$2/.$3.version.tmp.$$"; return 1; }
}

fresh() { # fresh NAME VERSION → true when .tools/bin/NAME was built from VERSION (or the cache has it)
  if stamped "$bin" "$1" "$2"; then
    # Seed the cache from a build made before it existed, so the next fresh clone finds it.
    [ "$cache" = off ] || stamped "$cache" "$1" "$2" || remember "$1"
    return 0
  fi
  [ "$cache" != off ] && stamped "$cache" "$1" "$2" || return 1
  echo "$1 $2: copying from $cache"
  install_copy "$cache" "$bin" "$1"
}

remember() { # remember NAME: keep a fresh build in the per-machine cache (best effort)
  [ "$cache" != off ] || return 0
  install_copy "$bin" "$cache" "$1" || echo "note: could not copy $1 into $cache (continuing)" >&2
}

build_minio() {
  if fresh minio "$MINIO_VERSION"; then echo "minio $MINIO_VERSION: cached"; return; fi
  echo "building minio $MINIO_VERSION (takes a few minutes the first time)…"
  GOBIN="$bin" go install "github.com/minio/minio@$MINIO_VERSION"
  echo "$MINIO_VERSION" >"$bin/minio.version"
  remember minio
}

build_pulumi() { # build_pulumi VERSION NAME: the CLI at VERSION as .tools/bin/NAME
  local version=$1 name=$2
  if fresh "$name" "$version"; then echo "$name $version: cached"; return; fi
  echo "building $name $version (takes several minutes the first time)…"
  local started=$SECONDS mod="$root/.tools/go-build/pulumi-$version"
  mkdir -p "$mod"
  (
    cd "$mod"
    # The CLI's own pkg/go.mod carries replace lines that a dependent module does not inherit; the
    # ones that do not point into pulumi's own tree (../sdk) are copied into ours (a fork of
    # atotto/clipboard; in older releases also a pinned sergi/go-diff).
    local pkgmod
    pkgmod=$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$version" | sed -nE 's/^[[:space:]]*"GoMod": "(.*)",?$/\1/p')
    [ -f "$pkgmod" ] || { echo "install-tools: no go.mod for pulumi pkg/v3 $version" >&2; exit 1; }
    {
      cat <<MOD
module fulmar.local/pulumi-build

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 $version
	github.com/pulumi/pulumi/sdk/v3 $version
)

MOD
      replaces "$pkgmod"
    } >go.mod
    cat >tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
    go mod tidy -e >/dev/null 2>&1 || true
    go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$version"
    # The version is stamped the way pulumi's own release build does, so `pulumi version` tells it
    # (the automation API reads it, and refuses inline refresh/destroy below v3.181.0:
    # sdk/nodejs/automation/stack.ts, checkInlineSupport).
    go build -o "$bin/$name" \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  echo "$version" >"$bin/$name.version"
  echo "$name $version: built in $((SECONDS - started)) s"
  remember "$name"
}

replaces() { # replaces GO_MOD: its replace directives, except those into the module's own tree
  awk '
    /^replace[[:space:]]*\($/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    { line = $0; sub(/^replace[[:space:]]+/, "", line) }
    (block || /^replace[[:space:]]/) && line ~ /=>/ && line !~ /=>[[:space:]]*\.\.?\// {
      gsub(/^[[:space:]]+/, "", line); print "replace " line
    }
  ' "$1"
}

build_helm() {
  if fresh helm "$HELM_VERSION"; then echo "helm $HELM_VERSION: cached"; return; fi
  echo "building helm $HELM_VERSION (takes a few minutes the first time)…"
  local started=$SECONDS gomod kube
  # helm's go.mod has no replace directives, so `go install pkg@version` builds it as released.
  # The ldflags are those of helm's own Makefile for a tagged build: the version (else `helm
  # version` says "v3.22"), and the Kubernetes version that `helm template` and `helm lint` assume
  # with no cluster, taken from the client-go it is built with (v0.N → 1.N; else they assume 1.20
  # and lint would not flag APIs removed since).
  gomod=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -nE 's/^[[:space:]]*"GoMod": "(.*)",?$/\1/p')
  kube=$(sed -nE 's/^[[:space:]]*k8s\.io\/client-go v0\.([0-9]+)\..*/\1/p' "$gomod")
  [ -n "$kube" ] || { echo "install-tools: no k8s.io/client-go in helm $HELM_VERSION's go.mod" >&2; return 1; }
  local v=helm.sh/helm/v3
  GOBIN="$bin" go install -ldflags "-s -w -X $v/internal/version.version=$HELM_VERSION -X $v/internal/version.metadata=
    -X $v/pkg/chartutil.k8sVersionMajor=1 -X $v/pkg/chartutil.k8sVersionMinor=$kube
    -X $v/pkg/lint/rules.k8sVersionMajor=1 -X $v/pkg/lint/rules.k8sVersionMinor=$kube" \
    "$v/cmd/helm@$HELM_VERSION"
  echo "$HELM_VERSION" >"$bin/helm.version"
  echo "helm $HELM_VERSION (Kubernetes 1.$kube): built in $((SECONDS - started)) s"
  remember helm
}

build_pulumi_old() {
  local v
  for v in $PULUMI_OLD_VERSIONS; do build_pulumi "$v" "pulumi-$v"; done
}

# schemathesis: every package pinned in scripts/schemathesis-requirements.txt (schemathesis itself
# and what it needs), installed with pip --target into .tools/schemathesis and run by
# .tools/bin/schemathesis as `python3 -m schemathesis.cli`. Its wheels are built for one Python, so
# the stamp names the Python version and the requirements' hash as well as the pin.
install_schemathesis() {
  local req="$root/scripts/schemathesis-requirements.txt" dir="$root/.tools/schemathesis"
  local python version stamp
  python=$(command -v python3) || { echo "schemathesis needs python3 (3.10 or newer) on PATH" >&2; return 1; }
  version=$(sed -n 's/^schemathesis==//p' "$req")
  stamp="$version $("$python" -c 'import sys; print("py%d.%d" % sys.version_info[:2])') $(sha256sum "$req" | cut -c1-16)"
  if [ -x "$bin/schemathesis" ] && [ "$(cat "$dir/.version" 2>/dev/null)" = "$stamp" ]; then
    echo "schemathesis $version: cached"
    return
  fi
  local wheels
  if [ "$cache" = off ]; then
    wheels="$root/.tools/schemathesis-wheels"
  else
    wheels="$cache/schemathesis-wheels/$(tr ' ' '-' <<<"$stamp")"
  fi
  if [ ! -f "$wheels/.complete" ]; then
    echo "downloading schemathesis $version and its dependencies from PyPI…"
    rm -rf "$wheels" && mkdir -p "$wheels"
    PIP_ROOT_USER_ACTION=ignore "$python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: --no-deps -r "$req" -d "$wheels"
    touch "$wheels/.complete"
  else
    echo "schemathesis $version: installing from the wheels in $wheels"
  fi
  # Into a fresh folder, then swapped in, so a failed install leaves no half-installed tool.
  rm -rf "$dir.tmp.$$"
  PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location --no-index --no-deps \
    --find-links "$wheels" --target "$dir.tmp.$$" -r "$req"
  echo "$stamp" >"$dir.tmp.$$/.version"
  rm -rf "$dir" && mv "$dir.tmp.$$" "$dir"
  cat >"$bin/schemathesis" <<'SH'
#!/bin/sh
# Written by scripts/install-tools.sh: the pinned schemathesis in .tools/schemathesis.
dir=$(cd "$(dirname "$0")/../schemathesis" && pwd)
PYTHONNOUSERSITE=1 PYTHONPATH="$dir" exec python3 -m schemathesis.cli "$@"
SH
  chmod +x "$bin/schemathesis"
  "$bin/schemathesis" --version
}

case "${1:-all}" in
  minio) build_minio ;;
  pulumi) build_pulumi "$PULUMI_VERSION" pulumi ;;
  pulumi-old) build_pulumi_old ;;
  helm) build_helm ;;
  schemathesis) install_schemathesis ;;
  all) build_minio; build_pulumi "$PULUMI_VERSION" pulumi; build_pulumi_old; build_helm; install_schemathesis ;;
  *) echo "usage: $0 [minio|pulumi|pulumi-old|helm|schemathesis|all]" >&2; exit 2 ;;
esac
