#!/usr/bin/env bash
# Builds the AssemblyScript guests: guests/assemblyscript/{examples,fixtures}/*.ts into
# OUT_DIR/as_<name>.wasm, with the AssemblyScript compiler pinned in package-lock.json
# (installed from npm into guests/assemblyscript/node_modules when missing).
set -euo pipefail
out=${1:?usage: build-as-guests.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/../guests/assemblyscript"
if [ ! -x node_modules/.bin/asc ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# incremental: the default runtime, with a collector (a worker instance serves many
# requests); abort logs its reason and traps (ngx/index.ts).
for f in examples/*.ts fixtures/*.ts; do
  name=$(basename "$f" .ts)
  node_modules/.bin/asc "$f" -o "$out/as_$name.wasm" -O3 --runtime incremental \
    --use abort=ngx/index/abort
done
