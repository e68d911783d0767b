#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png (each page of the Online Accounts window, light and dark; in
# German and Persian; the README's pictures with realistic accounts) by running the window's
# browser tests, which take them along the way (about a minute).
# Needs what scripts/test.sh sets up (chromium, dovecot, gnome-keyring; root for dovecot).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
PX_ACCOUNTS_SCREENSHOTS_DIR="$PWD/docs/screenshots" exec npx mocha dist/test/ui/window.test.js dist/test/ui/wallet.test.js dist/test/ui/languages.test.js
