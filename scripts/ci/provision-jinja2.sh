#!/usr/bin/env bash
# Builds, once, the Jinja2 that is the oracle of test/integration/jinja2/differential.test.ts: Jinja2 2.11.3 with
# MarkupSafe 2.0.1 (Jinja2 2.x imports soft_unicode, which MarkupSafe 2.1 removed), in a venv at
# ${PAI_DEPLOY_CACHE:-$HOME/.cache/pai-deploy}/jinja2-venv-2.11.3-markupsafe-2.0.1, on pyenv's CPython 3.7.16
# (another CPython <= 3.9 from pyenv as a fallback; Jinja2 2.11 predates 3.10). OpenPAI v1.8.0's dev-box pinned
# nothing (apt's python-jinja2 for paictl on Python 2, an unpinned `pip3 install jinja2`); 2.11 is the last 2.x
# line, and it renders OpenPAI's templates as 2.8-2.10 do. test/support/jinja2.ts finds the venv.
# The venv is built in a temp dir beside the target and renamed into place only once it imports the pinned
# versions, so an interrupted build leaves nothing half-made; a good venv is kept (a no-op). pip is used as
# configured on the machine (no index or mirror is named here).
set -euo pipefail

say() { echo "[provision-jinja2] $*"; }
fail() {
  echo "[provision-jinja2] ERROR: $*" >&2
  exit 1
}

jinja2_version=2.11.3
markupsafe_version=2.0.1
cache="${PAI_DEPLOY_CACHE:-$HOME/.cache/pai-deploy}"
name="jinja2-venv-$jinja2_version-markupsafe-$markupsafe_version"
target="$cache/$name"
expected="$jinja2_version $markupsafe_version"

# Prints "<jinja2 version> <markupsafe version>" as venv $1's python imports them, or fails.
venv_versions() {
  "$1/bin/python" -c 'import jinja2, markupsafe; print(jinja2.__version__, markupsafe.__version__)' 2>/dev/null
}

if [ -x "$target/bin/python" ] && [ "$(venv_versions "$target" || true)" = "$expected" ]; then
  say "present: Jinja2 $jinja2_version, MarkupSafe $markupsafe_version ($("$target/bin/python" --version 2>&1)) in $target"
  exit 0
fi

python=""
for version in 3.7.16 3.8.18 3.9.18 3.6.15; do
  candidate="${PYENV_ROOT:-$HOME/.pyenv}/versions/$version/bin/python"
  if [ -x "$candidate" ]; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  # Any other pyenv CPython 3.6-3.9.
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.[6-9].*/bin/python; do
    if [ -x "$candidate" ]; then
      python="$candidate"
      break
    fi
  done
fi
[ -n "$python" ] ||
  fail "no pyenv CPython 3.6-3.9 is installed (looked in ${PYENV_ROOT:-$HOME/.pyenv}/versions); Jinja2 2.11 needs one (e.g. pyenv install 3.7.16)"

start=$SECONDS
mkdir -p "$cache"
# One build at a time: under the lock a build dir left by a killed run is stale and goes, and a venv another run
# finished meanwhile is reused.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.$name.lock"
  flock 9
  if [ "$(venv_versions "$target" || true)" = "$expected" ]; then
    say "present: Jinja2 $jinja2_version in $target (built by another run)"
    exit 0
  fi
  rm -rf "$cache/.$name.build."*
fi
work="$(mktemp -d "$cache/.$name.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say "building a venv with $("$python" --version 2>&1) in $work"
"$python" -m venv "$work/venv" || fail "python -m venv failed with $python"
"$work/venv/bin/python" -m pip install --quiet --no-compile "Jinja2==$jinja2_version" "MarkupSafe==$markupsafe_version" ||
  fail "pip install Jinja2==$jinja2_version MarkupSafe==$markupsafe_version failed"
[ "$(venv_versions "$work/venv" || true)" = "$expected" ] || fail "the new venv does not import Jinja2 $jinja2_version with MarkupSafe $markupsafe_version"

# Only the python binary is used (by absolute path); the activate scripts still name the build dir, so they go.
rm -f "$work/venv/bin/activate"*
# A stale or broken venv at the target moves into the temp dir (removed on exit) just before the new one moves in.
if [ -e "$target" ] || [ -L "$target" ]; then mv "$target" "$work/old"; fi
mv "$work/venv" "$target"
[ "$(venv_versions "$target" || true)" = "$expected" ] || fail "the venv in $target does not import Jinja2 $jinja2_version after the rename"
say "built Jinja2 $jinja2_version, MarkupSafe $markupsafe_version ($("$target/bin/python" --version 2>&1)) in $target in $((SECONDS - start))s"
