#!/usr/bin/env python3
"""Write the metrics-adapter OCI image archive and its SPDX SBOM, without any container daemon.

    mkoci.py --version V --revision SHA --epoch SECONDS --lock vendor/lock --dl vendor/dl \\
             --binary amd64=build/metrics-adapter --binary arm64=build/arm64/metrics-adapter \\
             --out-dir build/image

Writes, under --out-dir:
  metrics-adapter-V.oci.tar          OCI image layout in a tar (oci-archive): oci-layout, index.json,
                                     blobs/sha256/*; index.json names one image index (ref.name
                                     localhost/metrics-adapter:V) that lists linux/amd64 and linux/arm64
  metrics-adapter-V.oci.tar.sha256   sha256sum line for the archive
  metrics-adapter-V.spdx.json        SPDX 2.3 SBOM (also inside each image as /metrics-adapter.spdx.json)
  rootfs-ARCH/                       the layer's files, for builders using scratch-image/Containerfile

Byte-for-byte reproducible: every timestamp is --epoch (the commit time), owners are numeric 0,
entries are sorted, JSON has sorted keys and no whitespace, gzip carries no name and mtime 0. The
same inputs therefore give the same digests on every run (stdlib only: tarfile, gzip, hashlib, json).
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import time
import uuid

NAME = "metrics-adapter"
REF_BASE = "localhost/" + NAME  # a name no registry owns: imported images resolve locally
BINARY_PATH = NAME  # /metrics-adapter in the image
SBOM_PATH = NAME + ".spdx.json"  # /metrics-adapter.spdx.json in the image
USER = "65534:65534"  # nobody:nogroup by number; scratch has no /etc/passwd
PORT = "6443/tcp"  # --secure-port default

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

# Which pinned file (vendor/lock) each component inside the binary comes from. Only these go into
# the SBOM: musl-tools and the musl runtime .deb are build tools, nothing of them is linked.
COMPONENTS = [
    # spdx id suffix, name, upstream version, license, lock file, arch (None: all)
    ("musl-amd64", "musl", "1.2.3", "MIT", "musl-dev_1.2.3-1_amd64.deb", "amd64"),
    ("musl-arm64", "musl", "1.2.3", "MIT", "musl-dev_1.2.3-1_arm64.deb", "arm64"),
    ("bearssl", "BearSSL", "0.6", "MIT", "bearssl_0.6+dfsg.1.orig.tar.xz", None),
    ("jsmn", "jsmn", "1.1.0", "MIT", "libjsmn-dev_1.1.0-2_all.deb", None),
]

PLATFORMS = {"amd64": {"architecture": "amd64", "os": "linux"},
             "arm64": {"architecture": "arm64", "os": "linux", "variant": "v8"}}


def die(msg):
    print("mkoci.py: " + msg, file=sys.stderr)
    sys.exit(1)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def rfc3339(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def read_lock(path):
    """vendor/lock rows -> {file: (how, package, version, sha256)}."""
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            how, pkg, ver, fname, digest = line.split()
            rows[fname] = (how, pkg, ver, digest)
    return rows


def purl(how, pkg, ver, fname):
    """Package URL of a pinned Debian file; a .deb's architecture is the last part of its name."""
    arch = "source" if how == "deb-src" else fname.rsplit("_", 1)[-1][:-len(".deb")]
    return "pkg:deb/debian/%s@%s?arch=%s" % (pkg.partition(":")[0], ver.replace("+", "%2B"), arch)


def sbom(args, lock, binaries, epoch):
    """SPDX 2.3 document: one package per architecture's binary, one per linked component."""
    packages, rels = [], []
    for arch, data in sorted(binaries.items()):
        spdx_id = "SPDXRef-Package-%s-%s" % (NAME, arch)
        packages.append({
            "SPDXID": spdx_id, "name": NAME, "versionInfo": args.version,
            "packageFileName": BINARY_PATH, "primaryPackagePurpose": "APPLICATION",
            "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "checksums": [{"algorithm": "SHA256", "checksumValue": sha256(data)}],
            "comment": "linux/%s static binary /%s, revision %s" % (arch, BINARY_PATH, args.revision),
        })
        rels.append({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                     "relatedSpdxElement": spdx_id})
    for suffix, name, upstream, lic, fname, only_arch in COMPONENTS:
        if fname not in lock:
            die("%s: no row for %s" % (args.lock, fname))
        how, pkg, ver, digest = lock[fname]
        path = os.path.join(args.dl, fname)
        with open(path, "rb") as f:
            if sha256(f.read()) != digest:
                die("%s: sha256 differs from %s" % (path, args.lock))
        source = "Debian %s %s %s, pinned in vendor/lock" % (
            "source package" if how == "deb-src" else "package", pkg, ver)
        if how == "deb-src":  # the other files of the source package are pinned too
            others = sorted((f2, r[3]) for f2, r in lock.items()
                            if r[0] == how and r[1] == pkg and f2 != fname)
            source += "; with " + ", ".join("%s sha256 %s" % o for o in others)
        spdx_id = "SPDXRef-Package-" + suffix
        packages.append({
            "SPDXID": spdx_id, "name": name, "versionInfo": upstream,
            "packageFileName": fname, "primaryPackagePurpose": "LIBRARY",
            "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
            "licenseConcluded": lic, "licenseDeclared": lic, "copyrightText": "NOASSERTION",
            "sourceInfo": source,
            "checksums": [{"algorithm": "SHA256", "checksumValue": digest}],
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                              "referenceLocator": purl(how, pkg, ver, fname)}],
        })
        for arch in sorted(binaries):
            if only_arch in (None, arch):
                rels.append({"spdxElementId": "SPDXRef-Package-%s-%s" % (NAME, arch),
                             "relationshipType": "STATIC_LINK", "relatedSpdxElement": spdx_id})
    # A stable namespace: the same inputs name the same document.
    seed = "%s/%s/%s/%s" % (NAME, args.version, args.revision,
                            ",".join(sha256(binaries[a]) for a in sorted(binaries)))
    return {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": "%s-%s" % (NAME, args.version),
        "documentNamespace": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, seed)),
        "creationInfo": {"created": rfc3339(epoch),
                         "creators": ["Tool: metrics-adapter scratch-image/mkoci.py"]},
        "packages": packages, "relationships": rels,
    }


def tar_bytes(entries, epoch):
    """entries: [(name, mode, bytes or None for a directory)] -> deterministic ustar bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, mode, data in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(name)
            info.mode, info.mtime = mode, epoch
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def gzip_bytes(data):
    # mtime=0 and no file name: the header is the same on every run.
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=out, mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


class Blobs:
    def __init__(self):
        self.by_digest = {}

    def add(self, media_type, data, extra=None):
        digest = "sha256:" + sha256(data)
        self.by_digest[digest] = data
        desc = {"mediaType": media_type, "digest": digest, "size": len(data)}
        desc.update(extra or {})
        return desc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--version", required=True)
    ap.add_argument("--revision", required=True)
    ap.add_argument("--epoch", required=True, type=int, help="SOURCE_DATE_EPOCH")
    ap.add_argument("--lock", required=True)
    ap.add_argument("--dl", required=True)
    ap.add_argument("--binary", action="append", required=True, metavar="ARCH=PATH")
    ap.add_argument("--out-dir", required=True)
    args = ap.parse_args()

    binaries = {}
    for spec in args.binary:
        arch, _, path = spec.partition("=")
        if arch not in PLATFORMS or not path:
            die("--binary %s: want amd64=PATH or arm64=PATH" % spec)
        with open(path, "rb") as f:
            binaries[arch] = f.read()
    epoch, created = args.epoch, rfc3339(args.epoch)
    ref = "%s:%s" % (REF_BASE, args.version)
    annotations = {
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.title": NAME,
        "org.opencontainers.image.description":
            "Kubernetes custom and external metrics API server (static, FROM scratch)",
        "org.opencontainers.image.version": args.version,
        "org.opencontainers.image.revision": args.revision,
    }

    doc = canonical_json(sbom(args, read_lock(args.lock), binaries, epoch))
    blobs = Blobs()
    manifests, sizes = [], []
    for arch in sorted(binaries):
        files = [(BINARY_PATH, 0o755, binaries[arch]), (SBOM_PATH, 0o644, doc)]
        layer = tar_bytes(files, epoch)
        layer_gz = gzip_bytes(layer)
        layer_desc = blobs.add(MT_LAYER, layer_gz)
        config = dict(PLATFORMS[arch])
        config.update({
            "created": created,
            "config": {"User": USER, "Entrypoint": ["/" + BINARY_PATH], "WorkingDir": "/",
                       "ExposedPorts": {PORT: {}}, "Labels": annotations},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(layer)]},
            "history": [{"created": created, "created_by":
                         "scratch-image/mkoci.py: COPY %s %s /" % (BINARY_PATH, SBOM_PATH)}],
        })
        config_desc = blobs.add(MT_CONFIG, canonical_json(config))
        manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": config_desc,
                    "layers": [layer_desc], "annotations": annotations}
        manifest_desc = blobs.add(MT_MANIFEST, canonical_json(manifest),
                                  {"platform": dict(PLATFORMS[arch])})
        manifests.append(manifest_desc)
        sizes.append((arch, len(binaries[arch]), len(layer), len(layer_gz),
                      layer_desc["size"] + config_desc["size"] + manifest_desc["size"]))
        rootfs = os.path.join(args.out_dir, "rootfs-" + arch)
        shutil.rmtree(rootfs, ignore_errors=True)
        os.makedirs(rootfs)
        for name, mode, data in files:
            with open(os.path.join(rootfs, name), "wb") as f:
                f.write(data)
            os.chmod(os.path.join(rootfs, name), mode)

    index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests,
             "annotations": annotations}
    index_desc = blobs.add(MT_INDEX, canonical_json(index), {"annotations": {
        # podman/skopeo read ref.name, containerd's ctr import prefers its own key; a full name in
        # both makes every importer tag the image the same way.
        "org.opencontainers.image.ref.name": ref,
        "io.containerd.image.name": ref,
    }})
    layout = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [index_desc]}
    entries = [("oci-layout", 0o644, canonical_json({"imageLayoutVersion": "1.0.0"})),
               ("index.json", 0o644, canonical_json(layout)),
               ("blobs", 0o755, None), ("blobs/sha256", 0o755, None)]
    entries += [("blobs/sha256/" + d[len("sha256:"):], 0o644, data)
                for d, data in blobs.by_digest.items()]
    archive = tar_bytes(entries, epoch)

    base = os.path.join(args.out_dir, "%s-%s" % (NAME, args.version))
    os.makedirs(args.out_dir, exist_ok=True)
    for path, data in ((base + ".oci.tar", archive), (base + ".spdx.json", doc)):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    with open(base + ".oci.tar.sha256", "w") as f:
        f.write("%s  %s\n" % (sha256(archive), os.path.basename(base + ".oci.tar")))

    print("image %s" % ref)
    print("archive %s.oci.tar sha256:%s (%d bytes)" % (base, sha256(archive), len(archive)))
    print("index digest %s" % index_desc["digest"])
    for arch, binary, layer, layer_gz, pull in sizes:
        print("linux/%s: binary %d B, layer %d B uncompressed, %d B compressed, "
              "%d B to pull (manifest+config+layer)" % (arch, binary, layer, layer_gz, pull))


if __name__ == "__main__":
    main()
