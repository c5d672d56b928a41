"""Throw-away PKI for the fake kube-apiserver, made with the openssl command."""

import os
import secrets
import subprocess

# ---- certificates --------------------------------------------------------------------------------

def _openssl(*args, cwd=None):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed: %s"
                           % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout


def _subj(cn, orgs=()):
    def esc(s):
        return s.replace("\\", "\\\\").replace("/", "\\/").replace("+", "\\+")
    return "".join("/O=" + esc(o) for o in orgs) + "/CN=" + esc(cn)


class PKI:
    """CAs and leaf certificates made with the openssl command in `dir`."""

    def __init__(self, directory, key_type="rsa"):
        self.dir = directory
        self.key_type = key_type

    def _newkey(self):
        if self.key_type == "ec":
            return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        return ["-newkey", "rsa:2048"]

    def path(self, name, ext):
        return os.path.join(self.dir, "%s.%s" % (name, ext))

    def ca(self, name, cn):
        _openssl("req", "-x509", *self._newkey(), "-nodes", "-sha256", "-days", "3650",
                 "-keyout", self.path(name, "key"), "-out", self.path(name, "crt"),
                 "-subj", _subj(cn), "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign")
        return self.path(name, "crt"), self.path(name, "key")

    def leaf(self, name, ca, cn, orgs=(), server=False, client=False, ips=(), dns=()):
        ext = ["basicConstraints=critical,CA:FALSE",
               "keyUsage=critical,digitalSignature,keyEncipherment",
               "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid"]
        eku = (["serverAuth"] if server else []) + (["clientAuth"] if client else [])
        if eku:
            ext.append("extendedKeyUsage=" + ",".join(eku))
        san = ["IP:" + i for i in ips] + ["DNS:" + d for d in dns]
        if san:
            ext.append("subjectAltName=" + ",".join(san))
        extfile = self.path(name, "ext")
        with open(extfile, "w") as f:
            f.write("\n".join(ext) + "\n")
        csr = self.path(name, "csr")
        _openssl("req", "-new", *self._newkey(), "-nodes", "-keyout", self.path(name, "key"),
                 "-out", csr, "-subj", _subj(cn, orgs))
        _openssl("x509", "-req", "-sha256", "-in", csr, "-CA", self.path(ca, "crt"),
                 "-CAkey", self.path(ca, "key"), "-set_serial", "0x" + secrets.token_hex(12),
                 "-days", "825", "-extfile", extfile, "-out", self.path(name, "crt"))
        os.unlink(csr)
        os.unlink(extfile)
        return self.path(name, "crt"), self.path(name, "key")
