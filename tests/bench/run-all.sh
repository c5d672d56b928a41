#!/usr/bin/env bash
# Run every benchmark under tests/bench/ (each prints figures and asserts nothing).
#
#   tests/bench/run-all.sh        standalone: builds build/metrics-adapter first if it is missing
#   ./build.sh bench              builds, installs the tools, then runs this script
#
# Needs wrk and nginx (Debian packages wrk and nginx-light; installed with apt-get when missing).
# MA_BIN, BENCH_ROUNDS, BENCH_SECONDS and BENCH_IDLE_CONNS are passed through (see core.py).
set -euo pipefail

cd "$(dirname "$0")/../.."

if [ -z "${MA_BIN:-}" ] && ! [ -x build/metrics-adapter ]; then
    echo "==> build/metrics-adapter missing: running ./build.sh" >&2
    ./build.sh
fi

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "==> installing ${missing[*]}" >&2
    $sudo apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

status=0
for f in tests/bench/*.py tests/bench/*.sh; do
    [ -e "$f" ] || continue
    case "$(basename "$f")" in run-all.sh) continue ;; esac
    echo "==> $f"
    case "$f" in
        *.py) python3 "$f" || { echo "==> $f failed (exit $?)"; status=1; } ;;
        *.sh) bash "$f" || { echo "==> $f failed (exit $?)"; status=1; } ;;
    esac
done
exit "$status"
