#!/usr/bin/env bash
# The system packages the test suite needs besides Python (Debian/Ubuntu, apt-get):
#   postgresql  the card store shared by several instances (tests/test_store_postgres.py)
#   chromium    the timeline page in a real headless browser (tests/test_timeline.py)
# Non-interactive and idempotent: when both are installed it only checks (well under a second).
# Needs root, or sudo. Without these packages the tests that need them skip locally and
# fail under CI=true.
set -euo pipefail

packages=(postgresql chromium)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-system-packages: ${packages[*]} already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-packages: apt-get not found; install ${missing[*]} with your system's package manager" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-system-packages: installing ${missing[*]} needs root (or sudo)" >&2
    exit 1
  fi
  sudo=(sudo)
fi

apt_get() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 "$@"
}

echo "install-system-packages: installing ${missing[*]}"
# A fresh machine may have no (or stale) package lists: update only when the install needs it.
if ! apt_get install --no-install-recommends "${missing[@]}" </dev/null; then
  apt_get update </dev/null
  apt_get install --no-install-recommends "${missing[@]}" </dev/null
fi
