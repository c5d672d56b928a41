#!/usr/bin/env bash
# metrics-adapter build driver.
#
#   ./build.sh          fetch/verify pinned sources, build build/metrics-adapter (static, musl)
#   ./build.sh run      build, then start the adapter in demo mode on https://127.0.0.1:6443
#   ./build.sh run-falcon   build, then run the Open-Falcon backend against the fake kube-apiserver
#                           and fake Open-Falcon of tests/fakes (prints push and kubectl commands)
#   ./build.sh test     build, then run every test; ends with "N passed, N failed"
#   ./build.sh cluster  build, then start a real control plane (etcd, kube-apiserver,
#                       kube-controller-manager from tests/cluster) with the adapter registered and
#                       deploy/samples applied; prints the KUBECONFIG to use (Ctrl-C stops it)
#   ./build.sh cluster-bins  only build (or find cached) build/cluster/bin/
#   ./build.sh bench    build, then run the benchmarks under tests/bench/ (prints figures)
#   ./build.sh image    build amd64 and arm64 (cross, musl), then write the reproducible OCI archive
#                       build/image/metrics-adapter-<version>.oci.tar and its SPDX SBOM (no daemon)
#   ./build.sh clean    remove build/ (vendor/dl/ is kept for airgapped rebuilds)
#
# Debian packages the build or the tests need are installed with apt-get when missing.
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)
LOCK=vendor/lock
DL=vendor/dl
JOBS=$(nproc 2>/dev/null || echo 2)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        as_root apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || die "apt-get update failed"
        APT_UPDATED=1
    fi
}

# need_pkgs CMD:PACKAGE ... : install PACKAGE when CMD is not on PATH
need_pkgs() {
    local missing=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    apt_update_once
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        "${missing[@]}" >&2 \
        || die "apt-get install ${missing[*]} failed"
}

# need_files FILE:PACKAGE ... : install PACKAGE when FILE does not exist
need_files() {
    local missing=() pair
    for pair in "$@"; do
        [ -e "${pair%%:*}" ] || missing+=("${pair#*:}")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    apt_update_once
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        "${missing[@]}" >&2 \
        || die "apt-get install ${missing[*]} failed"
}

# ---- pinned sources --------------------------------------------------------------------------

# Rows whose package carries an architecture (musl-dev:arm64) serve only the cross build: they are
# fetched and verified when that architecture is wanted (./build.sh image sets LOCK_ARCHES).
LOCK_ARCHES=""
lock_rows() {
    grep -v '^[[:space:]]*#' "$LOCK" | grep -v '^[[:space:]]*$' \
        | awk -v want=" $LOCK_ARCHES " '{ n = split($2, p, ":"); if (n == 1 || index(want, " " p[2] " ")) print }'
}

# dpkg must know a foreign architecture before apt can fetch or dpkg can install its packages.
ensure_foreign_arch() {
    dpkg --print-foreign-architectures | grep -qx "$1" && return 0
    log "dpkg --add-architecture $1"
    as_root dpkg --add-architecture "$1" || die "dpkg --add-architecture $1 failed"
    APT_UPDATED=0
}

verify_file() { # file sha256
    [ -f "$DL/$1" ] && [ "$(sha256sum "$DL/$1" | cut -d' ' -f1)" = "$2" ]
}

# A deb-src entry mirroring the machine's own deb entries, so apt-get source works without us
# ever naming a host: deb822 files get "Types: deb-src", one-line files get "deb-src" lines.
ensure_deb_src() {
    local out=/etc/apt/sources.list.d/metrics-adapter-src.sources f
    local out_list=/etc/apt/sources.list.d/metrics-adapter-src.list
    if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        || grep -qs '^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; then
        return 0
    fi
    log "adding deb-src entries derived from the existing apt sources"
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        case "$f" in *metrics-adapter-src*) continue ;; esac
        grep -q '^Types:.*\bdeb\b' "$f" || continue
        sed -e 's/^Types:.*/Types: deb-src/' "$f"
        echo
    done | as_root tee "$out" >/dev/null
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        grep -E '^deb ' "$f" | sed -e 's/^deb /deb-src /' || true
    done | as_root tee "$out_list" >/dev/null
    [ -s "$out" ] || as_root rm -f "$out"
    [ -s "$out_list" ] || as_root rm -f "$out_list"
    APT_UPDATED=0
}

fetch_missing() {
    local how pkg ver file sum need_src=0 need_deb=()
    while read -r how pkg ver file sum; do
        verify_file "$file" "$sum" && continue
        case "$how" in
            deb-src) need_src=1; src_pkg="$pkg"; src_ver="$ver" ;;
            deb)
                need_deb+=("$pkg=$ver")
                case "$pkg" in *:*) ensure_foreign_arch "${pkg#*:}" ;; esac
                ;;
            *) die "$LOCK: unknown kind '$how'" ;;
        esac
    done < <(lock_rows)
    if [ "$need_src" -eq 0 ] && [ "${#need_deb[@]}" -eq 0 ]; then
        return 0
    fi
    mkdir -p "$DL"
    need_pkgs apt-get:apt dpkg-source:dpkg-dev
    if [ "$need_src" -eq 1 ]; then
        ensure_deb_src
        apt_update_once
        log "fetching source package $src_pkg=$src_ver"
        (cd "$DL" && apt-get source --download-only -qq "$src_pkg=$src_ver" 2>&1 \
            | grep -v 'unsandboxed' >&2) || true
    fi
    if [ "${#need_deb[@]}" -gt 0 ]; then
        apt_update_once
        log "fetching ${need_deb[*]}"
        (cd "$DL" && apt-get download -qq "${need_deb[@]}" 2>&1 | grep -v 'unsandboxed' >&2) || true
    fi
}

verify_all() {
    local how pkg ver file sum bad=0
    while read -r how pkg ver file sum; do
        if ! [ -f "$DL/$file" ]; then
            echo "build.sh: missing $DL/$file ($pkg $ver)" >&2; bad=1
        elif ! verify_file "$file" "$sum"; then
            echo "build.sh: sha256 mismatch for $DL/$file: want $sum" >&2; bad=1
        fi
    done < <(lock_rows)
    [ "$bad" -eq 0 ] || die "pinned sources failed verification (see $LOCK)"
}

unpack() {
    local stamp=vendor/.unpacked
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha256sum "$LOCK" | cut -d' ' -f1)" ] \
        && [ -f vendor/bearssl-0.6/inc/bearssl.h ] && [ -f vendor/jsmn/jsmn.h ]; then
        return 0
    fi
    log "unpacking BearSSL and jsmn into vendor/"
    rm -rf vendor/bearssl-0.6 vendor/jsmn vendor/.jsmn-deb
    tar -C vendor -xJf "$DL"/bearssl_*.orig.tar.xz
    [ -f vendor/bearssl-0.6/inc/bearssl.h ] || die "unexpected BearSSL tarball layout"
    mkdir -p vendor/jsmn vendor/.jsmn-deb
    dpkg-deb -x "$DL"/libjsmn-dev_*.deb vendor/.jsmn-deb
    cp vendor/.jsmn-deb/usr/include/jsmn.h vendor/jsmn/jsmn.h
    rm -rf vendor/.jsmn-deb
    sha256sum "$LOCK" | cut -d' ' -f1 > "$stamp"
}

# musl-gcc from the pinned .debs when missing or of another version.
ensure_musl() {
    local want have
    want=$(lock_rows | awk '$2 == "musl-tools" { print $3 }')
    have=$(dpkg-query -W -f='${Version}' musl-tools 2>/dev/null || true)
    if command -v musl-gcc >/dev/null 2>&1 && [ "$have" = "$want" ]; then
        return 0
    fi
    log "installing musl $want from vendor/dl"
    local arch
    arch=$(dpkg --print-architecture)
    as_root dpkg -i "$DL"/musl_*_"$arch".deb "$DL"/musl-dev_*_"$arch".deb "$DL"/musl-tools_*_"$arch".deb >&2 \
        || die "dpkg -i musl failed"
}

# aarch64-linux-musl-gcc: Debian's musl-dev:arm64 (pinned .debs) wraps the aarch64 GNU cross gcc
# with musl's specs; gcc-aarch64-linux-gnu is a toolchain like gcc itself, so it comes from apt.
ensure_musl_arm64() {
    local want have
    want=$(lock_rows | awk '$2 == "musl-dev:arm64" { print $3 }')
    [ -n "$want" ] || die "$LOCK: no musl-dev:arm64 row"
    need_pkgs aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu
    have=$(dpkg-query -W -f='${Version}' musl-dev:arm64 2>/dev/null || true)
    if command -v aarch64-linux-musl-gcc >/dev/null 2>&1 && [ "$have" = "$want" ]; then
        return 0
    fi
    ensure_foreign_arch arm64
    log "installing musl-dev:arm64 $want from vendor/dl"
    as_root dpkg -i "$DL"/musl_*_arm64.deb "$DL"/musl-dev_*_arm64.deb >&2 \
        || die "dpkg -i musl:arm64 failed"
}

prepare_vendor() {
    need_pkgs sha256sum:coreutils tar:tar xz:xz-utils make:make gcc:gcc dpkg-deb:dpkg file:file
    fetch_missing
    verify_all
    unpack
    ensure_musl
}

build() {
    prepare_vendor
    log "building build/metrics-adapter"
    make -s -j"$JOBS" all
    file build/metrics-adapter | grep -q 'statically linked' \
        || die "build/metrics-adapter is not statically linked"
    log "build/metrics-adapter: $(stat -c %s build/metrics-adapter) bytes, static"
}

# The reproducible OCI archive: both static binaries, an SPDX SBOM, one layer per architecture.
# Timestamps come from the commit (SOURCE_DATE_EPOCH), so two builds of one commit are identical.
image() {
    build
    LOCK_ARCHES="arm64"
    prepare_vendor
    ensure_musl_arm64
    log "building build/arm64/metrics-adapter (cross, musl)"
    make -s -j"$JOBS" arm64
    file build/arm64/metrics-adapter | grep -q 'ARM aarch64.*statically linked' \
        || die "build/arm64/metrics-adapter is not a static aarch64 binary"
    need_pkgs python3:python3
    local epoch version
    version=$(cat VERSION)
    epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || true)}
    [ -n "$epoch" ] || die "no git commit time: set SOURCE_DATE_EPOCH"
    log "writing build/image/metrics-adapter-$version.oci.tar"
    python3 scratch-image/mkoci.py --version "$version" \
        --revision "$(git rev-parse HEAD 2>/dev/null || echo unknown)" --epoch "$epoch" \
        --lock "$LOCK" --dl "$DL" \
        --binary amd64=build/metrics-adapter --binary arm64=build/arm64/metrics-adapter \
        --out-dir build/image
}

# The real control plane for tests/cluster (test tools only, never in the product or the image):
# etcd, kube-apiserver, kube-controller-manager and kubectl built from the Go module tests/cluster
# (one Kubernetes release pins every k8s.io module). Cached: the stamp is keyed on go.mod, go.sum,
# the Go version and the flags, and the default GOMODCACHE/GOCACHE are reused across runs.
CLUSTER_BIN=build/cluster/bin
find_go() {
    GO=$(command -v go 2>/dev/null || true)
    [ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; } || true
    [ -n "$GO" ]
}
cluster_bins() {
    local kver stamp want bins="etcd kube-apiserver kube-controller-manager kubectl" b ok=1 t0 ldflags
    find_go || die "no Go toolchain (go on PATH or /usr/local/go/bin/go): tests/cluster needs it"
    kver=$(sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[0-9.]*\).*/\1/p' tests/cluster/go.mod)
    [ -n "$kver" ] || die "tests/cluster/go.mod does not require k8s.io/kubernetes"
    ldflags="-s -w"
    for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags="$ldflags -X $v.gitVersion=$kver -X $v.gitMajor=$(echo "${kver#v}" | cut -d. -f1)"
        ldflags="$ldflags -X $v.gitMinor=$(echo "$kver" | cut -d. -f2) -X $v.gitTreeState=clean"
        ldflags="$ldflags -X $v.buildDate=1970-01-01T00:00:00Z"
    done
    want=$(cat tests/cluster/go.mod tests/cluster/go.sum | sha256sum | cut -d' ' -f1)
    want="$want $("$GO" env GOVERSION) $(echo "$ldflags" | sha256sum | cut -c1-16)"
    stamp=$CLUSTER_BIN/.stamp
    for b in $bins; do [ -x "$CLUSTER_BIN/$b" ] || ok=0; done
    if [ "$ok" = 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        log "$CLUSTER_BIN: etcd, kube-apiserver, kube-controller-manager, kubectl $kver (cached)"
        return 0
    fi
    mkdir -p "$CLUSTER_BIN"
    rm -f "$stamp"
    log "building $CLUSTER_BIN (Kubernetes $kver; cold: tens of minutes on 2 cores)"
    t0=$(date +%s)
    # One go build for all four shares the compile of their common packages.
    (cd tests/cluster && CGO_ENABLED=0 nice -n 10 "$GO" build -mod=readonly -ldflags "$ldflags" \
        -o "$ROOT/$CLUSTER_BIN/" \
        go.etcd.io/etcd/server/v3 \
        k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kubectl) || die "building $CLUSTER_BIN failed"
    # The etcd server module's main package is its module root: go names the binary "server".
    mv -f "$CLUSTER_BIN/server" "$CLUSTER_BIN/etcd"
    echo "$want" >"$stamp"
    log "$CLUSTER_BIN built in $(($(date +%s) - t0)) s"
}

cluster_deps() {
    need_pkgs python3:python3 openssl:openssl
}

test_deps() {
    need_pkgs clang:clang python3:python3 openssl:openssl curl:curl file:file
    need_pkgs skopeo:skopeo podman:podman qemu-aarch64-static:qemu-user-static
    need_files /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
    command -v kubectl >/dev/null 2>&1 || need_pkgs kubectl:kubernetes-client
    need_prometheus
}

# Debian's prometheus server for the Prometheus backend's tests (tests/integration/promutil.py
# starts its own on a free loopback port). Without recommends (no node exporter, no web assets
# the tests do not use). On a host with systemd the package starts a service on :9090: the tests
# never use it, and it is stopped so that it does not linger.
need_prometheus() {
    command -v prometheus >/dev/null 2>&1 && return 0
    apt_update_once
    log "installing prometheus"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends prometheus >&2 || die "apt-get install prometheus failed"
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
        as_root systemctl disable --now prometheus >&2 || true
    fi
}

cmd=${1:-build}
case "$cmd" in
    build | "")
        build
        ;;
    run)
        build
        shift || true
        log "starting the demo: https://127.0.0.1:6443 (Ctrl-C to stop)"
        exec build/metrics-adapter --demo --v=2 "$@"
        ;;
    run-falcon)
        build
        need_pkgs python3:python3 kubectl:kubernetes-client openssl:openssl
        shift || true
        exec python3 tests/fakes/falcon_demo.py "$@"
        ;;
    test)
        image
        test_deps
        log "building unit tests and fuzz targets"
        make -s -j"$JOBS" unit fuzz
        # the real control plane of tests/cluster: built (cached) when Go is there; without Go
        # tests/cluster/run.py prints why it skips
        if find_go; then cluster_bins; else log "no Go toolchain: tests/cluster will skip"; fi
        exec tests/run-all.sh
        ;;
    bench)
        build
        test_deps
        need_pkgs wrk:wrk nginx:nginx-light
        exec tests/bench/run-all.sh
        ;;
    image)
        image
        ;;
    cluster-bins)
        cluster_bins
        ;;
    cluster)
        build
        cluster_deps
        cluster_bins
        log "starting the control plane with the adapter (Ctrl-C to stop)"
        exec python3 tests/cluster/up.py
        ;;
    clean)
        rm -rf build vendor/bearssl-0.6 vendor/jsmn vendor/.unpacked
        ;;
    *)
        echo "usage: ./build.sh [build|run|run-falcon|test|cluster|cluster-bins|bench|image|clean]" >&2
        exit 2
        ;;
esac
