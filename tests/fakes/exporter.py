#!/usr/bin/env python3
"""A test exporter for a real Prometheus to scrape: Prometheus text format on 127.0.0.1 whose
counters grow at known rates from the exporter's start, so a test knows what rate() must say.

Series (COUNTERS grow rate/s, GAUGES are fixed):
  http_requests_total{namespace="default",pod="sample-app-0|1|2"}   1, 2, 3 /s
  http_requests_total{namespace="other",pod="other-app-0"}           5 /s
  node_network_receive_bytes_total{node="node-1|node-2"}             100, 200 /s   (root-scoped)
  namespace_jobs_pending{namespace="default|other"}                  7, 9          (namespace level)
  queue_messages_ready{queue="orders|payments"}                      42, 3         (external)
  weird_labels{path="/a\\"b\\\\c",text="café ☃",empty=""}              1        (escaping)

The exporter's own labels must reach Prometheus unchanged: scrape it with honor_labels: true.
Run alone: python3 exporter.py [--port N]  (prints "listening on PORT")."""

import argparse
import http.server
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeutil import serve_in_thread, stop_serving  # noqa: E402

COUNTERS = [
    ("http_requests_total", {"namespace": "default", "pod": "sample-app-0"}, 1.0),
    ("http_requests_total", {"namespace": "default", "pod": "sample-app-1"}, 2.0),
    ("http_requests_total", {"namespace": "default", "pod": "sample-app-2"}, 3.0),
    ("http_requests_total", {"namespace": "other", "pod": "other-app-0"}, 5.0),
    ("node_network_receive_bytes_total", {"node": "node-1"}, 100.0),
    ("node_network_receive_bytes_total", {"node": "node-2"}, 200.0),
]
GAUGES = [
    ("namespace_jobs_pending", {"namespace": "default"}, 7.0),
    ("namespace_jobs_pending", {"namespace": "other"}, 9.0),
    ("queue_messages_ready", {"queue": "orders"}, 42.0),
    ("queue_messages_ready", {"queue": "payments"}, 3.0),
    ("weird_labels", {"path": '/a"b\\c', "text": "café ☃", "empty": ""}, 1.0),
]


def _esc(v):
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _series(name, labels):
    inner = ",".join('%s="%s"' % (k, _esc(v)) for k, v in labels.items())
    return "%s{%s}" % (name, inner)


class Exporter:
    """Serves /metrics; counters are rate * seconds since start()."""

    def __init__(self, port=0):
        self.port = port
        self.t0 = None
        self.srv = self.thread = None
        self.scrapes = 0

    def text(self):
        dt = time.time() - self.t0
        out = []
        for name in sorted({n for n, _, _ in COUNTERS}):
            out.append("# TYPE %s counter" % name)
            for n, labels, rate in COUNTERS:
                if n == name:
                    out.append("%s %.3f" % (_series(n, labels), rate * dt))
        for name in sorted({n for n, _, _ in GAUGES}):
            out.append("# TYPE %s gauge" % name)
            for n, labels, v in GAUGES:
                if n == name:
                    out.append("%s %g" % (_series(n, labels), v))
        return "\n".join(out) + "\n"

    def start(self):
        exp = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                exp.scrapes += 1
                body = exp.text().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.t0 = time.time()

        def make():
            s = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
            s.daemon_threads = True
            return s

        self.srv, self.thread = serve_in_thread(make, "exporter")
        self.port = self.srv.server_address[1]
        return self

    def stop(self):
        stop_serving(self.srv, self.thread)
        self.srv = None


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    e = Exporter(args.port).start()
    print("listening on %d" % e.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        e.stop()
