#!/usr/bin/env bash
# Installs what building Catena needs, skipping what is already present:
# libclang (RocksDB's bindings), a C++ compiler, make (jemalloc's build), Python 3 (the
# independent evidence verifier, clients/python, and the tests that run it), the wasm32 target,
# rustfmt, clippy and cargo-nextest; with --tests (scripts/test.sh) also Chromium and Node.js
# with playwright-core, for the explorer's browser test (tests/browser), and the Python
# client's test packages.
set -euo pipefail
tests=false
[ "${1:-}" = "--tests" ] && tests=true

need_apt=()
dpkg -s libclang-dev >/dev/null 2>&1 || need_apt+=(libclang-dev)
command -v c++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
if $tests; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
  command -v npm >/dev/null 2>&1 || need_apt+=(npm)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# The browser test's driver, at the version its lock file pins (no browser download: it drives
# the system's Chromium).
browser_tests="$(dirname "$0")/../tests/browser"
if $tests && [ ! -d "$browser_tests/node_modules/playwright-core" ]; then
  echo "setup: installing the browser test's npm packages"
  (cd "$browser_tests" && npm ci --no-audit --no-fund --silent)
fi
# The TypeScript client's compiler and Node types, at the versions its lock file pins.
typescript_client="$(dirname "$0")/../clients/typescript"
if $tests && [ ! -d "$typescript_client/node_modules/typescript" ]; then
  echo "setup: installing the TypeScript client's npm packages"
  (cd "$typescript_client" && npm ci --no-audit --no-fund --silent)
fi
# The Python client's test needs (clients/python/pyproject.toml): cryptography, pytest.
# With pip where it may install (a user's Python); else Debian's packages (its system Python
# refuses pip installs, PEP 668).
if $tests && ! python3 -c "import cryptography, pytest" >/dev/null 2>&1; then
  echo "setup: installing the Python client's test packages"
  if ! python3 -m pip install -q --disable-pip-version-check 'cryptography>=41' 'pytest>=7' 2>/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-cryptography python3-pytest >/dev/null
  fi
fi
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
installed=$(rustup component list --installed 2>/dev/null)
for c in rustfmt clippy; do
  echo "$installed" | grep -q "^$c" || rustup component add "$c"
done
# The tests' runner (.config/nextest.toml); present on these machines, built where missing.
command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest
