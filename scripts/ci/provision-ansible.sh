#!/usr/bin/env bash
# Installs Debian's ansible-core (for `ansible-inventory --graph` against rendered inventories) when missing.
set -euo pipefail
if command -v ansible-inventory >/dev/null 2>&1; then
  echo "ansible-core present: $(ansible --version | sed -n 1p)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "provision-ansible: ansible-core is missing and installing it needs root (apt-get install ansible-core)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
apt_get update -qq
apt_get install -y -qq --no-install-recommends ansible-core >/dev/null
echo "installed: $(ansible --version | sed -n 1p)"
