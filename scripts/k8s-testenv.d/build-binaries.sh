#!/usr/bin/env bash
# Builds the binaries of one test control plane with Go from the module proxy configured in the environment, into
# ${PAI_DEPLOY_CACHE:-$HOME/.cache/pai-deploy}/k8s/<key>/bin, where <key> names the pinned versions (versions.sh).
#   build-binaries.sh [--version current|1.15]     (default: $K8S_TESTENV_VERSION, else current)
# current: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok.
# 1.15:    the same without kubectl; Kubernetes itself is built by build-binaries-1.15.sh.
# Idempotent: does nothing when every binary is already there. Prints the bin directory on the last line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"

log() { echo "[k8s-testenv build] $*" >&2; }
usage() { echo "usage: $0 [--version current|1.15]   (default: \$K8S_TESTENV_VERSION, else current)" >&2; }

selector=${K8S_TESTENV_VERSION:-current}
while [ $# -gt 0 ]; do
  case $1 in
    --version) [ $# -ge 2 ] || { usage; exit 2; }; selector=$2; shift 2 ;;
    --version=*) selector=${1#--version=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) log "ERROR: unknown argument $1"; usage; exit 2 ;;
  esac
done

case $selector in
  current)
    binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
    build_kubernetes_fn=build_kubernetes
    ;;
  1.15)
    K8S_VERSION=$K8S_VERSION_1_15 ETCD_VERSION=$ETCD_VERSION_1_15 KWOK_VERSION=$KWOK_VERSION_1_15
    binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
    build_kubernetes_fn=build_kubernetes_1_15
    # shellcheck source=build-binaries-1.15.sh
    . "$here/build-binaries-1.15.sh"
    ;;
  *) log "ERROR: unknown version '$selector' (known: current, 1.15)"; exit 2 ;;
esac

cache_root="${PAI_DEPLOY_CACHE:-$HOME/.cache/pai-deploy}/k8s"
key="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
bin_dir="$cache_root/$key/bin"

all_present() {
  local b
  for b in "${binaries[@]}"; do [ -x "$bin_dir/$b" ] || return 1; done
}

if all_present; then
  log "cached binaries in $bin_dir"
  echo "$bin_dir"
  exit 0
fi

command -v go >/dev/null || { log "ERROR: go is not installed; it is needed to build the test binaries"; exit 1; }

export GOTOOLCHAIN=local          # fail loudly instead of downloading another toolchain
export GOMODCACHE="$cache_root/go/mod"
export GOCACHE="$cache_root/go/build"
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
mkdir -p "$GOMODCACHE" "$GOCACHE" "$cache_root/$key"

# One build per key at a time; a second caller waits, then finds the binaries.
exec 9>"$cache_root/$key/build.lock"
flock 9
if all_present; then
  log "binaries were built meanwhile in $bin_dir"
  echo "$bin_dir"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pai-deploy-k8s-build.XXXXXX")
# The module cache is read-only; make copies taken from it removable.
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
staging_bin="$work/bin"
mkdir -p "$staging_bin"
log "$(go version); building $key in $work"

timed() {
  local what=$1; shift
  local start=$SECONDS
  log "building $what ..."
  "$@"
  log "built $what in $((SECONDS - start))s"
}

# A binary of the same pinned version that another key's bin directory already has (etcd and kwok are shared
# between versions) is copied instead of rebuilt. $1 = binary, $2 = glob the other key must match.
reuse_cached() {
  local name=$1 pattern=$2 dir
  for dir in "$cache_root"/k8s-*; do
    # shellcheck disable=SC2053 # $pattern is a glob on purpose
    [[ $(basename "$dir") == $pattern && $dir != "$cache_root/$key" && -x $dir/bin/$name ]] || continue
    cp "$dir/bin/$name" "$staging_bin/$name"
    log "reused $name from $dir/bin"
    return 0
  done
  return 1
}

build_etcd() {
  reuse_cached etcd "*_etcd-${ETCD_VERSION}_kwok-*" && return 0
  # etcd's own go.mod has replace lines, so `go install` refuses it; a throwaway main module works.
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init pai-deploy.invalid/etcdbin >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >/dev/null
  # server/go.mod still names reflect2 v1.0.1, which breaks at run time on Go >= 1.18.
  go get github.com/modern-go/reflect2@v1.0.2 github.com/json-iterator/go@v1.1.12 >/dev/null
  go build -trimpath -ldflags='-s -w' -o "$staging_bin/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
  reuse_cached kwok "*_kwok-${KWOK_VERSION}" && return 0
  mkdir -p "$work/kwok" && cd "$work/kwok"
  go mod init pai-deploy.invalid/kwokbin >/dev/null 2>&1
  go get "sigs.k8s.io/kwok@${KWOK_VERSION}" >/dev/null
  go build -trimpath -ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION}" \
    -o "$staging_bin/kwok" sigs.k8s.io/kwok/cmd/kwok
}

build_kubernetes() {
  # k8s.io/kubernetes requires its staging modules at v0.0.0 with replace lines into ./staging, which only
  # apply when it is the main module. Map each staging module to its tagged v0.Y.Z release instead.
  mkdir -p "$work/k8s" && cd "$work/k8s"
  go mod init pai-deploy.invalid/k8sbin >/dev/null 2>&1
  local upstream_gomod staging_version="v0.${K8S_VERSION#v1.}" name
  upstream_gomod=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$upstream_gomod" ] || { log "ERROR: could not download k8s.io/kubernetes@${K8S_VERSION}"; return 1; }
  local staging
  staging=$(sed -n 's#^[[:space:]]*\(replace[[:space:]]\+\)\{0,1\}k8s.io/\([a-z0-9-]*\)[[:space:]]*=>[[:space:]]*\./staging/src/k8s.io/.*#\2#p' "$upstream_gomod")
  [ -n "$staging" ] || { log "ERROR: no staging modules found in $upstream_gomod"; return 1; }
  for name in $staging; do
    go mod edit "-replace=k8s.io/${name}=k8s.io/${name}@${staging_version}"
  done
  # Keep upstream's runtime GODEBUG defaults: our go.mod is the main module, so its godebug lines rule.
  grep -E '^godebug ' "$upstream_gomod" | while read -r _ setting; do go mod edit "-godebug=${setting}"; done
  log "$(echo "$staging" | wc -w) staging modules mapped to ${staging_version}"
  go get "k8s.io/kubernetes@${K8S_VERSION}" >/dev/null

  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local ldflags="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
    ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  done
  go build -trimpath -ldflags="$ldflags" -o "$staging_bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl
}

total_start=$SECONDS
timed "etcd ${ETCD_VERSION}" build_etcd
timed "kwok ${KWOK_VERSION}" build_kwok
timed "kubernetes ${K8S_VERSION}" "$build_kubernetes_fn"
for b in "${binaries[@]}"; do [ -x "$staging_bin/$b" ] || { log "ERROR: $b was not built"; exit 1; }; done
rm -rf "$bin_dir" && mv "$staging_bin" "$bin_dir"
log "all binaries built in $((SECONDS - total_start))s into $bin_dir"
echo "$bin_dir"
