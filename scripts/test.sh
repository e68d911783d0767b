#!/usr/bin/env bash
# The test command: sets everything up on a fresh Debian machine, then runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# Formatting (prettier) and lint (ESLint, typescript-eslint's type-checked rules) first: any
# finding fails the run before a suite starts. `npm run format` rewrites what prettier reports.
npm run --silent format:check
npm run --silent lint
# With no arguments, every suite; with arguments (spec files, --grep, ...), what they name.
if [ $# -eq 0 ] || [[ "$1" == -* ]]; then
  set -- 'dist/test/**/*.test.js' "$@"
fi
exec npx mocha "$@"
