# ngx_wasm: everything a fresh Debian 12 machine needs is installed by these targets.
#
#   make start   install what is missing, build nginx + module + guests, serve 127.0.0.1:18080
#   make stop    stop that nginx
#   make test    build what is missing, lint, unit tests, then the t/ conformance suite
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

# Build against another configured nginx tree (e.g. Debian's nginx-dev source):
#   make build NGINX_DIR=/path/to/configured/nginx
NGINX_DIR     ?=
ifneq ($(NGINX_DIR),)
  NGX_ENV      := NGINX_SOURCE_DIR=$(abspath $(NGINX_DIR)) NGINX_BUILD_DIR=$(abspath $(NGINX_DIR))/objs
  NGX_FEATURES := --no-default-features --features export-modules,wasmtime
  TARGET_DIR   := $(CACHE_DIR)/target-$(subst /,_,$(abspath $(NGINX_DIR)))
else
  NGX_ENV      :=
  NGX_FEATURES :=
endif

MODULE_SO     := $(TARGET_DIR)/$(PROFILE)/libngx_wasm.so
RUNNER        := $(TARGET_DIR)/$(PROFILE)/test-nginx
# The nginx binary the vendored build (nginx-src, 1.28) produced; overridable.
NGINX_BIN     ?= $(shell ls -t $(TARGET_DIR)/$(PROFILE)/build/nginx-sys-*/out/objs/nginx 2>/dev/null | head -n 1)

APT_PACKAGES  := libclang-dev libpcre2-dev zlib1g-dev libssl-dev pkg-config make gcc curl

START_PORT    ?= 18080
RUN_DIR       := $(BUILD)/run

export CARGO_TARGET_DIR := $(TARGET_DIR)

.PHONY: help deps build wasm start stop test unit lint conformance fmt clean

help:
	@sed -n '2,8p' Makefile | sed 's/^# \{0,1\}//'

deps: ## Debian packages and the wasm32 target, installed only when missing
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

build: deps ## nginx (vendored 1.28 unless NGINX_DIR is set), the module .so and the test runner
	$(NGX_ENV) $(CARGO) build --$(PROFILE) --locked -p ngx-wasm $(NGX_FEATURES)
	$(CARGO) build --$(PROFILE) --locked -p test-nginx

wasm: deps ## the guest fixtures, into build/guests
	cd guests && CARGO_TARGET_DIR=$(GUESTS_TARGET) $(CARGO) build --release --locked --target wasm32-unknown-unknown
	@mkdir -p $(GUESTS_OUT)
	@cp $(GUESTS_TARGET)/wasm32-unknown-unknown/release/*.wasm $(GUESTS_OUT)/
	@ls $(GUESTS_OUT)

start: build wasm ## nginx on 127.0.0.1:$(START_PORT) with /hello from a wasm guest, and /health
	@test -x "$(NGINX_BIN)" || { echo "no nginx binary found under $(TARGET_DIR)"; exit 1; }
	@scripts/start.sh "$(NGINX_BIN)" "$(MODULE_SO)" "$(GUESTS_OUT)" "$(RUN_DIR)" "$(START_PORT)"

stop:
	@if [ -f $(RUN_DIR)/logs/nginx.pid ] && kill -0 $$(cat $(RUN_DIR)/logs/nginx.pid) 2>/dev/null; then \
	  kill -QUIT $$(cat $(RUN_DIR)/logs/nginx.pid); \
	  for i in $$(seq 50); do kill -0 $$(cat $(RUN_DIR)/logs/nginx.pid 2>/dev/null) 2>/dev/null || break; sleep 0.1; done; \
	  echo "nginx stopped"; \
	else echo "nginx is not running"; fi

lint: ## rustfmt and clippy, warnings as errors
	$(CARGO) fmt --all --check
	cd guests && $(CARGO) fmt --all --check
	cd guests && CARGO_TARGET_DIR=$(GUESTS_TARGET) $(CARGO) clippy --release --locked --target wasm32-unknown-unknown -- -D warnings
	$(CARGO) clippy --$(PROFILE) --locked --all-targets -- -D warnings

unit: ## nginx-free unit tests (engine-api ABI, the runner's parser)
	$(CARGO) test --$(PROFILE) --locked -p engine-api -p test-nginx

conformance: build wasm ## the t/ suite against nginx with the module loaded
	TEST_NGINX_BINARY=$(NGINX_BIN) TEST_NGINX_LOAD_MODULES=$(MODULE_SO) \
	TEST_NGINX_GUESTS=$(GUESTS_OUT) TEST_NGINX_SERVROOT=$(BUILD)/servroot \
	  $(RUNNER) t/*.t

test: build wasm lint unit conformance ## everything CI checks

fmt:
	$(CARGO) fmt --all
	cd guests && $(CARGO) fmt --all

clean:
	rm -rf $(BUILD)
