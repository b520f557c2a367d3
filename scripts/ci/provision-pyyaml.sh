#!/usr/bin/env bash
# Makes sure `python3 -c 'import yaml'` works: PyYAML is the oracle of test/unit/yaml-pyyaml.test.ts (OpenPAI and
# Ansible read the input files with it, so the YAML reader is checked against it). Installs it only when missing,
# with the machine's configured pip; on a Debian system Python that refuses pip installs (PEP 668), with apt's
# python3-yaml instead. Package clients are used as configured on the machine (no index or mirror is named here).
set -euo pipefail

pyyaml_version() { python3 -c 'import yaml; print(yaml.__version__)' 2>/dev/null; }

if ! command -v python3 >/dev/null 2>&1; then
  echo "provision-pyyaml: python3 is missing (install it, e.g. apt-get install python3)" >&2
  exit 1
fi
if version="$(pyyaml_version)"; then
  echo "PyYAML present: $version ($(python3 --version))"
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if python3 -m pip --version >/dev/null 2>&1 && python3 -m pip install --quiet pyyaml >"$log" 2>&1; then
  :
elif grep -q 'externally-managed-environment' "$log" && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends python3-yaml >/dev/null
else
  echo "provision-pyyaml: could not install PyYAML with 'python3 -m pip install pyyaml':" >&2
  cat "$log" >&2
  exit 1
fi

if ! version="$(pyyaml_version)"; then
  echo "provision-pyyaml: PyYAML was installed but python3 still cannot import yaml" >&2
  exit 1
fi
echo "installed: PyYAML $version ($(python3 --version))"
