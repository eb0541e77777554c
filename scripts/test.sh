#!/usr/bin/env bash
# THE test command (`npm test`; `.ci/run` runs it). On a fresh Debian machine, as root, it
# installs what the tests need, builds, typechecks, lints, and runs every test group in one
# node test-runner invocation, so the run ends with node's summary (`# pass N`, `# fail N`).
#
#   HOMECALL_SKIP_INSTALL=1   skip `npm ci` (dependencies already installed)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use, each started by the tests themselves: Chromium for the browser
# tests (playwright-core drives /usr/bin/chromium, never a downloaded browser) and a font so
# screenshots render text; redis-server (multi-node), coturn (TURN interop, turnutils_uclient),
# nginx and caddy (proxy recipes), pebble (ACME test CA), nftables and iproute2 (network
# namespaces with NAT), sslscan (TLS scan), faketime (clock jumps), systemd (systemd-analyze),
# python3 and ethtool (the lossy, slow link of reliability.md X3: test/netns/helpers/delay-line.py).
APT_PACKAGES=(chromium fonts-dejavu-core redis-server coturn nginx caddy pebble nftables iproute2 sslscan faketime systemd python3 ethtool)

step() { printf '\n==> %s\n' "$*"; }

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${APT_PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
elif [[ ! -x /usr/bin/chromium ]]; then
  echo "test.sh: /usr/bin/chromium is missing and this is not a Debian system; install Chromium there" >&2
  exit 1
fi

if ((${#missing[@]} > 0)); then
  step "installing Debian packages: ${missing[*]}"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=(sudo)
    else
      echo "test.sh: need root (or sudo) to install: ${missing[*]}" >&2
      exit 1
    fi
  fi
  # One update, only because something is missing.
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  step "Debian packages present: ${APT_PACKAGES[*]}"
fi

if [[ ! -x /usr/bin/chromium ]]; then
  echo "test.sh: /usr/bin/chromium not found after installing chromium" >&2
  exit 1
fi

if [[ "${HOMECALL_SKIP_INSTALL:-0}" == "1" ]]; then
  step "npm ci skipped (HOMECALL_SKIP_INSTALL=1)"
  step "npm run build"
  npm run build
else
  # npm ci also builds (the package's `prepare` script is `npm run build`).
  step "npm ci (and npm run build through prepare)"
  npm ci --no-audit --no-fund
fi

step "npm run typecheck"
npm run typecheck

step "npm run lint"
npm run lint

# All groups (unit, integration, e2e, bench smoke) in ONE runner invocation. run-tests.mjs
# sets the spec reporter (readable, on the console); a second reporter writes TAP to a file,
# whose summary is printed last, so the run ends with node's `# pass N` / `# fail N`.
step "node scripts/run-tests.mjs all"
mkdir -p test-results
status=0
node scripts/run-tests.mjs all \
  --test-reporter=tap \
  --test-reporter-destination=stdout \
  --test-reporter-destination=test-results/tests.tap || status=$?
echo
tail -n 8 test-results/tests.tap || true
exit "$status"
