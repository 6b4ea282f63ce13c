#!/bin/sh
# Builds the Zig guests (guests/zig/examples/*.zig and guests/zig/fixtures/*.zig) for
# wasm32-freestanding, ReleaseSmall, each with the SDK as module `ngx`:
# OUT_DIR/zig_<name>.wasm. Fails on the first build error.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/../guests/zig"

zig=${ZIG:-python3 -m ziglang}
cache=${ZIG_CACHE:-$HOME/.cache/ngx-wasm/zig}
mkdir -p "$cache"

for src in examples/*.zig fixtures/*.zig; do
    name=$(basename "$src" .zig)
    # shellcheck disable=SC2086 # $zig may be a command with arguments
    $zig build-exe -target wasm32-freestanding -O ReleaseSmall -fno-entry -rdynamic -fstrip \
        --cache-dir "$cache" --global-cache-dir "$cache" \
        --dep ngx -Mroot="$src" -Mngx=ngx.zig \
        --name "zig_$name" -femit-bin="$out/zig_$name.wasm"
done
