#!/usr/bin/env bash
# Benchmarks: px-accounts against GNOME Online Accounts (goa-daemon) on one private bus, then
# Account.Verify in parallel. Prints Markdown tables; never part of the pass/fail tests.
#
#   scripts/bench.sh [--quick] [--sizes 1,100,1000] [--runs N] [--big-runs N] [--skip startup,ops,sweep,verify] ...
#
# Every option is passed to `node dist/bench/compare.js` (see --help there), except
# --skip verify, which leaves out bench/verify.ts; --quick is passed to both. Needs root (or
# sudo) for apt and for the loopback Dovecot; see docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages (goa-daemon, the bus and keyring, the loopback Dovecot), npm ci if needed, the build.
scripts/setup.sh bench

compare_args=()
verify_args=()
run_verify=1
run_oauth2=1
run_wallets=1
run_discovery=1
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help)
      node dist/bench/compare.js --help
      echo "  --skip verify        (scripts/bench.sh) leave out the parallel-verification benchmark"
      echo "  --skip oauth2        (scripts/bench.sh) leave out the OAuth2 access-token benchmark"
      echo "  --skip wallets       (scripts/bench.sh) leave out the watch-only wallet benchmark"
      echo "  --skip discovery     (scripts/bench.sh) leave out the discovery benchmark"
      exit 0 ;;
    --quick) compare_args+=("$1"); verify_args+=("$1") ;;
    --skip)
      [ $# -ge 2 ] || { echo "bench: --skip needs a list" >&2; exit 2; }
      list=",$2,"
      if [[ "$list" == *,verify,* ]]; then run_verify=0; fi
      if [[ "$list" == *,oauth2,* ]]; then run_oauth2=0; fi
      if [[ "$list" == *,wallets,* ]]; then run_wallets=0; fi
      if [[ "$list" == *,discovery,* ]]; then run_discovery=0; fi
      rest=$(echo "$2" | tr ',' '\n' | grep -vx 'verify\|oauth2\|wallets\|discovery' | paste -sd, - || true)
      [ -n "$rest" ] && compare_args+=(--skip "$rest")
      shift ;;
    --skip=*)
      list=",${1#--skip=},"
      if [[ "$list" == *,verify,* ]]; then run_verify=0; fi
      if [[ "$list" == *,oauth2,* ]]; then run_oauth2=0; fi
      if [[ "$list" == *,wallets,* ]]; then run_wallets=0; fi
      if [[ "$list" == *,discovery,* ]]; then run_discovery=0; fi
      rest=$(echo "${1#--skip=}" | tr ',' '\n' | grep -vx 'verify\|oauth2\|wallets\|discovery' | paste -sd, - || true)
      [ -n "$rest" ] && compare_args+=(--skip "$rest") ;;
    *) compare_args+=("$1") ;;
  esac
  shift
done

node dist/bench/compare.js "${compare_args[@]}"
if [ "$run_verify" = 1 ]; then
  echo
  node dist/bench/verify.js "${verify_args[@]}"
fi
if [ "$run_oauth2" = 1 ]; then
  echo
  node dist/bench/oauth2.js "${verify_args[@]}"
fi
if [ "$run_wallets" = 1 ]; then
  echo
  node dist/bench/wallets.js "${verify_args[@]}"
fi
if [ "$run_discovery" = 1 ]; then
  echo
  node dist/bench/discovery.js "${verify_args[@]}"
fi
