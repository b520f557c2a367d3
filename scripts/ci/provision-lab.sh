#!/usr/bin/env bash
# Provisions the test lab (scripts/lab) on a fresh Debian 12 machine, as root. Idempotent.
#  - Debian packages the lab and its tests need (docker.io, debootstrap, an SSH client, python3);
#  - a running Docker engine, left running for the tests after this script exits
#    (log: $PAI_DEPLOY_CACHE/lab/dockerd.log);
#  - the lab's images, built offline with debootstrap; rootfs tarballs are cached under
#    $PAI_DEPLOY_CACHE/lab/rootfs/ so a fresh engine re-imports them without re-running debootstrap;
#  - the Python 3.7 images (kubespray targets and the Ansible 2.7 dev box devbox27): they copy pyenv's CPython
#    3.7.16 (${PYENV_ROOT:-~/.pyenv}), fetch wheels with its pip into $PAI_DEPLOY_CACHE/lab/wheels/, and build
#    devbox27 with the product's devbox/Dockerfile and buildDevboxImage, so node_modules must be installed (npm ci,
#    which .ci/run does first).
# Package clients are used as configured on the machine (no mirror or registry is named here).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PAI_DEPLOY_CACHE="${PAI_DEPLOY_CACHE:-$HOME/.cache/pai-deploy}"

if [ "$(id -u)" != 0 ]; then
  echo "provision-lab: must run as root (installs Debian packages and starts dockerd)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "provision-lab: no apt-get: the lab needs a Debian machine" >&2
  exit 1
fi

packages=(docker.io debootstrap openssh-client python3 iproute2 tar ca-certificates)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "provision-lab: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi

if [ ! -d node_modules/tsx ]; then
  echo "provision-lab: node_modules/tsx is missing: run npm ci first (the lab builds devbox27 with pai-deploy's code)" >&2
  exit 1
fi

started=$(date +%s)
scripts/lab engine
scripts/lab images
echo "provision-lab: engine and images ready in $(( $(date +%s) - started )) s"
