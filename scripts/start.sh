#!/usr/bin/env bash
# Sets up and starts px-accounts-service in the foreground.
# - With a reachable session bus (a desktop session), it serves there.
# - Without one, it starts a private bus and an unlocked gnome-keyring (a throw-away test
#   keyring), prints how to reach them, and stops both (by PID) when the service ends.
# - With --window, the Online Accounts window too (px-accounts-ui): the service runs in the
#   background, the window in the foreground, and closing the window stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
window=0
if [ "${1:-}" = "--window" ]; then
  window=1
  shift
fi
scripts/setup.sh runtime
# executed as the bus and systemd do, with the environment their launch files give it
service=(env MALLOC_ARENA_MAX=1 dist/bin/px-accounts-service "$@")
bin_dir="$(pwd)/dist/bin"

# The service in the foreground; with --window, in the background under the window.
run() {
  if [ "$window" = 0 ]; then
    "${service[@]}"
    return
  fi
  "${service[@]}" &
  local service_pid=$!
  for _ in $(seq 200); do
    [ "$(gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus -m org.freedesktop.DBus.NameHasOwner org.pantherx.Accounts 2>/dev/null)" = "(true,)" ] && break
    sleep 0.05
  done
  # In a desktop session it opens the window and ends with it; without a display it prints a
  # one-time link to open in a browser and serves until Ctrl-C.
  node dist/bin/px-accounts-ui.js || true
  kill "$service_pid" 2>/dev/null || true
  wait "$service_pid" || true
}

if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus \
     -m org.freedesktop.DBus.GetId >/dev/null 2>&1; then
  echo "px-accounts: serving on the session bus $DBUS_SESSION_BUS_ADDRESS (Ctrl-C stops)" >&2
  echo "px-accounts: the command line, from another shell: export PATH=\"$bin_dir:\$PATH\"; px-accounts list" >&2
  run
  exit 0
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/px-accounts-session.XXXXXX")
mkdir -p "$dir/run" "$dir/data" "$dir/services"
chmod 700 "$dir/run"
cat > "$dir/session.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=$dir/run</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$dir/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
out=$(dbus-daemon --config-file="$dir/session.conf" --fork --nosyslog --print-address=1 --print-pid=1)
export DBUS_SESSION_BUS_ADDRESS=$(echo "$out" | sed -n 1p)
bus_pid=$(echo "$out" | sed -n 2p)
export XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/run"
keyring_pid=""
cleanup() {
  [ -n "$keyring_pid" ] && kill "$keyring_pid" 2>/dev/null || true
  kill "$bus_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
# A throw-away keyring password: this keyring lives only as long as this session.
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
for _ in $(seq 100); do
  [ "$(gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus -m org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null)" = "(true,)" ] && break
  sleep 0.05
done
keyring_pid=$(gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus \
  -m org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed -E 's/.*uint32 ([0-9]+).*/\1/')
cat >&2 <<MSG
px-accounts: no desktop session bus here, so a private one was started with an unlocked test keyring.
Reach it from another shell with:

  export DBUS_SESSION_BUS_ADDRESS='$DBUS_SESSION_BUS_ADDRESS'
  export PATH="$bin_dir:\$PATH"
  px-accounts list
  busctl --user tree org.pantherx.Accounts

Accounts are stored in ${PX_ACCOUNTS_DIR:-$HOME/.userdata/accounts}. Ctrl-C stops the service, the bus and the keyring.
MSG
# In the foreground: Ctrl-C reaches the service (or the window), which exits cleanly; the EXIT
# trap then stops the keyring and the bus.
run || true
