#!/usr/bin/env python3
"""A fake DNS server for the tests (UDP and TCP on one loopback address, port 53 by default; the
tests run as root). It knows a few names (A and AAAA records with a TTL) and answers in one of
these modes, switchable while it runs:

  answer    answer from the records; unknown names get NXDOMAIN
  silent    never answer (a DNS outage)
  slow      answer, but only after `delay` seconds
  nxdomain  every name gets NXDOMAIN
  truncate  UDP replies carry only the question and TC; TCP gets the full answer

Queries are counted per (name, type, transport). Standalone: python3 dns.py [addr] [port]
serves falcon.test / kube.test = 127.0.0.1 until interrupted."""

import socket
import struct
import sys
import threading
import time

A, AAAA = 1, 28


def _read_name(msg, off):
    labels = []
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the end")
        n = msg[off]
        if n == 0:
            return ".".join(labels), off + 1
        if n & 0xC0:
            raise ValueError("compressed name in a query")
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace").lower())
        off += 1 + n


class FakeDNS:
    def __init__(self, addr="127.0.9.53", port=53):
        self.addr, self.port = addr, port
        self.mode = "answer"
        self.delay = 0.0
        self.ttl = 30
        self.records = {}          # name -> [(type, bytes)]
        self.counts = {}           # (name, qtype, "udp"|"tcp") -> n
        self.lock = threading.Lock()
        self._stop = False
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind((addr, port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((addr, port))
        self.tcp.listen(16)
        self.udp.settimeout(0.2)
        self.tcp.settimeout(0.2)
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True),
                         threading.Thread(target=self._serve_tcp, daemon=True)]
        for t in self._threads:
            t.start()

    # ---- configuration -------------------------------------------------------------------------

    def set(self, name, *ips):
        """name's records: IPv4 and IPv6 literals (replacing what it had)."""
        recs = []
        for ip in ips:
            if ":" in ip:
                recs.append((AAAA, socket.inet_pton(socket.AF_INET6, ip)))
            else:
                recs.append((A, socket.inet_pton(socket.AF_INET, ip)))
        with self.lock:
            self.records[name.lower().rstrip(".")] = recs

    def set_mode(self, mode, delay=0.0):
        assert mode in ("answer", "silent", "slow", "nxdomain", "truncate"), mode
        with self.lock:
            self.mode, self.delay = mode, delay

    def count(self, name=None, qtype=None, transport=None):
        with self.lock:
            return sum(n for (nm, t, tr), n in self.counts.items()
                       if (name is None or nm == name) and (qtype is None or t == qtype)
                       and (transport is None or tr == transport))

    def close(self):
        self._stop = True
        for t in self._threads:
            t.join(2)
        self.udp.close()
        self.tcp.close()

    # ---- protocol ------------------------------------------------------------------------------

    def _reply(self, q, transport):
        """(reply bytes or None for no answer, delay)."""
        if len(q) < 12:
            return None, 0
        qid, flags, qd = struct.unpack(">HHH", q[:6])
        if qd != 1 or flags & 0x8000:
            return None, 0
        try:
            name, off = _read_name(q, 12)
        except ValueError:
            return None, 0
        if off + 4 > len(q):
            return None, 0
        qtype, qclass = struct.unpack(">HH", q[off:off + 4])
        question = q[12:off + 4]
        with self.lock:
            key = (name, qtype, transport)
            self.counts[key] = self.counts.get(key, 0) + 1
            mode, delay, ttl = self.mode, self.delay, self.ttl
            recs = self.records.get(name)
        if mode == "silent":
            return None, 0
        rd = flags & 0x0100
        rcode, answers = 0, []
        if mode == "nxdomain" or recs is None:
            rcode = 3
        else:
            answers = [data for t, data in recs if t == qtype]
        tc = mode == "truncate" and transport == "udp"
        if tc:
            answers = []
        hflags = 0x8000 | rd | 0x0080 | (0x0200 if tc else 0) | rcode
        out = struct.pack(">HHHHHH", qid, hflags, 1, len(answers), 0, 0) + question
        for data in answers:
            out += struct.pack(">HHHIH", 0xC00C, qtype, 1, ttl, len(data)) + data
        return out, (delay if mode == "slow" else 0)

    def _later(self, delay, fn):
        if delay <= 0:
            fn()
            return
        threading.Timer(delay, fn).start()

    def _serve_udp(self):
        while not self._stop:
            try:
                q, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            out, delay = self._reply(q, "udp")
            if out is not None:
                self._later(delay, lambda o=out, p=peer: self._send_udp(o, p))

    def _send_udp(self, out, peer):
        try:
            self.udp.sendto(out, peer)
        except OSError:
            pass

    def _serve_tcp(self):
        while not self._stop:
            try:
                c, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(c,), daemon=True).start()

    def _tcp_conn(self, c):
        c.settimeout(5)
        buf = b""
        try:
            while True:
                data = c.recv(4096)
                if not data:
                    return
                buf += data
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                    n = struct.unpack(">H", buf[:2])[0]
                    out, delay = self._reply(buf[2:2 + n], "tcp")
                    buf = buf[2 + n:]
                    if out is not None:
                        time.sleep(delay)
                        c.sendall(struct.pack(">H", len(out)) + out)
        except OSError:
            pass
        finally:
            c.close()


if __name__ == "__main__":
    d = FakeDNS(sys.argv[1] if len(sys.argv) > 1 else "127.0.9.53",
                int(sys.argv[2]) if len(sys.argv) > 2 else 53)
    d.set("falcon.test", "127.0.0.1")
    d.set("kube.test", "127.0.0.1")
    print("serving DNS on %s:%d" % (d.addr, d.port), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        d.close()
