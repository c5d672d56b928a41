# metrics-adapter build rules. build.sh prepares vendor/ (pinned, verified sources) and then runs
# make; nothing here touches the network.
#
#   make                 build/metrics-adapter: static musl binary, stripped
#   make unit            ASan+UBSan unit tests (host compiler, glibc) under build/tests/
#   make fuzz            libFuzzer targets under build/fuzz/ (clang)
#   make arm64           build/arm64/metrics-adapter: the same product cross-compiled for linux/arm64
#                        with Debian's aarch64-linux-musl-gcc (musl-dev:arm64); objects in build/arm64/

BEARSSL_DIR := vendor/bearssl-0.6
JSMN_DIR    := vendor/jsmn
MUSL_CC     ?= musl-gcc
ARM64_CC    ?= aarch64-linux-musl-gcc
ARM64_AR    ?= aarch64-linux-gnu-ar
HOST_CC     ?= gcc
FUZZ_CC     ?= clang
VERSION     := $(shell cat VERSION)
GIT_COMMIT  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# Objects that embed the commit are rebuilt when HEAD moves (make only sees file times): the stamp
# file is rewritten only when its content would change.
GIT_STAMP := build/git-commit
$(shell mkdir -p build; echo '$(GIT_COMMIT)' | cmp -s - $(GIT_STAMP) || echo '$(GIT_COMMIT)' > $(GIT_STAMP))
COMMIT_USERS := main api/health

SRC     := $(shell find src -name '*.c' | LC_ALL=C sort)
LIB_SRC := $(filter-out src/main.c,$(SRC))
BR_SRC  := $(sort $(wildcard $(BEARSSL_DIR)/src/*/*.c))
HDRS    := $(shell find src -name '*.h')

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
CPPFLAGS_MA := -std=c11 -D_GNU_SOURCE -Isrc -I$(BEARSSL_DIR)/inc -I$(JSMN_DIR) \
               -DMA_VERSION=\"$(VERSION)\" -DMA_GIT_COMMIT=\"$(GIT_COMMIT)\"
BR_CFLAGS := -I$(BEARSSL_DIR)/inc -I$(BEARSSL_DIR)/src -fPIC

# --- product: musl, static, sections collected --------------------------------------------------
# Our code is compiled for size (-Os) except the modules every request runs through, which keep
# -O2: measured, -Os everywhere else saves 37 KB of a 436 KB binary; the request path keeps its
# speed (tests/bench/core.py). BearSSL keeps -O2 (handshake and record speed).
PROD_FLAGS  := -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
               -fstack-protector-strong -D_FORTIFY_SOURCE=2
PROD_OPT    := -O2 $(PROD_FLAGS)
PROD_HOT    := src/json/write.c src/http/server.c src/http/parse.c src/http/resp.c \
               src/tls/io.c src/kube/quantity.c src/base/buf.c src/base/time.c \
               $(wildcard src/api/*.c src/net/*.c)
PROD_COLD   := $(filter-out $(PROD_HOT),$(SRC))
$(foreach d,build/musl build/arm64,$(patsubst src/%.c,$(d)/obj/%.o,$(PROD_COLD))): \
    PROD_OPT := -Os $(PROD_FLAGS)

# One set of product rules per target architecture, each in its own object directory so the two
# never mix: $(call product_rules,DIR,CC,AR,BINARY). BearSSL and jsmn are compiled from vendor/
# sources by the same compiler as our code, so the cross build needs no prebuilt third-party object.
define product_rules
$(1)/br/%.o: $$(BEARSSL_DIR)/src/%.c
	@mkdir -p $$(dir $$@)
	$(2) $$(PROD_OPT) $$(BR_CFLAGS) -c $$< -o $$@

$(1)/libbearssl.a: $$(patsubst $$(BEARSSL_DIR)/src/%.c,$(1)/br/%.o,$$(BR_SRC))
	rm -f $$@ && $(3) rcs $$@ $$^

$(1)/obj/%.o: src/%.c $$(HDRS)
	@mkdir -p $$(dir $$@)
	$(2) $$(PROD_OPT) $$(WARN) $$(CPPFLAGS_MA) -c $$< -o $$@

$(foreach u,$(COMMIT_USERS),$(1)/obj/$(u).o): $$(GIT_STAMP)

$(4): $$(patsubst src/%.c,$(1)/obj/%.o,$$(SRC)) $(1)/libbearssl.a
	@mkdir -p $$(dir $$@)
	$(2) -static -Wl,--gc-sections -s -o $$@ $$(patsubst src/%.c,$(1)/obj/%.o,$$(SRC)) $(1)/libbearssl.a
endef

all: build/metrics-adapter

arm64: build/arm64/metrics-adapter

$(eval $(call product_rules,build/musl,$(MUSL_CC),ar,build/metrics-adapter))
$(eval $(call product_rules,build/arm64,$(ARM64_CC),$(ARM64_AR),build/arm64/metrics-adapter))

$(foreach u,$(COMMIT_USERS),build/host/obj/$(u).o build/fuzz/obj/$(u).o): $(GIT_STAMP)

# --- unit tests: host compiler, glibc, ASan + UBSan ---------------------------------------------
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HOST_OPT   := -O1 -g $(SAN)
HOST_BR_OBJ := $(patsubst $(BEARSSL_DIR)/src/%.c,build/host/br/%.o,$(BR_SRC))
HOST_OBJ   := $(patsubst src/%.c,build/host/obj/%.o,$(LIB_SRC))
UNIT_SRC   := $(shell find tests/unit -name '*_test.c' | LC_ALL=C sort)
UNIT_BIN   := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRC))

build/host/br/%.o: $(BEARSSL_DIR)/src/%.c
	@mkdir -p $(dir $@)
	$(HOST_CC) -O2 $(BR_CFLAGS) -c $< -o $@

build/host/libbearssl.a: $(HOST_BR_OBJ)
	rm -f $@ && ar rcs $@ $^

build/host/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_OPT) $(WARN) $(CPPFLAGS_MA) -DMA_TESTING -c $< -o $@

build/host/libma.a: $(HOST_OBJ)
	rm -f $@ && ar rcs $@ $^

# A test may #include the .c it tests to reach its statics; the archive then only supplies
# what the test does not define itself.
build/tests/%: tests/unit/%.c tests/unit/t.h build/host/libma.a build/host/libbearssl.a $(HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_OPT) $(WARN) $(CPPFLAGS_MA) -DMA_TESTING -Itests/unit -o $@ $< \
	    build/host/libma.a build/host/libbearssl.a -lm

unit: $(UNIT_BIN)

# --- fuzz targets: clang libFuzzer + ASan + UBSan ----------------------------------------------
FUZZ_SAN  := -fsanitize=fuzzer-no-link,address,undefined -g -O1
FUZZ_OBJ  := $(patsubst src/%.c,build/fuzz/obj/%.o,$(LIB_SRC))
FUZZ_SRC  := $(shell find tests/fuzz -maxdepth 1 -name '*.c' | LC_ALL=C sort)
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

build/fuzz/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) $(CPPFLAGS_MA) -DMA_TESTING -c $< -o $@

build/fuzz/libma.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libma.a build/host/libbearssl.a $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -g -O1 $(CPPFLAGS_MA) -DMA_TESTING -Itests/unit -o $@ $< \
	    build/fuzz/libma.a build/host/libbearssl.a -lm

fuzz: $(FUZZ_BIN)

clean:
	rm -rf build

.PHONY: all arm64 unit fuzz clean
.SECONDARY:
