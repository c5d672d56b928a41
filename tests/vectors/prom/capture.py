#!/usr/bin/env python3
"""Regenerate the captured Prometheus replies in this folder from a REAL Prometheus (Debian's
package) scraping tests/fakes/exporter.py: NAME.json is the reply body exactly as Prometheus sent
it, NAME.expect what Python's own JSON decoder reads from it, in the line format of
tests/unit/prom/{series,query}_test.c ("name=value,name=value;" per series; for queries one
"name=value,...@TS:VALUE;" per sample with %.3f / %.17g, or "ERR <errorType>: <error>").

    python3 tests/vectors/prom/capture.py"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))
import promutil  # noqa: E402

SERIES = {
    "series_pods": '{__name__="http_requests_total"}',
    "series_mixed": '{__name__=~"node_.*|queue_.*|namespace_.*|weird_labels"}',
    "series_none": '{__name__="does_not_exist"}',
    "series_error": 'not a selector',
}
QUERIES = {
    "query_vector": "rate(http_requests_total[30s])",
    "query_nodes": "sum by (node) (irate(node_network_receive_bytes_total[10s]))",
    "query_external": 'queue_messages_ready{queue=~"orders|payments"}',
    "query_labels": "weird_labels",
    "query_scalar": "scalar(sum(queue_messages_ready))",
    "query_special": "vector(1)/0 or label_replace(vector(-1)/0, \"s\", \"neg\", \"\", \"\") or "
                     "label_replace(vector(0)/0, \"s\", \"nan\", \"\", \"\")",
    "query_error": "sum(",
    "query_matrix": "http_requests_total[10s]",
}


def fmt_g(v):
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return "%.17g" % v


def series_expect(doc):
    if doc.get("status") != "success":
        return "ERR %s: %s" % (doc.get("errorType"), doc.get("error"))
    return "".join(",".join("%s=%s" % kv for kv in s.items()) + ";" for s in doc["data"])


def query_expect(doc):
    if doc.get("status") != "success":
        return "ERR %s: %s" % (doc.get("errorType"), doc.get("error"))
    d = doc["data"]
    if d["resultType"] == "scalar":
        pts = [({}, d["result"])]
    elif d["resultType"] == "vector":
        pts = [(r["metric"], r["value"]) for r in d["result"]]
    else:
        return "ERR %s" % d["resultType"]
    return "".join("".join("%s=%s," % kv for kv in m.items()) + "@%.3f:%s;" % (p[0], fmt_g(float(p[1])))
                   for m, p in pts)


def main():
    with promutil.Prometheus() as p:
        time.sleep(5)
        at = time.time() - 1
        for name, sel in SERIES.items():
            _, body = p.raw("series", {"match[]": [sel], "start": "%.3f" % (at - 600), "end": "%.3f" % at})
            with open(os.path.join(HERE, name + ".json"), "wb") as f:
                f.write(body)
            with open(os.path.join(HERE, name + ".expect"), "w") as f:
                f.write(series_expect(json.loads(body)) + "\n")
        for name, q in QUERIES.items():
            _, body = p.raw("query", {"query": q, "time": "%.3f" % at})
            with open(os.path.join(HERE, name + ".json"), "wb") as f:
                f.write(body)
            with open(os.path.join(HERE, name + ".expect"), "w") as f:
                f.write(query_expect(json.loads(body)) + "\n")


if __name__ == "__main__":
    main()
