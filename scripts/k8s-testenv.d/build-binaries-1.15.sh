# shellcheck shell=bash disable=SC2154 # work, staging_bin and log() come from build-binaries.sh
# Kubernetes 1.15 for build-binaries.sh, which sources this file for `--version 1.15` and calls
# build_kubernetes_1_15 with $work, $staging_bin, $K8S_VERSION and log() set and Go's environment exported.
#
# Why 1.15 is built differently from the current version:
# - `go install`/`go get` of k8s.io/kubernetes@v1.15.x fails: its go.mod needs its own replace lines, which only
#   count in the main module. So the module's source is copied out of the module cache and built as the main module.
# - Its replace lines point the staging modules at ./staging, which the module zip lacks; they are pointed at the
#   k8s.io/<name> v0.15.Z releases instead (the kubernetes-1.15.Z tags do not resolve on the proxy). Staging modules
#   that nothing requires (kubectl, node-api, sample-cli-plugin, sample-controller) lose their replace line.
# - github.com/modern-go/reflect2 v1.0.1 breaks at run time on Go >= 1.18: raised to v1.0.2.
# - vbom.ml/util is not served any more; only kubectl imports it, so an empty stand-in module satisfies the module
#   graph and kubectl 1.15 is not built.
# - The zip lacks pkg/generated/openapi/zz_generated.openapi.go, which kube-apiserver needs: it is generated with
#   the openapi-gen that 1.15 pins (k8s.io/kube-openapi), from every package tagged +k8s:openapi-gen=true, as
#   upstream's build does. The API rule violations it reports must equal upstream's known list
#   (api/api-rules/violation_exceptions.list): a check that the generator saw the same packages.

build_kubernetes_1_15() {
  local src="$work/kubernetes" dir minor staging_version name
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  staging_version="v0.${K8S_VERSION#v1.}"

  cd "$work" || return
  dir=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -d "$dir" ] || { log "ERROR: could not download k8s.io/kubernetes@${K8S_VERSION}"; return 1; }
  cp -r "$dir" "$src" && chmod -R u+w "$src"
  cd "$src" || return

  local staging required=0 dropped=()
  staging=$(sed -n 's#^[[:space:]]*k8s.io/\([a-z0-9-]*\)[[:space:]]*=>[[:space:]]*\./staging/src/k8s.io/.*#\1#p' go.mod)
  [ -n "$staging" ] || { log "ERROR: no staging modules found in $src/go.mod"; return 1; }
  for name in $staging; do
    if grep -Eq "^[[:space:]]+k8s\.io/${name} v" go.mod; then
      go mod edit "-replace=k8s.io/${name}=k8s.io/${name}@${staging_version}"
      required=$((required + 1))
    else
      go mod edit "-dropreplace=k8s.io/${name}"
      dropped+=("$name")
    fi
  done
  log "$required staging modules mapped to ${staging_version}; unused, dropped: ${dropped[*]}"

  go mod edit -replace=github.com/modern-go/reflect2=github.com/modern-go/reflect2@v1.0.2 \
    -require=github.com/modern-go/reflect2@v1.0.2

  # An empty stand-in for vbom.ml/util (the _ prefix keeps it out of ./... patterns).
  mkdir -p _stubs/vbom.ml/util/sortorder
  echo 'module vbom.ml/util' >_stubs/vbom.ml/util/go.mod
  printf '%s\n' '// Package sortorder stands in for a module that is no longer served; only kubectl uses it.' \
    'package sortorder' >_stubs/vbom.ml/util/sortorder/doc.go
  go mod edit -replace=vbom.ml/util=./_stubs/vbom.ml/util

  # -e: the module graph of go 1.12 modules is not pruned, so tidy also walks the tests of dependencies, some of
  # which import packages that no longer exist; none of them is built here.
  local start=$SECONDS
  go mod tidy -e >"$work/tidy.log" 2>&1 || { tail -n 30 "$work/tidy.log" >&2; return 1; }
  go mod vendor -e >"$work/vendor.log" 2>&1 || { tail -n 30 "$work/vendor.log" >&2; return 1; }
  log "module graph resolved and vendored in $((SECONDS - start))s"

  # From here on everything reads vendor/: consistent, and far faster for openapi-gen's many package lookups.
  start=$SECONDS
  go build -mod=vendor -o "$work/openapi-gen" k8s.io/kube-openapi/cmd/openapi-gen
  generate_openapi_1_15 "$src" "$staging"
  log "generated pkg/generated/openapi in $((SECONDS - start))s"

  local ldflags="-s -w" pkg
  for pkg in k8s.io/kubernetes/pkg/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
    ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  done
  start=$SECONDS
  go build -mod=vendor -trimpath -ldflags="$ldflags" -o "$staging_bin/" \
    ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kube-scheduler
  log "compiled kube-apiserver, kube-controller-manager, kube-scheduler in $((SECONDS - start))s"
}

# $1 = the source tree, $2 = the staging module names. Input packages: those of the tree itself and of the
# (vendored) staging modules with a file carrying the package- or type-level tag in column 0.
generate_openapi_1_15() {
  local src=$1 staging=$2 name
  local inputs="$work/openapi-inputs.txt" out="$work/openapi-out" report="$work/openapi-violations.txt"
  # grep -l exits 1 for a batch of files without the tag, which is no error here.
  tagged() { { find "$@" -name '*.go' ! -name '*_test.go' -type f \
    -exec grep -lE '^// *\+k8s:openapi-gen=true' {} + || true; } | xargs -r -n1 dirname; }
  {
    tagged . \( -path ./vendor -o -path ./staging -o -path './_*' -o -path './.*' -o -path ./docs \
      -o -name testdata \) -prune -o | sed 's#^\./#k8s.io/kubernetes/#'
    for name in $staging; do
      if [ -d "vendor/k8s.io/$name" ]; then tagged "vendor/k8s.io/$name" | sed 's#^vendor/##'; fi
    done
  } | LC_ALL=C sort -u >"$inputs"
  [ -s "$inputs" ] || { log "ERROR: no package tagged +k8s:openapi-gen=true in $src"; return 1; }
  log "openapi-gen over $(wc -l <"$inputs") packages"
  GOFLAGS="-mod=vendor -buildvcs=false" "$work/openapi-gen" --logtostderr \
    --input-dirs "$(paste -sd, "$inputs")" \
    --output-package k8s.io/kubernetes/pkg/generated/openapi \
    --output-file-base zz_generated.openapi \
    --go-header-file hack/boilerplate/boilerplate.generatego.txt \
    --report-filename "$report" \
    --output-base "$out" >"$work/openapi-gen.log" 2>&1 || { tail -n 30 "$work/openapi-gen.log" >&2; return 1; }
  if ! diff -q "$report" api/api-rules/violation_exceptions.list >/dev/null; then
    log "ERROR: openapi-gen's API rule report differs from upstream's known list, so its input packages differ:"
    diff "$report" api/api-rules/violation_exceptions.list | head -n 20 >&2
    return 1
  fi
  cp "$out/k8s.io/kubernetes/pkg/generated/openapi/zz_generated.openapi.go" pkg/generated/openapi/
}
