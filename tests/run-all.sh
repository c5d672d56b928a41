#!/usr/bin/env bash
# Run every test suite and print one summary line: "N passed, N failed".
#   1. unit tests (build/tests/**/_test, ASan+UBSan): each prints its own "N passed, N failed"
#   2. fuzz corpus replay: each libFuzzer target runs once over tests/fuzz/corpus/<name>/
#   3. integration tests (tests/integration/NN-*.py) against build/metrics-adapter
#   4. cluster: tests/cluster/run.py, a real kube-apiserver and HPA controller (build/cluster/bin)
# build.sh test builds everything first; this script builds nothing.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
failed_names=()
logdir=$(mktemp -d)

count_line() { # file -> sets p f from the last "N passed, N failed" line
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then p=0; f=1; return; fi
    p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
}

run_suite() { # name command...
    local name=$1 out rc
    shift
    out="$logdir/$(echo "$name" | tr '/ ' '__').log"
    "$@" >"$out" 2>&1
    rc=$?
    count_line "$out"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        failed_names+=("$name")
        echo "---- FAILED: $name (exit $rc); last lines:"
        tail -n 40 "$out"
    fi
    printf '%-40s %s passed, %s failed\n' "$name" "$p" "$f"
}

fuzz_replay() { # target corpus-dir raw-log: one test per target, the replay of its corpus
    local rc
    "$1" -runs=0 "$2" >"$3" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "1 passed, 0 failed"
    else
        tail -n 30 "$3"
        echo "0 passed, 1 failed"
    fi
    return "$rc"
}

echo "== unit tests"
for t in $(find build/tests -type f -name '*_test' | LC_ALL=C sort); do
    run_suite "unit/${t#build/tests/}" "$t"
done

echo "== fuzz corpus replay"
for t in $(find build/fuzz -maxdepth 1 -type f -perm -u+x | LC_ALL=C sort); do
    name=$(basename "$t")
    corpus=tests/fuzz/corpus/$name
    [ -d "$corpus" ] || corpus=$(mktemp -d)
    run_suite "fuzz/$name" fuzz_replay "$t" "$corpus" "$logdir/fuzz-$name.raw"
done

echo "== integration tests"
for t in $(find tests/integration -maxdepth 1 -name '[0-9][0-9]-*.py' | LC_ALL=C sort); do
    run_suite "integration/$(basename "$t")" python3 "$t"
done

echo "== cluster (real kube-apiserver, kube-controller-manager, etcd)"
run_suite "cluster/run.py" python3 tests/cluster/run.py

rm -rf "$logdir"
if [ "${#failed_names[@]}" -gt 0 ]; then
    echo "failed suites: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
