#!/usr/bin/env python3
"""Authentication/authorization benchmark of metrics-adapter (issue 5): prints figures, asserts
nothing.

The same HPA-shaped request (external metric list, front-proxy client certificate, X-Remote-User
= the HPA's service account with its three groups, so not system:masters) is sent over CONNS
keep-alive TLS connections for BENCH_SECONDS, interleaved over BENCH_ROUNDS rounds, to:
  * AlwaysAllow: `--demo --authorization-mode=AlwaysAllow`, no cluster, so no authentication
    either (the baseline: the pipeline is bypassed);
  * authn only: `--authorization-mode=AlwaysAllow` with the fake kube-apiserver (front-proxy
    certificate verified per request through its cache, identity headers parsed);
  * Delegated: the full pipeline with a warm SubjectAccessReview cache (default 10 s TTL: one
    review per 10 s).
Target (issue 5): Delegated within 10 % of AlwaysAllow. The load generator is
tests/bench/auth_load.c (the project's own HTTP client; wrk cannot present client
certificates), built here with musl-gcc against build/musl objects. Server and client are pinned
to different CPUs when two are available. Environment: MA_BIN, BENCH_ROUNDS (3), BENCH_SECONDS
(5), BENCH_AUTH_CONNS (16).
"""

import glob
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fakes"))

import harness  # noqa: E402
from kube_apiserver import FakeKubeApiserver  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CONNS = int(os.environ.get("BENCH_AUTH_CONNS", "16"))
PATH = "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/demo_queue_depth"
HPA = "system:serviceaccount:kube-system:horizontal-pod-autoscaler"
HEADERS = ["X-Remote-User: " + HPA, "X-Remote-Group: system:serviceaccounts",
           "X-Remote-Group: system:serviceaccounts:kube-system",
           "X-Remote-Group: system:authenticated", "Accept: application/json, */*",
           "User-Agent: kube-controller-manager/v1.36.0 (linux/amd64) kubernetes/abc/" + HPA]


def say(msg=""):
    print(msg, flush=True)


def cpus():
    try:
        avail = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None, None
    if len(avail) >= 2:
        return avail[-1], avail[0]
    return None, None


SERVER_CPU, CLIENT_CPU = cpus()


def build_load():
    out = os.path.join(REPO, "build", "bench", "auth_load")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    objs = sorted(o for o in glob.glob(os.path.join(REPO, "build/musl/obj/**/*.o"), recursive=True)
                  if not o.endswith("/main.o"))
    lib = os.path.join(REPO, "build/musl/libbearssl.a")
    if not objs or not os.path.exists(lib):
        subprocess.run([os.path.join(REPO, "build.sh")], check=True, cwd=REPO)
        return build_load()
    subprocess.run(["musl-gcc", "-static", "-O2", "-std=c11", "-D_GNU_SOURCE", "-I" + REPO + "/src",
                    "-I" + REPO + "/vendor/bearssl-0.6/inc", "-I" + REPO + "/vendor/jsmn", "-o", out,
                    os.path.join(HERE, "auth_load.c")] + objs + [lib], check=True)
    return out


def pin(pid):
    if SERVER_CPU is not None:
        subprocess.run(["taskset", "-a", "-p", "-c", str(SERVER_CPU), str(pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_seconds(pid):
    """utime + stime of pid, in seconds (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(tool, adapter, cert, key, seconds):
    cmd = ([] if CLIENT_CPU is None else ["taskset", "-c", str(CLIENT_CPU)]) + [
        tool, "https://127.0.0.1:%d" % adapter.port, PATH, str(seconds), str(CONNS),
        adapter.cafile, cert, key] + HEADERS
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=seconds + 60)
    m = re.search(r"ok=(\d+) failed=(\d+) seconds=([\d.]+) rps=(\d+)", p.stdout.decode())
    load.last_ok = int(m.group(1)) if m else 0
    if not m:
        raise RuntimeError("auth_load: %s %s" % (p.stdout.decode(), p.stderr.decode()))
    if int(m.group(2)):
        say("   (%s: %s failed requests: %s)" % (adapter.name, m.group(2), p.stderr.decode()[:200]))
    return float(m.group(4))


def main():
    tool = build_load()
    fake = FakeKubeApiserver(key_type="ec")
    try:
        fake.set_extension_auth_configmap()
        kc = fake.write_kubeconfig(os.path.join(fake.dir, "kubeconfig-bench"), auth="token")
        cert, key = fake.front_proxy_client_cert_path, fake.front_proxy_client_key_path
        variants = [
            ("AlwaysAllow", harness.Adapter("--authorization-mode=AlwaysAllow", name="always-allow")),
            ("authn only", harness.Adapter("--kubeconfig=" + kc, "--authorization-mode=AlwaysAllow",
                                           name="authn-only")),
            ("Delegated", harness.Adapter("--kubeconfig=" + kc, "--authorization-mode=Delegated",
                                          name="delegated")),
        ]
        for _, a in variants:
            a.start()
            pin(a.proc.pid)
            load(tool, a, cert, key, 0.5)  # warm: connections, certificate and SAR caches
        sars0 = len(fake.subjectaccessreviews)
        rps = {n: [] for n, _ in variants}
        cpu = {n: [] for n, _ in variants}  # server CPU microseconds per request
        for _ in range(ROUNDS):
            for n, a in variants:
                c0 = cpu_seconds(a.proc.pid)
                rps[n].append(load(tool, a, cert, key, SECONDS))
                cpu[n].append(1e6 * (cpu_seconds(a.proc.pid) - c0) / max(load.last_ok, 1))
        sars = len(fake.subjectaccessreviews) - sars0
        say("auth benchmark: %s, %d keep-alive TLS connections, %d x %.0f s per variant, "
            "server cpu %s, client cpu %s" % (PATH, CONNS, ROUNDS, SECONDS, SERVER_CPU, CLIENT_CPU))
        base = statistics.median(rps["AlwaysAllow"])
        cbase = statistics.median(cpu["AlwaysAllow"])
        for n, _ in variants:
            med = statistics.median(rps[n])
            cmed = statistics.median(cpu[n])
            say("  %-12s %8.0f req/s (rounds: %s)  ratio %.3f | server CPU %.1f us/request, "
                "CPU-bound throughput ratio %.3f" % (
                    n, med, ", ".join("%.0f" % r for r in rps[n]), med / base if base else 0,
                    cmed, cbase / cmed if cmed else 0))
        say("  SubjectAccessReviews posted during the Delegated runs: %d (cache TTL 10 s)" % sars)
        d = statistics.median(rps["Delegated"])
        cd = statistics.median(cpu["Delegated"])
        say("  target: Delegated >= 0.90 x AlwaysAllow: req/s %.1f %%, by server CPU per request "
            "%.1f %% (the CPU figure is robust on a loaded machine)" % (
                100.0 * d / base if base else 0, 100.0 * cbase / cd if cd else 0))
        for _, a in variants:
            a.stop()
    finally:
        fake.close()


if __name__ == "__main__":
    main()
