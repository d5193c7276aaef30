#!/usr/bin/env bash
# Create (or verify) the project's virtual environment with the pinned MMagic stack.
#
#   bash tools/setup_env.sh          # -> .venv/ in the repository root
#   RATENET_VENV=/path bash tools/setup_env.sh
#
# Idempotent: a second run that finds the same requirement files installed and
# `import ratenet_plugin, mmagic.models, mmcv.ops` working returns in seconds.
# mmcv 2.1.0 has no wheel for this torch, so it is compiled from source once
# (~10 min on 2 cores); pip caches the wheel. pip keys that cache by the sdist,
# not by the torch it was built against, so a wheel built against another torch
# is detected by the `import mmcv.ops` check and rebuilt without the cache.
# Also installs Debian's chromium + chromium-driver for the web app's browser
# test when they are missing and apt-get can run (tools/setup_browser.sh;
# never fatal).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RATENET_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3.11}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
STAMP="$VENV/.ratenet-setup-stamp"

log() { printf '[setup_env] %s\n' "$*"; }

stamp_of_requirements() {
  cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" | sha256sum | cut -d' ' -f1
}

env_works() {
  "$VENV/bin/python" -c "import ratenet_plugin, mmagic.models, mmcv.ops" >/dev/null 2>&1
}

# The web app's browser test needs Chromium (a system package, not in .venv);
# never fatal: without root/apt the test is skipped with the reason.
bash "$ROOT/tools/setup_browser.sh"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_of_requirements)" ]] && env_works; then
  log "environment at $VENV is up to date"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating virtual environment $VENV with $PYTHON_BIN"
  "$PYTHON_BIN" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c "$CONSTRAINTS")

log "installing build tools and torch"
"${PIP[@]}" -r "$ROOT/requirements/build.txt"
"${PIP[@]}" torch torchvision "numpy<2"

mmcv_ops_work() {
  "$VENV/bin/python" -c "import mmcv.ops" >/dev/null 2>&1
}
if ! mmcv_ops_work; then
  log "building mmcv 2.1.0 with compiled ops (about 10 minutes on 2 cores the first time)"
  MAX_JOBS="${MAX_JOBS:-2}" "${PIP[@]}" --no-build-isolation mmcv
  if ! mmcv_ops_work; then
    log "cached mmcv wheel does not match this torch; rebuilding without the cache"
    "$VENV/bin/python" -m pip uninstall -y mmcv
    MAX_JOBS="${MAX_JOBS:-2}" "${PIP[@]}" --no-build-isolation --no-cache-dir mmcv
  fi
fi

log "installing runtime, web app and test requirements"
"${PIP[@]}" -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/demo.txt" \
  -r "$ROOT/requirements/tests.txt"
log "installing ratenet_plugin (editable)"
"${PIP[@]}" --no-build-isolation --no-deps -e "$ROOT"

"$VENV/bin/python" -m pip check
env_works || { log "ERROR: 'import ratenet_plugin, mmagic.models, mmcv.ops' fails in $VENV"; exit 1; }
stamp_of_requirements > "$STAMP"
log "environment ready: $VENV"
