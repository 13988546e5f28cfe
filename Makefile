SHELL := /bin/bash
# ngx_http_freshdesk_module: build, demo, tests.
#
#   make          build build/ngx_http_freshdesk_module.so against the
#                 distro nginx (installs missing Debian packages)
#   make demo     start the gateway + fake Freshdesk on 127.0.0.1:$(PORT)
#                 (NODES=2: two nodes on PORT, PORT+1 sharing quotas
#                 through a private Redis; ACCOUNT_RATE=N: the fake
#                 limits its account to N credits a minute and the
#                 gateway guards it; AUTH=oauth: also an OAuth resource
#                 server, with oidc-provider as authorization server)
#   make test     install test tools, build, run the whole suite (prove)
#   make deb      the Debian package libnginx-mod-http-freshdesk
#   make clean    remove build outputs

NGX_SRC   ?= /usr/share/nginx/src
NGX_BIN   ?= /usr/sbin/nginx
BUILD     ?= $(CURDIR)/build
PORT      ?= 8080
NODES     ?= 1
PROVE_J   ?= 2
ACCOUNT_RATE ?=
AUTH      ?=

SO        = $(BUILD)/ngx_http_freshdesk_module.so
SRCS      = ngx_http_freshdesk_module.c $(wildcard src/*.c) $(wildcard src/*.h)

CC_OPT    = -g -O2 -fPIC -fstack-protector-strong -Wformat \
            -Werror=format-security -Wdate-time -D_FORTIFY_SOURCE=2 \
            -Wall -Wextra
LD_OPT    = -Wl,-z,relro -Wl,-z,now -fPIC

ASAN_BUILD = $(CURDIR)/build-asan
ASAN_OPT  = -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
ASAN_LIBS = $(shell gcc -print-file-name=libasan.so) \
            $(shell gcc -print-file-name=libubsan.so)

FUZZ_TIME ?= 60
FUZZ_BUILD = $(CURDIR)/build-fuzz

VALGRIND_TESTS = t/01-protocol.t t/02-upstream.t t/05-subrequest.t \
                 t/06-mcp-2026.t t/09-mcp-2026-early.t t/10-tools.t \
                 t/11-pagination.t t/12-search-query.t t/14-freshdesk-request.t \
                 t/15-tools-scope.t t/16-large-results.t \
                 t/17-subrequest-headers.t t/22-quota-redis.t \
                 t/24-metrics.t t/29-oauth.t t/37-fields.t \
                 t/30-hostile.t

.PHONY: all deps build demo test test-deps test-normal test-asan \
        test-valgrind test-deb deb fuzz bench bench-guard bench-scan clean

all: build

build: deps $(SO)

deps:
	@sh tools/deps.sh build

$(BUILD)/Makefile: config
	@mkdir -p $(BUILD)
	@echo "configure (takes about a minute; reruns only when config changes)"
	. $(NGX_SRC)/conf_flags && cd $(NGX_SRC) && ./configure \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --with-cc-opt='$(CC_OPT) $(EXTRA_CC_OPT)' \
	    --with-ld-opt='$(LD_OPT) $(EXTRA_LD_OPT)' \
	    --add-dynamic-module=$(CURDIR) \
	    --builddir=$(BUILD) > $(BUILD)/configure.log 2>&1 \
	    || { tail -30 $(BUILD)/configure.log; exit 1; }

$(SO): $(BUILD)/Makefile $(SRCS)
	$(MAKE) -s -f $(BUILD)/Makefile -C $(NGX_SRC) modules

demo: build
	@sh tools/demo.sh $(PORT) $(NODES) "$(ACCOUNT_RATE)" $(AUTH)

test-deps:
	@sh tools/deps.sh test
	@bash t/js/setup.sh

# the whole suite: normally, under AddressSanitizer + UBSan, a part of it
# under valgrind, then the fuzzers for FUZZ_TIME seconds each
test: test-normal test-asan test-valgrind fuzz test-deb

test-normal: build test-deps
	prove -j$(PROVE_J) t/

# The module built with -fsanitize=address,undefined, loaded into the
# packaged nginx with the sanitizer runtimes preloaded (nginx-dev has no
# core sources, so nginx itself cannot be rebuilt).  Reports go to the
# error log, where the harness fails on them.
test-asan: test-deps
	$(MAKE) -s BUILD=$(ASAN_BUILD) EXTRA_CC_OPT='$(ASAN_OPT)' \
	    EXTRA_LD_OPT='-fsanitize=address,undefined' build
	FRESHDESK_MODULE=$(ASAN_BUILD)/ngx_http_freshdesk_module.so \
	FRESHDESK_PRELOAD='$(ASAN_LIBS)' \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    prove -j$(PROVE_J) t/

# the tests that need no master process, with one nginx process
# (master_process off) under valgrind memcheck; any error fails
test-valgrind: build test-deps
	FRESHDESK_VALGRIND=1 prove -j$(PROVE_J) $(VALGRIND_TESTS)

# libFuzzer targets (clang, ASan + UBSan) on the seed corpus in fuzz/;
# any crash fails.  make fuzz FUZZ_TIME=600 for a longer run.
fuzz: build
	@sh tools/deps.sh asan
	@sh fuzz/build.sh $(FUZZ_BUILD)
	@sh fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME)

# the Debian package, built the Debian way (dh-sequence-nginx), into
# build/deb/
deb: deps
	@sh tools/deps.sh deb
	@sh tools/deb.sh $(BUILD)/deb

# installs the package with dpkg, nginx -t and a call through it from
# /etc/nginx/modules-enabled in a private prefix, then purges it
test-deb: deb test-deps
	prove t/deb/

# throughput and latency against plain proxy_pass, as a markdown table
# the account guard against the fake's account limit (bench/guard.sh)
bench-guard: build
	@sh tools/deps.sh bench
	@bash bench/guard.sh

bench: build
	@sh tools/deps.sh bench
	@bash bench/run.sh

# the body scanner alone, beside simdjson, on the bench's bodies
bench-scan: build
	@sh tools/deps.sh bench
	@bash bench/scan.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
