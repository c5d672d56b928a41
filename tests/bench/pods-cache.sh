#!/usr/bin/env bash
# Pods cache benchmark (issue 3): RSS per cached pod, insert time, selector lookup latency.
# Builds tests/bench/pods_cache.c with -O2 against the sources, once with gcc (glibc malloc) and,
# when musl-gcc is installed, once static with musl (the product's allocator, whose per-pod
# overhead is the figure that matters). Prints figures; asserts nothing.
set -euo pipefail

cd "$(dirname "$0")/../.."

SRCS=(src/kube/pod.c src/kube/store.c src/kube/selector.c src/json/read.c src/json/jsmn.c src/json/write.c
      src/base/mem.c src/base/err.c src/base/time.c src/base/log.c src/base/buf.c src/base/str.c src/base/sorted.c)
FLAGS=(-std=c11 -D_GNU_SOURCE -O2 -Isrc -Ivendor/jsmn -Wall -Wextra -Wno-missing-field-initializers)
out=build/bench
mkdir -p "$out"

gcc "${FLAGS[@]}" -DMA_BENCH_LIBC='"gcc -O2, glibc malloc"' -o "$out/pods_cache" \
    tests/bench/pods_cache.c "${SRCS[@]}"
"$out/pods_cache"

if command -v musl-gcc >/dev/null 2>&1; then
    musl-gcc -static "${FLAGS[@]}" -DMA_BENCH_LIBC='"musl-gcc -O2 -static, musl malloc"' \
        -o "$out/pods_cache_musl" tests/bench/pods_cache.c "${SRCS[@]}"
    "$out/pods_cache_musl"
fi
