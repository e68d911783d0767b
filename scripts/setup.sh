#!/usr/bin/env bash
# Installs what px-accounts needs on Debian (packages only when missing), then npm ci and the build.
# Usage: scripts/setup.sh [runtime|test|bench]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}

runtime_pkgs=(dbus libglib2.0-bin systemd gnome-keyring libsecret-tools)
# Real servers the verification tests start on loopback, and tools the tests call (dnsmasq-base
# and iproute2: the discovery suite's DNS server and loopback, in a network namespace of its own;
# gnome-online-accounts: the goa-daemon the GOA view must leave alone unless --replace; gettext:
# msgfmt --check on po/*.po, and msgmerge for npm run i18n:extract; age: Debian's age reads and writes
# the export suite's files; gvfs-backends: the file manager's GOA volume monitor and WebDAV backend).
test_pkgs=(dovecot-imapd dovecot-pop3d dovecot-submissiond exim4-daemon-light radicale python3-passlib
  python3-bcrypt apache2-utils openssh-server proftpd-core proftpd-mod-crypto tinyproxy dante-server openvpn openssl procps
  make g++ pkg-config libglib2.0-dev libglib2.0-dev-bin qtbase5-dev qtbase5-dev-tools bubblewrap dbus-bin bsdutils
  chromium desktop-file-utils dnsmasq-base iproute2 gir1.2-goa-1.0 python3-gi evolution-data-server gir1.2-edataserver-1.2 apache2 gnome-online-accounts gettext age gvfs-backends)
# The daemon the benchmarks compare with, the loopback Dovecot of their sweep, and discovery's DNS.
bench_pkgs=(gnome-online-accounts dovecot-imapd dovecot-pop3d dovecot-submissiond openssl procps dnsmasq-base iproute2)
case "$mode" in
  runtime) pkgs=("${runtime_pkgs[@]}") ;;
  test) pkgs=("${runtime_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) pkgs=("${runtime_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: scripts/setup.sh [runtime|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$mode" = test ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
