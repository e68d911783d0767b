#!/usr/bin/env bash
# The test command: sets everything up on a fresh Debian machine, then runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
exec npx mocha "$@"
