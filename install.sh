#!/usr/bin/env bash
# Installs a built frontporch binary as a systemd service.
#
#   sudo ./install.sh [--binary PATH] [--data DIR] [--addr HOST:PORT]
#   sudo ./install.sh --uninstall [--purge]
#
# Idempotent: running it again upgrades the binary and rewrites the unit,
# keeping the data. --uninstall removes the service and binary; --purge also
# deletes the data directory and the system user.
set -euo pipefail

BINARY=""
DATA=/var/lib/frontporch
ADDR=0.0.0.0:8080
UNINSTALL=0
PURGE=0
# ROOT installs into another tree (used by the tests); empty means "/".
ROOT=${ROOT:-}
PREFIX=${PREFIX:-/usr/local}
UNIT=$ROOT/etc/systemd/system/frontporch.service
ENVFILE=$ROOT/etc/frontporch.env

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BINARY=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --addr) ADDR=$2; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo)" >&2
  exit 1
fi
have_systemd() { [ -z "$ROOT" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; }

if [ "$UNINSTALL" = 1 ]; then
  if have_systemd; then
    systemctl disable --now frontporch 2>/dev/null || true
  fi
  rm -f "$UNIT" "$ROOT$PREFIX/bin/frontporch"
  have_systemd && systemctl daemon-reload || true
  if [ "$PURGE" = 1 ]; then
    rm -rf "$ROOT$DATA" "$ENVFILE"
    # A scratch ROOT shares the real user database: leave the user alone there.
    if [ -z "$ROOT" ] && id frontporch >/dev/null 2>&1; then userdel frontporch; fi
  fi
  if [ "$PURGE" = 1 ]; then echo "frontporch uninstalled (data removed)"; else echo "frontporch uninstalled (data kept in $DATA)"; fi
  exit 0
fi

if [ -z "$BINARY" ]; then
  for candidate in ./frontporch ./target/release/frontporch; do
    [ -x "$candidate" ] && BINARY=$candidate && break
  done
fi
[ -n "$BINARY" ] && [ -x "$BINARY" ] || { echo "no binary: build with 'cargo build --release' or pass --binary PATH" >&2; exit 1; }

install -D -m 0755 "$BINARY" "$ROOT$PREFIX/bin/frontporch"
if ! id frontporch >/dev/null 2>&1; then
  useradd --system --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin frontporch
fi
install -d -m 0750 -o frontporch -g frontporch "$ROOT$DATA"
install -d "$(dirname "$UNIT")"
[ -f "$ENVFILE" ] || install -m 0640 /dev/null "$ENVFILE"

cat > "$UNIT" <<UNIT
[Unit]
Description=Frontporch live chat and support server
After=network-online.target
Wants=network-online.target

[Service]
User=frontporch
Group=frontporch
Environment=FRONTPORCH_DATA=$DATA
Environment=FRONTPORCH_ADDR=$ADDR
EnvironmentFile=-$ENVFILE
ExecStart=$PREFIX/bin/frontporch serve
Restart=on-failure
KillSignal=SIGTERM
TimeoutStopSec=30
LimitNOFILE=65536
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=$DATA
PrivateTmp=true

[Install]
WantedBy=multi-user.target
UNIT

if have_systemd; then
  systemctl daemon-reload
  systemctl enable frontporch >/dev/null
  systemctl restart frontporch
  echo "frontporch installed and running; first start prints the admin password:"
  echo "  journalctl -u frontporch | grep 'first admin'"
else
  echo "frontporch installed to $ROOT$PREFIX/bin (systemd not used: unit written to $UNIT, not started)"
fi
