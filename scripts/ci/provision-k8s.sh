#!/usr/bin/env bash
# Provisions the Kubernetes test environment (scripts/k8s-testenv): openssl for its throwaway PKI, and
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok built with Go from the module proxy
# into ${PAI_DEPLOY_CACHE:-$HOME/.cache/pai-deploy}/k8s/<versions>/bin. Idempotent: a warm cache costs seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { echo "[provision-k8s] $*"; }
fail() { echo "[provision-k8s] ERROR: $*" >&2; exit 1; }

if ! command -v openssl >/dev/null; then
  say "installing openssl (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null \
    || fail "could not install openssl"
fi

for variable in PAI_DEPLOY_K8S_BIN KUBEBUILDER_ASSETS; do
  dir=${!variable:-}
  [ -n "$dir" ] || continue
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    [ -x "$dir/$b" ] || fail "$variable=$dir is set but lacks $b"
  done
  say "using binaries from $variable=$dir"
  exit 0
done

command -v go >/dev/null || fail "go is not installed; Go >= 1.26 is needed to build the Kubernetes test binaries"
start=$SECONDS
bin_dir=$(bash scripts/k8s-testenv.d/build-binaries.sh | tail -n 1) || fail "building the Kubernetes test binaries failed (see above)"
say "binaries ready in $bin_dir ($((SECONDS - start))s)"
"$bin_dir/kube-apiserver" --version
"$bin_dir/etcd" --version | head -n 1
"$bin_dir/kwok" --version 2>/dev/null | head -n 1 || true
