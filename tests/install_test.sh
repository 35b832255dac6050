#!/usr/bin/env bash
# install.sh into a scratch ROOT: installs, is idempotent, uninstalls.
# Needs root (it creates the frontporch system user); skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then echo "install test: skipped (not root)"; exit 0; fi
bin=${CARGO_TARGET_DIR:-target}/debug/frontporch
[ -x "$bin" ] || cargo build -q
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail() { echo "install test: FAILED: $*" >&2; exit 1; }
existed=0; id frontporch >/dev/null 2>&1 && existed=1
for run in 1 2; do
  ROOT=$root ./install.sh --binary "$bin" --addr 127.0.0.1:8099 >/dev/null
  [ -x "$root/usr/local/bin/frontporch" ] || fail "binary not installed (run $run)"
  grep -q "FRONTPORCH_ADDR=127.0.0.1:8099" "$root/etc/systemd/system/frontporch.service" || fail "unit lacks the address"
  grep -q "^ExecStart=/usr/local/bin/frontporch serve" "$root/etc/systemd/system/frontporch.service" || fail "unit lacks ExecStart"
  [ -d "$root/var/lib/frontporch" ] || fail "no data dir"
  [ "$(stat -c %U "$root/var/lib/frontporch")" = frontporch ] || fail "data dir not owned by frontporch"
done
"$root/usr/local/bin/frontporch" version >/dev/null || fail "installed binary does not run"
touch "$root/var/lib/frontporch/keep"
ROOT=$root ./install.sh --uninstall >/dev/null
[ ! -e "$root/usr/local/bin/frontporch" ] || fail "binary left after uninstall"
[ -e "$root/var/lib/frontporch/keep" ] || fail "uninstall without --purge removed data"
ROOT=$root ./install.sh --uninstall --purge >/dev/null
[ ! -e "$root/var/lib/frontporch" ] || fail "purge left data"
# The test created the system user only if it was missing; remove it again.
if [ "$existed" = 0 ]; then userdel frontporch; fi
echo "install_test: 1 passed, 0 failed"
