# metrics-adapter build rules. build.sh prepares vendor/ (pinned, verified sources) and then runs
# make; nothing here touches the network.
#
#   make                 build/metrics-adapter: static musl binary, stripped
#   make unit            ASan+UBSan unit tests (host compiler, glibc) under build/tests/
#   make fuzz            libFuzzer targets under build/fuzz/ (clang)

BEARSSL_DIR := vendor/bearssl-0.6
JSMN_DIR    := vendor/jsmn
MUSL_CC     ?= musl-gcc
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
PROD_COLD_OBJ := $(patsubst src/%.c,build/musl/obj/%.o,$(filter-out $(PROD_HOT),$(SRC)))
$(PROD_COLD_OBJ): PROD_OPT := -Os $(PROD_FLAGS)
PROD_BR_OBJ := $(patsubst $(BEARSSL_DIR)/src/%.c,build/musl/br/%.o,$(BR_SRC))
PROD_OBJ    := $(patsubst src/%.c,build/musl/obj/%.o,$(SRC))

all: build/metrics-adapter

$(foreach u,$(COMMIT_USERS),build/musl/obj/$(u).o build/host/obj/$(u).o build/fuzz/obj/$(u).o): $(GIT_STAMP)

build/musl/br/%.o: $(BEARSSL_DIR)/src/%.c
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(PROD_OPT) $(BR_CFLAGS) -c $< -o $@

build/musl/libbearssl.a: $(PROD_BR_OBJ)
	rm -f $@ && ar rcs $@ $^

build/musl/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(PROD_OPT) $(WARN) $(CPPFLAGS_MA) -c $< -o $@

build/metrics-adapter: $(PROD_OBJ) build/musl/libbearssl.a
	$(MUSL_CC) -static -Wl,--gc-sections -s -o $@ $(PROD_OBJ) build/musl/libbearssl.a

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

.PHONY: all unit fuzz clean
.SECONDARY:
