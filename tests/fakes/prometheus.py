#!/usr/bin/env python3
"""A fake Prometheus HTTP API for the wire tests: it records every request (method, path,
decoded parameters from the query string or a form body, headers) and answers with a reply the
test sets, over plain HTTP or HTTPS (optionally requiring a client certificate).

    fake = FakePrometheus(certfile=..., keyfile=..., client_ca=...).start()
    fake.reply(200, '{"status":"success",...}', chunk=7, delay=0)   # every later request
    fake.requests[-1]  -> {"method", "path", "params", "headers", "body", "peercert"}
    fake.stop()

chunk > 0 sends the body with Transfer-Encoding: chunked in pieces of that many bytes (a
streaming reader must reassemble it); delay holds the reply that many seconds (timeouts)."""

import http.server
import os
import ssl
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeutil import serve_in_thread, stop_serving  # noqa: E402

EMPTY_VECTOR = '{"status":"success","data":{"resultType":"vector","result":[]}}'


class FakePrometheus:
    def __init__(self, certfile=None, keyfile=None, client_ca=None):
        self.certfile, self.keyfile, self.client_ca = certfile, keyfile, client_ca
        self.requests = []
        self.lock = threading.Lock()
        self._reply = (200, "application/json", EMPTY_VECTOR.encode(), 0, 0.0)
        self.srv = self.thread = None
        self.port = None

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.certfile else "http", self.port)

    def reply(self, status, body, content_type="application/json", chunk=0, delay=0.0):
        if isinstance(body, str):
            body = body.encode()
        with self.lock:
            self._reply = (status, content_type, body, chunk, delay)

    def start(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self):
                u = urllib.parse.urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                params = urllib.parse.parse_qs(u.query, keep_blank_values=True)
                if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items():
                        params.setdefault(k, []).extend(v)
                peer = None
                if hasattr(self.connection, "getpeercert"):
                    peer = self.connection.getpeercert()
                with fake.lock:
                    fake.requests.append({"method": self.command, "path": u.path, "raw_query": u.query,
                                          "params": params, "headers": dict(self.headers.items()),
                                          "body": body, "peercert": peer,
                                          "client": self.client_address})
                    status, ctype, rbody, chunk, delay = fake._reply
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if chunk:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(rbody), chunk):
                        part = rbody[i:i + chunk]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(rbody)))
                    self.end_headers()
                    self.wfile.write(rbody)

            def do_GET(self):
                self.handle_one()

            def do_POST(self):
                self.handle_one()

            def log_message(self, *a):
                pass

        def make():
            s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            s.daemon_threads = True
            s.handle_error = lambda request, address: None  # a client that timed out and left
            if self.certfile:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(self.certfile, self.keyfile)
                if self.client_ca:
                    ctx.load_verify_locations(self.client_ca)
                    ctx.verify_mode = ssl.CERT_REQUIRED
                s.socket = ctx.wrap_socket(s.socket, server_side=True)
            return s

        self.srv, self.thread = serve_in_thread(make, "fake-prometheus")
        self.port = self.srv.server_address[1]
        return self

    def stop(self):
        stop_serving(self.srv, self.thread)
        self.srv = None
