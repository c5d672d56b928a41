#!/usr/bin/env python3
"""90: the container image (issue 6): build/image/metrics-adapter-<version>.oci.tar from
./build.sh image (which ./build.sh test runs first; this test builds nothing itself).

What ships is what is tested: the binaries run here are taken out of the image's layers.
  * OCI layout: blobs match their digests and sizes, an index with linux/amd64 and linux/arm64, one
    gzip layer each holding exactly /metrics-adapter and /metrics-adapter.spdx.json, numeric owners,
    user 65534:65534, the binary as entrypoint, the name for podman load / ctr import
  * both binaries static (`file`, and no PT_INTERP / PT_DYNAMIC in the ELF program headers)
  * arm64: runs under qemu-aarch64-static and answers /healthz over verified TLS
  * amd64: the layer unpacked into an empty directory runs there through chroot (as 65534:65534)
    and answers /healthz; the directory is unchanged afterwards: zero runtime dependencies
  * reproducible: the writer run again on copies of the inputs (other mtimes, other umask, other
    argument order and directory) gives the same archive bytes; the timestamps are the commit's
  * skopeo inspect oci-archive: accepts it; podman load (into a throwaway store) names it;
    scratch-image/Containerfile built by podman gives the same files, user and entrypoint
  * SPDX 2.3 SBOM: musl, BearSSL, jsmn with the versions and sha256 pinned in vendor/lock
  * sizes per architecture, printed; compressed at most 300 kB each (the issue's target)
"""

import atexit
import gzip
import hashlib
import http.client
import io
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tarfile
import tempfile
import time

import harness
from harness import REPO, Adapter, get, read_version, skip, test

VERSION = read_version()
IMAGE_DIR = os.path.join(REPO, "build", "image")
ARCHIVE = os.path.join(IMAGE_DIR, "metrics-adapter-%s.oci.tar" % VERSION)
SBOM = os.path.join(IMAGE_DIR, "metrics-adapter-%s.spdx.json" % VERSION)
REF = "localhost/metrics-adapter:%s" % VERSION
MAX_COMPRESSED = 300 * 1000
LAYER_FILES = ["metrics-adapter", "metrics-adapter.spdx.json"]
TMP = tempfile.mkdtemp(prefix="ma-it-image-")
atexit.register(shutil.rmtree, TMP, True)

_cache = {}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def layout():
    """{path: bytes} of the archive's members, plus the parsed index chain, read once."""
    if "files" in _cache:
        return _cache
    assert os.path.exists(ARCHIVE), "no %s: run ./build.sh image first" % ARCHIVE
    with open(ARCHIVE, "rb") as f:
        raw = f.read()
    files, infos = {}, []
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for m in tar.getmembers():
            infos.append(m)
            if m.isfile():
                files[m.name] = tar.extractfile(m).read()
    _cache.update(raw=raw, files=files, infos=infos)
    return _cache


def blob(desc):
    files = layout()["files"]
    algo, _, hexd = desc["digest"].partition(":")
    assert algo == "sha256", "digest %s is not sha256" % desc["digest"]
    data = files.get("blobs/sha256/" + hexd)
    assert data is not None, "blob %s missing from the archive" % desc["digest"]
    assert sha256(data) == hexd, "blob %s: content hashes to %s" % (hexd, sha256(data))
    assert len(data) == desc["size"], "blob %s: %d bytes, descriptor says %d" % (
        hexd, len(data), desc["size"])
    return data


def images():
    """{arch: {"manifest", "config", "layer_gz", "layer", "files": {name: bytes}, "members"}}."""
    if "images" in _cache:
        return _cache["images"]
    top = json.loads(layout()["files"]["index.json"])
    assert len(top["manifests"]) == 1, "index.json should name one image index"
    index = json.loads(blob(top["manifests"][0]))
    out = {}
    for desc in index["manifests"]:
        arch = desc["platform"]["architecture"]
        manifest = json.loads(blob(desc))
        config = json.loads(blob(manifest["config"]))
        assert len(manifest["layers"]) == 1, "%s: %d layers, want 1" % (arch, len(manifest["layers"]))
        layer_gz = blob(manifest["layers"][0])
        layer = gzip.decompress(layer_gz)
        files, members = {}, []
        with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
            for m in tar.getmembers():
                members.append(m)
                if m.isfile():
                    files[m.name] = tar.extractfile(m).read()
        out[arch] = dict(desc=desc, manifest=manifest, config=config, layer_gz=layer_gz,
                         layer=layer, files=files, members=members)
    _cache["images"] = out
    return out


def unpack_layer(arch):
    """The layer of `arch` unpacked into a fresh, otherwise empty directory."""
    root = tempfile.mkdtemp(prefix="root-%s-" % arch, dir=TMP)
    os.chmod(root, 0o755)
    with tarfile.open(fileobj=io.BytesIO(images()[arch]["layer"])) as tar:
        for m in tar.getmembers():
            assert m.isfile() and "/" not in m.name and not m.name.startswith("."), \
                "unexpected layer member %r" % m.name
            path = os.path.join(root, m.name)
            with open(path, "wb") as f:
                f.write(tar.extractfile(m).read())
            os.chmod(path, m.mode)
    return root


def tree(root):
    """Sorted (path, size, mode) of everything under root."""
    out = []
    for d, dirs, files in os.walk(root):
        for n in sorted(dirs + files):
            p = os.path.join(d, n)
            st = os.lstat(p)
            out.append((os.path.relpath(p, root), st.st_size, oct(st.st_mode)))
    return sorted(out)


def elf_dynamic_parts(data):
    """Names of the program headers that make an ELF64 binary depend on a loader or shared libs."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not a 64-bit LE ELF"
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    found = []
    for i in range(phnum):
        p_type, = struct.unpack_from("<I", data, phoff + i * phentsize)
        if p_type == 3:
            found.append("PT_INTERP")
        elif p_type == 2:
            found.append("PT_DYNAMIC")
    return found


def need_tool(name, package):
    path = shutil.which(name)
    assert path, "%s not found (Debian package %s; ./build.sh test installs it)" % (name, package)
    return path


# ---- the archive ---------------------------------------------------------------------------------

@test
def archive_is_an_oci_layout_with_verified_blobs():
    lay = layout()
    names = sorted(lay["files"])
    assert "oci-layout" in names and "index.json" in names, "members: %s" % names
    assert json.loads(lay["files"]["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    for name, data in lay["files"].items():
        if name.startswith("blobs/"):
            assert name.startswith("blobs/sha256/") and sha256(data) == name.split("/")[-1], \
                "%s: content hashes to %s" % (name, sha256(data))
    top = json.loads(lay["files"]["index.json"])
    desc = top["manifests"][0]
    assert desc["mediaType"] == "application/vnd.oci.image.index.v1+json", desc
    ann = desc.get("annotations", {})
    assert ann.get("org.opencontainers.image.ref.name") == REF, "ref.name: %r" % ann
    assert ann.get("io.containerd.image.name") == REF, "io.containerd.image.name: %r" % ann


@test
def index_holds_amd64_and_arm64_with_one_gzip_layer_each():
    imgs = images()
    assert sorted(imgs) == ["amd64", "arm64"], "architectures: %s" % sorted(imgs)
    assert imgs["arm64"]["desc"]["platform"].get("variant") == "v8", imgs["arm64"]["desc"]
    for arch, img in imgs.items():
        assert img["desc"]["platform"]["os"] == "linux", img["desc"]
        assert img["manifest"]["layers"][0]["mediaType"] == \
            "application/vnd.oci.image.layer.v1.tar+gzip", img["manifest"]["layers"]
        cfg = img["config"]
        assert cfg["architecture"] == arch and cfg["os"] == "linux", (arch, cfg)
        assert cfg["config"]["User"] == "65534:65534", "%s: User %r" % (arch, cfg["config"].get("User"))
        assert cfg["config"]["Entrypoint"] == ["/metrics-adapter"], cfg["config"]
        assert cfg["rootfs"]["diff_ids"] == ["sha256:" + sha256(img["layer"])], \
            "%s: diff_id is not the uncompressed layer's digest" % arch
        assert img["manifest"]["annotations"]["org.opencontainers.image.version"] == VERSION


@test
def layers_hold_only_the_binary_and_the_sbom_with_numeric_owners():
    epochs = set()
    for arch, img in images().items():
        names = [m.name for m in img["members"]]
        assert names == LAYER_FILES, "%s: layer members %s, want %s (sorted)" % (arch, names, LAYER_FILES)
        for m in img["members"]:
            assert m.uid == 0 and m.gid == 0 and m.uname == "" and m.gname == "", \
                "%s/%s: owner %d:%d %r:%r" % (arch, m.name, m.uid, m.gid, m.uname, m.gname)
            epochs.add(m.mtime)
        modes = {m.name: m.mode for m in img["members"]}
        assert modes == {"metrics-adapter": 0o755, "metrics-adapter.spdx.json": 0o644}, modes
        gz = img["layer_gz"]
        flags, mtime = gz[3], struct.unpack_from("<I", gz, 4)[0]
        assert flags & 0x08 == 0 and mtime == 0, "%s: gzip header has a name or an mtime" % arch
    for m in layout()["infos"]:
        assert m.uid == 0 and m.gid == 0, "archive member %s owned by %d:%d" % (m.name, m.uid, m.gid)
        epochs.add(m.mtime)
    assert len(epochs) == 1, "more than one timestamp in the archive: %s" % sorted(epochs)
    names = [m.name for m in layout()["infos"]]
    assert names == sorted(names), "archive members are not sorted: %s" % names


@test
def timestamps_are_the_commit_time():
    try:
        commit_time = int(subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%ct"],
                                         capture_output=True, check=True, timeout=10).stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        skip("not a git checkout")
    if os.environ.get("SOURCE_DATE_EPOCH"):
        commit_time = int(os.environ["SOURCE_DATE_EPOCH"])
    mtime = layout()["infos"][0].mtime
    assert mtime == commit_time, "archive mtime %d, commit time %d" % (mtime, commit_time)


@test
def layer_binaries_are_the_built_ones():
    built = {"amd64": os.path.join(REPO, "build", "metrics-adapter"),
             "arm64": os.path.join(REPO, "build", "arm64", "metrics-adapter")}
    for arch, path in built.items():
        with open(path, "rb") as f:
            assert sha256(f.read()) == sha256(images()[arch]["files"]["metrics-adapter"]), \
                "%s: the layer's binary differs from %s (rerun ./build.sh image)" % (arch, path)


# ---- the binaries ----------------------------------------------------------------------------

@test
def both_binaries_are_static():
    need_tool("file", "file")
    want = {"amd64": "x86-64", "arm64": "ARM aarch64"}
    for arch, img in images().items():
        root = unpack_layer(arch)
        out = subprocess.run(["file", "-b", os.path.join(root, "metrics-adapter")],
                             capture_output=True, text=True, timeout=10).stdout
        assert want[arch] in out and "statically linked" in out, "%s: file says %r" % (arch, out)
        dyn = elf_dynamic_parts(img["files"]["metrics-adapter"])
        assert not dyn, "%s: binary has %s" % (arch, dyn)


class Arm64Adapter(Adapter):
    """The arm64 binary from the image, under qemu user-mode emulation."""

    def __init__(self, binary, *args, **kw):
        super().__init__(*args, **kw)
        self.binary = binary

    def argv(self):
        return [need_tool("qemu-aarch64-static", "qemu-user-static"), self.binary] + super().argv()[1:]


@test
def arm64_binary_under_qemu_answers_healthz_over_tls():
    a = Arm64Adapter(os.path.join(unpack_layer("arm64"), "metrics-adapter"), name="arm64 under qemu")
    status, _, body = get(a, "/healthz")
    assert status == 200 and body == b"ok", "GET /healthz: %d %r" % (status, body[:200])
    status, _, body = get(a, "/apis/custom.metrics.k8s.io/v1beta2")
    assert status == 200 and b"APIResourceList" in body, "arm64 discovery: %d %r" % (status, body[:200])
    assert a.stop() == 0, "arm64 adapter: SIGTERM exit status %s" % a.exit_code


def tls_get_unverified(port, path):
    """GET over TLS without verification: the chroot has nowhere to write its self-signed cert."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=harness.IO_TIMEOUT, context=ctx)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read(), conn.sock.version()
    finally:
        conn.close()


@test
def amd64_layer_alone_runs_in_chroot_and_answers_healthz():
    if os.geteuid() != 0:
        skip("chroot needs root (./build.sh test runs as root)")
    chroot = need_tool("chroot", "coreutils")
    root = unpack_layer("amd64")
    before = tree(root)
    assert [p for p, _, _ in before] == LAYER_FILES, "unpacked root holds %s" % before
    port = harness.free_port()
    errpath = os.path.join(TMP, "chroot-stderr.log")
    with open(errpath, "wb") as err:
        proc = subprocess.Popen([chroot, "--userspec=65534:65534", root, "/metrics-adapter", "--demo",
                                 "--bind-address=127.0.0.1", "--secure-port=%d" % port],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True, cwd="/")
    try:
        deadline, last = time.monotonic() + harness.START_TIMEOUT, None
        while True:
            assert proc.poll() is None, "exited with %s in the chroot; stderr:\n%s" % (
                proc.returncode, harness.tail(errpath, 15))
            try:
                status, body, version = tls_get_unverified(port, "/healthz")
                break
            except (OSError, ssl.SSLError, http.client.HTTPException) as e:
                last = e
            assert time.monotonic() < deadline, "no answer within %.0f s: %s; stderr:\n%s" % (
                harness.START_TIMEOUT, last, harness.tail(errpath, 15))
            time.sleep(0.05)
        assert status == 200 and body == b"ok", "GET /healthz: %d %r" % (status, body[:200])
        assert version in ("TLSv1.2", "TLSv1.3"), "TLS version %s" % version
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        assert rc == 0, "SIGTERM exit status %d; stderr:\n%s" % (rc, harness.tail(errpath, 15))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert tree(root) == before, "the root changed while running: %s -> %s" % (before, tree(root))


# ---- reproducible ------------------------------------------------------------------------------

@test
def writer_rerun_on_touched_copies_gives_the_same_bytes():
    imgs = images()
    ann = imgs["amd64"]["manifest"]["annotations"]
    epoch = layout()["infos"][0].mtime
    work = tempfile.mkdtemp(prefix="rerun-", dir=TMP)
    args = ["python3", os.path.join(REPO, "scratch-image", "mkoci.py"), "--version", VERSION,
            "--revision", ann["org.opencontainers.image.revision"], "--epoch", str(epoch),
            "--lock", os.path.join(REPO, "vendor", "lock"), "--dl", os.path.join(REPO, "vendor", "dl"),
            "--out-dir", os.path.join(work, "out")]
    for arch in ("arm64", "amd64"):  # the other order than build.sh
        path = os.path.join(work, "bin-" + arch)
        with open(path, "wb") as f:
            f.write(imgs[arch]["files"]["metrics-adapter"])
        os.chmod(path, 0o700)
        os.utime(path, (epoch + 12345, epoch + 12345))
        args += ["--binary", "%s=%s" % (arch, path)]
    old = os.umask(0o077)
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=work)
    finally:
        os.umask(old)
    assert p.returncode == 0, "mkoci.py failed: %s" % p.stderr[-800:]
    with open(os.path.join(work, "out", os.path.basename(ARCHIVE)), "rb") as f:
        again = f.read()
    first = layout()["raw"]
    assert again == first, "second build differs: sha256 %s vs %s" % (sha256(again), sha256(first))
    index_digest = json.loads(layout()["files"]["index.json"])["manifests"][0]["digest"]
    print("     reproducible: archive sha256:%s twice; image index %s twice"
          % (sha256(first), index_digest), flush=True)


# ---- tools that consume it -------------------------------------------------------------------

@test
def skopeo_inspect_accepts_it():
    skopeo = need_tool("skopeo", "skopeo")
    index_digest = json.loads(layout()["files"]["index.json"])["manifests"][0]["digest"]
    for arch in ("amd64", "arm64"):
        p = subprocess.run([skopeo, "inspect", "--override-os", "linux", "--override-arch", arch,
                            "oci-archive:" + ARCHIVE], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, "skopeo inspect (%s): %s" % (arch, p.stderr.strip()[-500:])
        info = json.loads(p.stdout)
        assert info["Architecture"] == arch and info["Os"] == "linux", info
        assert info["Digest"] == index_digest, "skopeo digest %s, index %s" % (info["Digest"], index_digest)
        assert info["Layers"] == [images()[arch]["manifest"]["layers"][0]["digest"]], info["Layers"]
    p = subprocess.run([skopeo, "inspect", "--raw", "oci-archive:" + ARCHIVE], capture_output=True,
                       timeout=60)
    assert p.returncode == 0 and "sha256:" + sha256(p.stdout) == index_digest, \
        "skopeo inspect --raw does not hash to the index digest"
    # What the README's push does, into a local layout: both platforms, the digest kept.
    dest = os.path.join(tempfile.mkdtemp(prefix="copy-", dir=TMP), "layout")
    p = subprocess.run([skopeo, "copy", "-q", "--all", "--preserve-digests", "oci-archive:" + ARCHIVE,
                        "oci:%s:copy" % dest], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "skopeo copy --all: %s" % p.stderr.strip()[-500:]
    with open(os.path.join(dest, "index.json")) as f:
        copied = json.load(f)["manifests"][0]["digest"]
    assert copied == index_digest, "skopeo copy --all changed the digest: %s" % copied


@test
def podman_load_names_it():
    podman = need_tool("podman", "podman")
    store = tempfile.mkdtemp(prefix="podman-", dir=TMP)
    base = [podman, "--root", os.path.join(store, "root"), "--runroot", os.path.join(store, "run"),
            "--storage-driver", "vfs"]
    # A throwaway store (vfs: plain directories, no mounts) so the machine's images stay untouched;
    # it goes away with TMP. `podman run` is not tried: it needs a container runtime allowed to set
    # rlimits, which sandboxed CI machines often refuse; the chroot test above covers running.
    p = subprocess.run(base + ["load", "-i", ARCHIVE], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "podman load: %s" % (p.stderr.strip()[-500:])
    assert "Loaded image: " + REF in p.stdout + p.stderr, "podman load said %r" % p.stdout
    p = subprocess.run(base + ["image", "inspect", REF], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, "podman image inspect: %s" % p.stderr.strip()[-500:]
    info = json.loads(p.stdout)[0]
    assert info["Config"]["User"] == "65534:65534", info["Config"]
    assert info["Config"]["Entrypoint"] == ["/metrics-adapter"], info["Config"]
    assert info["Architecture"] == "amd64", info["Architecture"]


def saved_image_files(path):
    """(config, {name: bytes} of all layers) of a single-image oci-archive written by podman save."""
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}

    def get_blob(desc):
        return members["blobs/sha256/" + desc["digest"].split(":", 1)[1]]

    desc = json.loads(members["index.json"])["manifests"][0]
    manifest = json.loads(get_blob(desc))
    if "manifests" in manifest:  # an index: its first (only) image
        manifest = json.loads(get_blob(manifest["manifests"][0]))
    files = {}
    for layer in manifest["layers"]:
        data = get_blob(layer)
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for m in tar.getmembers():
                if m.isfile():
                    files[m.name.lstrip("./")] = tar.extractfile(m).read()
    return json.loads(get_blob(manifest["config"])), files


@test
def containerfile_builds_the_same_image_content_with_podman_build():
    podman = need_tool("podman", "podman")
    store = tempfile.mkdtemp(prefix="pb-", dir=TMP)  # runroot: at most 50 characters
    base = [podman, "--root", os.path.join(store, "root"), "--runroot", os.path.join(store, "run"),
            "--storage-driver", "vfs"]
    for arch, img in sorted(images().items()):
        tag = "localhost/ma-containerfile-test:" + arch
        p = subprocess.run(base + ["build", "-q", "--platform", "linux/" + arch, "-f",
                                   os.path.join("scratch-image", "Containerfile"), "-t", tag, "."],
                           capture_output=True, text=True, timeout=120, cwd=REPO)
        assert p.returncode == 0, "podman build (%s): %s" % (arch, p.stderr.strip()[-500:])
        out = os.path.join(store, arch + ".tar")
        p = subprocess.run(base + ["save", "--format", "oci-archive", "-o", out, tag],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, "podman save (%s): %s" % (arch, p.stderr.strip()[-500:])
        config, files = saved_image_files(out)
        assert config["architecture"] == arch, "%s: built for %s" % (arch, config["architecture"])
        assert config["config"].get("User") == "65534:65534", config["config"]
        assert config["config"].get("Entrypoint") == ["/metrics-adapter"], config["config"]
        assert sorted(files) == LAYER_FILES, "%s: Containerfile image holds %s" % (arch, sorted(files))
        for name in LAYER_FILES:
            assert files[name] == img["files"][name], \
                "%s: %s from the Containerfile differs from the OCI archive's" % (arch, name)


# ---- SBOM and sizes ----------------------------------------------------------------------------

def lock_rows():
    rows = {}
    with open(os.path.join(REPO, "vendor", "lock")) as f:
        for line in f:
            if line.strip() and not line.lstrip().startswith("#"):
                how, pkg, ver, fname, digest = line.split()
                rows[fname] = (pkg, ver, digest)
    return rows


@test
def sbom_lists_musl_bearssl_jsmn_with_pinned_sha256():
    with open(SBOM, "rb") as f:
        raw = f.read()
    for arch, img in images().items():
        assert img["files"]["metrics-adapter.spdx.json"] == raw, \
            "%s: the SBOM in the image differs from %s" % (arch, SBOM)
    doc = json.loads(raw)
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["dataLicense"] == "CC0-1.0", doc.get("spdxVersion")
    assert doc["SPDXID"] == "SPDXRef-DOCUMENT" and doc["documentNamespace"] and doc["name"]
    assert doc["creationInfo"]["created"].endswith("Z") and doc["creationInfo"]["creators"]
    ids = {p["SPDXID"] for p in doc["packages"]}
    assert len(ids) == len(doc["packages"]), "duplicate SPDXIDs"
    for p in doc["packages"]:
        for k in ("name", "SPDXID", "downloadLocation", "versionInfo", "checksums"):
            assert k in p, "package %s lacks %s" % (p.get("SPDXID"), k)
    rows = lock_rows()
    want = {"musl": ("1.2.3", ["musl-dev_1.2.3-1_amd64.deb", "musl-dev_1.2.3-1_arm64.deb"]),
            "BearSSL": ("0.6", ["bearssl_0.6+dfsg.1.orig.tar.xz"]),
            "jsmn": ("1.1.0", ["libjsmn-dev_1.1.0-2_all.deb"])}
    for name, (version, fnames) in want.items():
        got = sorted((p["packageFileName"], p["versionInfo"], p["checksums"][0]["checksumValue"])
                     for p in doc["packages"] if p["name"] == name)
        assert got == sorted((fn, version, rows[fn][2]) for fn in fnames), \
            "%s in the SBOM: %s; vendor/lock: %s" % (name, got, [(fn, rows[fn]) for fn in fnames])
    for arch, img in images().items():
        pkg = [p for p in doc["packages"] if p["SPDXID"] == "SPDXRef-Package-metrics-adapter-" + arch]
        assert pkg and pkg[0]["checksums"][0]["checksumValue"] == sha256(img["files"]["metrics-adapter"]), \
            "%s: SBOM checksum of the binary does not match the layer" % arch
    for r in doc["relationships"]:
        assert r["spdxElementId"] in ids | {"SPDXRef-DOCUMENT"} and r["relatedSpdxElement"] in ids, r
    links = {(r["spdxElementId"], r["relatedSpdxElement"]) for r in doc["relationships"]
             if r["relationshipType"] == "STATIC_LINK"}
    for arch in ("amd64", "arm64"):
        for dep in ("musl-" + arch, "bearssl", "jsmn"):
            assert ("SPDXRef-Package-metrics-adapter-" + arch, "SPDXRef-Package-" + dep) in links, \
                "no STATIC_LINK %s -> %s" % (arch, dep)


@test
def sizes_per_architecture_within_target():
    report = []
    for arch, img in sorted(images().items()):
        comp = len(img["layer_gz"])
        pull = comp + img["manifest"]["config"]["size"] + img["desc"]["size"]
        report.append((arch, comp, pull, len(img["layer"]), len(img["files"]["metrics-adapter"])))
        print("     linux/%s: compressed layer %d B (%.1f kB; %d B with manifest+config), "
              "uncompressed layer %d B, binary %d B" % (arch, comp, comp / 1000, pull,
                                                        len(img["layer"]),
                                                        len(img["files"]["metrics-adapter"])),
              flush=True)
    print("     archive (both architectures): %d B" % len(layout()["raw"]), flush=True)
    for arch, comp, pull, _, _ in report:
        assert pull <= MAX_COMPRESSED, "linux/%s: %d B compressed, target %d B" % (arch, pull, MAX_COMPRESSED)


if __name__ == "__main__":
    harness.run()
