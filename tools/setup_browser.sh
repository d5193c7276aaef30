#!/usr/bin/env bash
# Install headless Chromium and its WebDriver (Debian's `chromium` and
# `chromium-driver`) for the web app's browser test
# (tests/demo/test_ratenet_gradio.py). tools/setup_env.sh calls this.
#
#   bash tools/setup_browser.sh
#
# Does nothing when both are installed. Installing needs root and apt-get;
# where either is missing, or apt-get fails, it says so and still exits 0:
# the browser test is then skipped with that reason, and the rest of the
# set-up goes on.
set -uo pipefail

log() { printf '[setup_browser] %s\n' "$*"; }

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  log "chromium/chromedriver missing and no root apt-get here: the browser" \
      "test will be skipped (as root: apt-get install chromium chromium-driver)"
  exit 0
fi
log "installing chromium and chromium-driver with apt-get"
APT_LOG="$(mktemp)"
if DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$APT_LOG" 2>&1 &&
   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
     chromium chromium-driver >>"$APT_LOG" 2>&1; then
  log "installed $(chromedriver --version | cut -d' ' -f1-2)"
else
  tail -n 20 "$APT_LOG"
  log "apt-get could not install them: the browser test will be skipped"
fi
rm -f "$APT_LOG"
exit 0
