"""A real Prometheus for the tests: Debian's `prometheus` binary started on a free loopback port
with a generated configuration (scrape and evaluation every 1 s, TSDB in a temporary directory)
scraping tests/fakes/exporter.py with honor_labels, plus query helpers that ask Prometheus
directly so a test can compare the adapter's answers with Prometheus' own.

    with Prometheus() as prom:               # starts exporter + prometheus, waits for data
        prom.query("sum(rate(http_requests_total[1m]))")   # -> data dict of the reply
        prom.series('{__name__="up"}')                      # -> list of label dicts
        prom.url                                            # "http://127.0.0.1:PORT"

The system service the Debian package may install is never used (a fresh port every time)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from exporter import Exporter  # noqa: E402

PROMETHEUS_BIN = os.environ.get("PROMETHEUS_BIN", "/usr/bin/prometheus")


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def available():
    """True when the prometheus binary is installed (build.sh test_deps installs it)."""
    return os.access(PROMETHEUS_BIN, os.X_OK)


class Prometheus:
    def __init__(self, scrape_interval="1s", extra_targets=()):
        self.scrape_interval = scrape_interval
        self.extra_targets = list(extra_targets)
        self.exporter = None
        self.proc = None
        self.dir = None
        self.port = None
        self.url = None

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self, timeout=90.0):
        self.exporter = Exporter().start()
        self.dir = tempfile.mkdtemp(prefix="ma-prom-")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        targets = ["127.0.0.1:%d" % self.exporter.port] + self.extra_targets
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(
                "global:\n"
                "  scrape_interval: %s\n"
                "  evaluation_interval: 1s\n"
                "scrape_configs:\n"
                "  - job_name: exporter\n"
                "    honor_labels: true\n"
                "    static_configs:\n"
                "      - targets: [%s]\n" % (self.scrape_interval, ", ".join('"%s"' % t for t in targets)))
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS_BIN, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(self.dir, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited %s: %s" % (self.proc.returncode, self.log_tail()))
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("prometheus not ready after %ds: %s" % (timeout, self.log_tail()))
            time.sleep(0.2)
        # wait until rate() over the scraped counters has at least two points per series
        self.wait_for('count(rate(http_requests_total[1m]) > 0)', lambda v: v == 4, timeout)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.exporter:
            self.exporter.stop()
            self.exporter = None
        if getattr(self, "_log", None):
            self._log.close()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()

    def log_tail(self, n=20):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # ---- API helpers --------------------------------------------------------------------------
    def api(self, path, params, method="GET"):
        """The decoded JSON reply of /api/v1/<path>; raises on status != success."""
        data = urllib.parse.urlencode(params, doseq=True)
        if method == "GET":
            req = urllib.request.Request(self.url + "/api/v1/" + path + "?" + data)
        else:
            req = urllib.request.Request(self.url + "/api/v1/" + path, data=data.encode(),
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                doc = json.load(r)
        except urllib.error.HTTPError as e:
            doc = json.load(e)
        if doc.get("status") != "success":
            raise RuntimeError("Prometheus %s: %s: %s" % (path, doc.get("errorType"), doc.get("error")))
        return doc

    def raw(self, path, params):
        """The reply body bytes of /api/v1/<path> (errors included), for test vectors."""
        data = urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(self.url + "/api/v1/" + path + "?" + data, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def query(self, promql, at=None):
        """data of an instant query at time `at` (seconds; None: now)."""
        params = {"query": promql}
        if at is not None:
            params["time"] = "%.3f" % at
        return self.api("query", params)["data"]

    def scalar(self, promql, at=None):
        """The single value of a one-sample vector or a scalar, or None when empty."""
        d = self.query(promql, at)
        if d["resultType"] == "scalar":
            return float(d["result"][1])
        if not d["result"]:
            return None
        assert len(d["result"]) == 1, "%s: %d samples" % (promql, len(d["result"]))
        return float(d["result"][0]["value"][1])

    def series(self, match, start=None, end=None):
        params = {"match[]": match if isinstance(match, list) else [match]}
        if start is not None:
            params["start"] = "%.3f" % start
        if end is not None:
            params["end"] = "%.3f" % end
        return self.api("series", params)["data"]

    def wait_for(self, promql, pred, timeout=60.0):
        """Poll scalar(promql) until pred(value) holds; returns the value."""
        deadline = time.monotonic() + timeout
        v = None
        while time.monotonic() < deadline:
            try:
                v = self.scalar(promql)
                if v is not None and pred(v):
                    return v
            except (OSError, RuntimeError):
                pass
            time.sleep(0.5)
        raise AssertionError("%s: still %r after %ds" % (promql, v, timeout))
