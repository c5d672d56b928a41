#!/usr/bin/env python3
"""Core benchmark of metrics-adapter: prints figures, asserts nothing.

  binary size; VmRSS idle and with 1,000 idle keep-alive TLS connections; then a 100-item
  MetricValueList over keep-alive TLS (wrk -t1 -c16 -d10s --latency) against the adapter and against
  nginx serving the very same bytes as a static file (same ECDSA certificate, TLS 1.2, same cipher,
  one worker), interleaved adapter/nginx so machine noise hits both alike; then p99 at half of
  nginx's median rate.

No valgrind or other instrumentation: the release binary is measured, memory from /proc.
Environment: MA_BIN (binary), BENCH_ROUNDS (default 3), BENCH_SECONDS (default 10),
BENCH_IDLE_CONNS (default 1000).
"""

import getpass
import grp
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import harness  # noqa: E402
import tlsutil  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
IDLE = int(os.environ.get("BENCH_IDLE_CONNS", "1000"))
DEMO_PODS = 105  # 5 fixed demo pods + 100 demo-load-* pods
PATH_100 = ("/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/http_requests_per_second"
            "?labelSelector=app%3Ddemo-load")
PATH_5 = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/http_requests_per_second"


def say(msg=""):
    print(msg, flush=True)


def mib(kib):
    return "%.1f MiB" % (kib / 1024.0)


def cpus():
    """(server cpu, client cpu) when there are two CPUs to pin to, else (None, None)."""
    try:
        avail = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None, None
    if len(avail) >= 2 and shutil.which("taskset"):
        return avail[-1], avail[0]
    return None, None


SERVER_CPU, CLIENT_CPU = cpus()


def pin(pid):
    if SERVER_CPU is not None:
        subprocess.run(["taskset", "-a", "-p", "-c", str(SERVER_CPU), str(pid)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def client_prefix():
    return ["taskset", "-c", str(CLIENT_CPU)] if CLIENT_CPU is not None else []


# ---- wrk -----------------------------------------------------------------------------------------

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNIT[m.group(2)] if m else float("nan")


def wrk(url, conns, seconds, rate=None):
    """Run wrk (or wrk2 with a rate); returns dict rps, p50, p99 (ms), bytes_per_req, errors."""
    if rate:
        cmd = ["wrk2", "-t1", "-c%d" % conns, "-d%ds" % seconds, "-R%d" % rate, "--latency", url]
    else:
        cmd = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds, "--latency", url]
    p = subprocess.run(client_prefix() + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=seconds + 60)
    out = p.stdout.decode("utf-8", "replace")
    res = {"rps": float("nan"), "p50": float("nan"), "p99": float("nan"), "bytes_per_req": float("nan"),
           "errors": "", "raw": out}
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        m = re.search(r"^\s*%s(?:\.0+)?%%\s+([\d.]+\w+)" % pct, out, re.M)
        if m:
            res["p" + pct] = ms(m.group(1))
    m = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", out)
    if m and int(m.group(1)):
        scale = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}[m.group(3)]
        res["bytes_per_req"] = float(m.group(2)) * scale / int(m.group(1))
    errs = re.findall(r"(Socket errors:.*|Non-2xx or 3xx responses:.*)", out)
    res["errors"] = "; ".join(e.strip() for e in errs)
    if p.returncode != 0 or res["rps"] != res["rps"]:
        res["errors"] += " wrk exit %d: %s" % (p.returncode, out.strip()[-300:])
    return res


# ---- nginx ---------------------------------------------------------------------------------------

def nginx_temp_dirs(prefix):
    """Point every compiled-in temp path into the prefix (the defaults live under /var/lib/nginx)."""
    v = subprocess.run(["nginx", "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode()
    lines = []
    for kind in re.findall(r"--http-([a-z-]+)-temp-path=", v):
        d = os.path.join(prefix, "tmp-" + kind)
        os.makedirs(d, exist_ok=True)
        lines.append("    %s_temp_path %s;" % (kind.replace("-", "_"), d))
    return "\n".join(lines)


def start_nginx(prefix, port, crt, key, body_path, cipher):
    www = os.path.dirname(body_path)
    user = ""
    if os.geteuid() == 0:  # run the worker as the current user (root here), not nobody
        user = "user %s %s;" % (getpass.getuser(), grp.getgrgid(os.getegid()).gr_name)
    conf = """{user}
worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temps}
    default_type application/json;
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {crt};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2;
        ssl_ciphers {cipher};
        ssl_session_cache off;
        root {www};
        location / {{ rewrite ^ /body.json break; }}
    }}
}}
""".format(user=user, prefix=prefix, temps=nginx_temp_dirs(prefix), port=port, crt=crt, key=key,
           cipher=cipher, www=www)
    path = os.path.join(prefix, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    proc = subprocess.Popen(["nginx", "-p", prefix, "-c", path, "-e", os.path.join(prefix, "error.log")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while not tlsutil.listening(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            with open(os.path.join(prefix, "error.log")) as f:
                raise RuntimeError("nginx did not start: %s" % f.read()[-800:])
        time.sleep(0.05)
    return proc


def stop_nginx(proc):
    """Graceful stop (SIGQUIT), killed after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGQUIT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def nginx_pids(master):
    pids = [master.pid]
    try:
        with open("/proc/%d/task/%d/children" % (master.pid, master.pid)) as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return pids


def rss_sum(pids):
    total = 0
    for p in pids:
        try:
            total += tlsutil.proc_status_kib(p)
        except (OSError, KeyError):
            pass
    return total


# ---- main ----------------------------------------------------------------------------------------

def main():
    for tool in ("wrk", "nginx", "openssl"):
        if not shutil.which(tool):
            say("core.py: %s is not installed (apt-get install wrk nginx-light openssl, or ./build.sh bench)" % tool)
            return 2
    if not os.access(harness.BIN, os.X_OK):
        say("core.py: no binary at %s (run ./build.sh)" % harness.BIN)
        return 2
    tlsutil.raise_nofile(IDLE + 1024)
    say("== metrics-adapter core benchmark (%s)" % harness.BIN)
    say("machine: %d CPUs; %s" % (os.cpu_count(), "server pinned to CPU %s, load generator to CPU %s"
                                  % (SERVER_CPU, CLIENT_CPU) if SERVER_CPU is not None else "no CPU pinning"))
    say("binary size: %d bytes" % os.stat(harness.BIN).st_size)

    path, items_want = PATH_100, 100
    a = harness.Adapter("--demo-pods=%d" % DEMO_PODS, name="bench")
    try:
        a.start()
    except AssertionError as e:
        say("NOTE: the adapter did not start with --demo-pods=%d (%s)" % (DEMO_PODS, str(e).splitlines()[0]))
        say("NOTE: falling back to the 5 default demo pods: the list below has 5 items, NOT 100")
        a = harness.Adapter(name="bench-5")
        a.start()
        path, items_want = PATH_5, 5
    tmp = tlsutil.tmpdir("bench")
    ngx = None
    try:
        pin(a.proc.pid)
        time.sleep(0.5)
        base_kib = tlsutil.proc_status_kib(a.proc.pid)
        say("adapter VmRSS idle after start: %s" % mib(base_kib))

        ctx = harness.tls_context(a.cafile)
        t0 = time.monotonic()
        conns = tlsutil.open_idle_conns(a.port, ctx, IDLE, "/healthz")
        dt = time.monotonic() - t0
        time.sleep(0.3)
        say("adapter VmRSS with %d idle keep-alive TLS connections: %s just after opening them "
            "(opened in %.2f s, %.0f handshakes/s)"
            % (IDLE, mib(tlsutil.proc_status_kib(a.proc.pid)), dt, IDLE / dt))
        # connections idle for a second give their request buffers back (http/server.c)
        time.sleep(2.0)
        idle_kib = tlsutil.proc_status_kib(a.proc.pid)
        say("adapter VmRSS with %d idle keep-alive TLS connections: %s after 2 s idle "
            "(%.1f KiB per connection)" % (IDLE, mib(idle_kib), (idle_kib - base_kib) / IDLE))
        tlsutil.close_all(conns)
        time.sleep(0.5)
        say("adapter VmRSS after closing them: %s" % mib(tlsutil.proc_status_kib(a.proc.pid)))

        c = tlsutil.Conn.open(a.port, ctx)
        r = c.request(path)
        cipher = c.cipher()
        c.close()
        items = len(r.json().get("items", [])) if r.status == 200 else -1
        say("response: %d, %d bytes, %d items%s; TLS %s %s" % (
            r.status, len(r.body), items, "" if items == items_want else " (WANTED %d)" % items_want,
            cipher[1], cipher[0]))
        www = os.path.join(tmp, "www")
        os.makedirs(www)
        body_path = os.path.join(www, "body.json")
        with open(body_path, "wb") as f:
            f.write(r.body)

        nport = harness.free_port()
        ngx = start_nginx(os.path.join(tmp), nport, os.path.join(a.cert_dir, "apiserver.crt"),
                          os.path.join(a.cert_dir, "apiserver.key"), body_path, cipher[0])
        for pid in nginx_pids(ngx):
            pin(pid)
        nctx = harness.tls_context(a.cafile)
        c = tlsutil.Conn.open(nport, nctx)
        nr = c.request(path)
        ncipher = c.cipher()
        c.close()
        same = nr.status == 200 and nr.body == r.body
        say("nginx %s on 127.0.0.1:%d: %d, %d bytes, same bytes: %s; TLS %s %s"
            % (subprocess.run(["nginx", "-v"], stderr=subprocess.PIPE).stderr.decode().strip().split("/")[-1],
               nport, nr.status, len(nr.body), "yes" if same else "NO", ncipher[1], ncipher[0]))
        nrss0 = rss_sum(nginx_pids(ngx))
        conns = tlsutil.open_idle_conns(nport, nctx, IDLE, "/healthz")
        time.sleep(0.3)
        say("nginx VmRSS (master + worker) idle: %s; with %d idle keep-alive TLS connections: %s"
            % (mib(nrss0), IDLE, mib(rss_sum(nginx_pids(ngx)))))
        tlsutil.close_all(conns)
        time.sleep(0.5)

        urls = {"adapter": "https://127.0.0.1:%d%s" % (a.port, path),
                "nginx": "https://127.0.0.1:%d%s" % (nport, path)}
        say("")
        say("wrk -t1 -c16 -d%ds --latency, %d-item MetricValueList over keep-alive TLS, interleaved:"
            % (SECONDS, items_want))
        say("%-6s %-8s %12s %10s %10s %10s  %s" % ("round", "server", "req/s", "p50 ms", "p99 ms", "B/req", "notes"))
        res = {"adapter": [], "nginx": []}
        for rnd in range(1, ROUNDS + 1):
            for who in ("adapter", "nginx"):
                w = wrk(urls[who], 16, SECONDS)
                res[who].append(w)
                say("%-6d %-8s %12.0f %10.3f %10.3f %10.0f  %s"
                    % (rnd, who, w["rps"], w["p50"], w["p99"], w["bytes_per_req"], w["errors"]))
        med = {}
        for who in ("adapter", "nginx"):
            med[who] = {k: statistics.median([w[k] for w in res[who]]) for k in ("rps", "p50", "p99")}
            say("%-6s %-8s %12.0f %10.3f %10.3f" % ("median", who, med[who]["rps"], med[who]["p50"], med[who]["p99"]))
        say("ratio adapter/nginx: req/s %.2f, p50 %.2f, p99 %.2f" % (
            med["adapter"]["rps"] / med["nginx"]["rps"], med["adapter"]["p50"] / med["nginx"]["p50"],
            med["adapter"]["p99"] / med["nginx"]["p99"]))

        half = int(med["nginx"]["rps"] / 2)
        say("")
        if shutil.which("wrk2"):
            say("p99 at half of nginx's median rate (%d req/s), wrk2 -t1 -c16 -d%ds -R%d:" % (half, SECONDS, half))
            runs = {who: wrk(urls[who], 16, SECONDS, rate=half) for who in ("adapter", "nginx")}
        else:
            say("p99 at half of nginx's median rate (%d req/s): wrk2 is not installed, so this is an "
                "APPROXIMATION with a closed loop of 2 connections (wrk -t1 -c2 -d%ds --latency), not a "
                "fixed-rate run; the achieved rate is shown" % (half, SECONDS))
            runs = {who: wrk(urls[who], 2, SECONDS) for who in ("adapter", "nginx")}
        for who in ("adapter", "nginx"):
            w = runs[who]
            say("  %-8s %10.0f req/s  p50 %8.3f ms  p99 %8.3f ms  %s" % (who, w["rps"], w["p50"], w["p99"], w["errors"]))
        say("  ratio adapter/nginx p99: %.2f" % (runs["adapter"]["p99"] / runs["nginx"]["p99"]))
        say("")
        say("adapter VmRSS after the load: %s" % mib(tlsutil.proc_status_kib(a.proc.pid)))
    finally:
        stop_nginx(ngx)
        rc = a.stop()
        say("adapter exit status after SIGTERM: %s" % rc)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(a.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
