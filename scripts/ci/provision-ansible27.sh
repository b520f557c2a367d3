#!/usr/bin/env bash
# Builds, once, the Ansible kubespray 2.11 really runs (requirements.txt: ansible==2.7.12 and its pins, plus
# MarkupSafe<2.1, without which Jinja2 2.10 fails to import soft_unicode) in a venv at
# ${PAI_DEPLOY_CACHE:-$HOME/.cache/pai-deploy}/ansible-2.7.12, on pyenv's CPython 3.7.16 (3.6.15 as a fallback:
# Ansible 2.7's safe_eval breaks on Python >= 3.8). test/support/ansible27.ts reads rendered files back with it.
# The venv is built in a temp dir beside the target and renamed into place only once `ansible-playbook --version`
# says 2.7.12, so an interrupted build leaves nothing half-made; a good venv is reused. pip is used as configured on
# the machine (no index or mirror is named here).
set -euo pipefail

say() { echo "[provision-ansible27] $*"; }
fail() {
  echo "[provision-ansible27] ERROR: $*" >&2
  exit 1
}

ansible_version=2.7.12
cache="${PAI_DEPLOY_CACHE:-$HOME/.cache/pai-deploy}"
target="$cache/ansible-$ansible_version"
requirements=(
  "ansible==$ansible_version"
  jinja2==2.10.1
  netaddr==0.7.19
  pbr==5.2.0
  hvac==0.8.2
  jmespath==0.9.4
  ruamel.yaml==0.15.96
  'MarkupSafe<2.1'
)

# Prints the version ansible-playbook in venv $1 reports, or fails.
venv_version() {
  local out
  out="$("$1/bin/ansible-playbook" --version 2>/dev/null)" || return 1
  out="${out%%$'\n'*}"
  out="${out#ansible-playbook }"
  printf '%s\n' "${out%% *}"
}

if [ -x "$target/bin/ansible-playbook" ] && [ "$(venv_version "$target" || true)" = "$ansible_version" ]; then
  say "present: ansible-playbook $ansible_version ($("$target/bin/python" --version 2>&1)) in $target"
  exit 0
fi

python=""
for version in 3.7.16 3.6.15; do
  candidate="${PYENV_ROOT:-$HOME/.pyenv}/versions/$version/bin/python"
  if [ -x "$candidate" ]; then
    python="$candidate"
    break
  fi
done
[ -n "$python" ] ||
  fail "neither pyenv's CPython 3.7.16 nor 3.6.15 is installed (looked in ${PYENV_ROOT:-$HOME/.pyenv}/versions); Ansible 2.7 needs Python <= 3.7 (e.g. pyenv install 3.7.16)"

start=$SECONDS
mkdir -p "$cache"
# One build at a time: under the lock a build dir left by a killed run is stale and goes, and a venv another run
# finished meanwhile is reused.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.ansible-$ansible_version.lock"
  flock 9
  if [ "$(venv_version "$target" || true)" = "$ansible_version" ]; then
    say "present: ansible-playbook $ansible_version in $target (built by another run)"
    exit 0
  fi
  rm -rf "$cache/.ansible-$ansible_version.build."*
fi
work="$(mktemp -d "$cache/.ansible-$ansible_version.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say "building a venv with $("$python" --version 2>&1) in $work"
"$python" -m venv "$work/venv" || fail "python -m venv failed with $python"
# No bytecode yet: compiled now, it would name the temp dir as its source; it is compiled below for the final path.
"$work/venv/bin/python" -m pip install --quiet --no-compile "${requirements[@]}" ||
  fail "pip install ${requirements[*]} failed"

# The venv's scripts name it in their shebangs (and activate in VIRTUAL_ENV): point them at the final path.
for script in "$work/venv/bin/"*; do
  { [ -f "$script" ] && [ ! -L "$script" ]; } || continue
  if [ "$(head -c 2 "$script")" = '#!' ]; then
    sed -i "1s|^#!$work/venv/|#!$target/|" "$script"
  fi
done
for script in activate activate.csh activate.fish; do
  if [ -f "$work/venv/bin/$script" ]; then sed -i "s|$work/venv|$target|g" "$work/venv/bin/$script"; fi
done
"$work/venv/bin/python" -m compileall -q -d "$target/lib" "$work/venv/lib" >/dev/null ||
  fail "compiling the venv's modules failed"

# Through the venv's python: the shebangs already name the final path. stderr holds only warnings (cryptography's
# about Python 3.7) when it runs, and is shown when it does not.
if ! out="$("$work/venv/bin/python" "$work/venv/bin/ansible-playbook" --version 2>"$work/stderr")"; then
  cat "$work/stderr" >&2
  fail "the new venv's ansible-playbook --version failed"
fi
got="${out%%$'\n'*}"
[ "$got" = "ansible-playbook $ansible_version" ] || fail "the new venv's ansible-playbook reports '$got', not $ansible_version"

# A stale or broken venv at the target moves into the temp dir (removed on exit) just before the new one moves in.
if [ -e "$target" ] || [ -L "$target" ]; then mv "$target" "$work/old"; fi
mv "$work/venv" "$target"
[ "$(venv_version "$target" || true)" = "$ansible_version" ] || fail "ansible-playbook in $target does not report $ansible_version after the rename"
say "built ansible-playbook $ansible_version ($("$target/bin/python" --version 2>&1)) in $target in $((SECONDS - start))s"
"$target/bin/python" -m pip freeze --all 2>/dev/null | grep -i -E '^(ansible|jinja2|markupsafe|pyyaml|netaddr|ruamel\.yaml)==' || true
