#!/usr/bin/env bash
# Runs Node 24 for the few tools that need Node >= 22 (e.g. @pulumi/pulumi >= 3.250, which the e2e
# programs use), installed once into .tools/node24 by scripts/node-major.sh.
#
# Usage: scripts/node24.sh [node arguments…]      e.g. scripts/node24.sh --version
exec bash "$(dirname "$0")/node-major.sh" 24 "$@"
