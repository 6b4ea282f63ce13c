#!/bin/sh
# Builds the Go guests (guests/go/examples/* and guests/go/fixtures/*) for WASI preview 1
# as reactors: OUT_DIR/go_<name>.wasm. Fails on the first build error.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/../guests/go"

export GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local
export GOCACHE="${GOCACHE:-$HOME/.cache/ngx-wasm/go-build}"

for dir in examples/*/ fixtures/*/; do
    name=$(basename "$dir")
    go build -buildmode=c-shared -trimpath -o "$out/go_$name.wasm" "./$dir"
done
