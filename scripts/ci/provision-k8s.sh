#!/usr/bin/env bash
# Provisions the Kubernetes test environment (scripts/k8s-testenv): openssl for its throwaway PKI, and, for each
# version the tests run against (current and 1.15), etcd, kube-apiserver, kube-controller-manager, kube-scheduler
# and kwok built with Go from the module proxy into ${PAI_DEPLOY_CACHE:-$HOME/.cache/pai-deploy}/k8s/<versions>/bin.
# Idempotent: a warm cache costs seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { echo "[provision-k8s] $*"; }
fail() { echo "[provision-k8s] ERROR: $*" >&2; exit 1; }

if ! command -v openssl >/dev/null; then
  say "installing openssl (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null \
    || fail "could not install openssl"
fi

# A directory named explicitly replaces the build of its version: current from PAI_DEPLOY_K8S_BIN or
# KUBEBUILDER_ASSETS, 1.15 from PAI_DEPLOY_K8S_BIN_1_15.
given() {
  local variable dir b
  for variable in "$@"; do
    dir=${!variable:-}
    [ -n "$dir" ] || continue
    for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
      [ -x "$dir/$b" ] || fail "$variable=$dir is set but lacks $b"
    done
    say "using binaries from $variable=$dir"
    return 0
  done
  return 1
}

provision() {
  local version=$1 start=$SECONDS bin_dir
  command -v go >/dev/null || fail "go is not installed; Go >= 1.26 is needed to build the Kubernetes test binaries"
  bin_dir=$(bash scripts/k8s-testenv.d/build-binaries.sh --version "$version" | tail -n 1) ||
    fail "building the Kubernetes test binaries ($version) failed (see above)"
  say "binaries ($version) ready in $bin_dir ($((SECONDS - start))s)"
  "$bin_dir/kube-apiserver" --version
  # sed reads the whole output: `head -n 1` exits early, etcd dies of SIGPIPE, and pipefail fails the script (seen).
  "$bin_dir/etcd" --version | sed -n 1p
  "$bin_dir/kwok" --version 2>/dev/null | sed -n 1p || true
}

given PAI_DEPLOY_K8S_BIN KUBEBUILDER_ASSETS || provision current
given PAI_DEPLOY_K8S_BIN_1_15 || provision 1.15
