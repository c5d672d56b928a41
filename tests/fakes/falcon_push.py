#!/usr/bin/env python3
"""Push metric values for the pods of a namespace to an Open-Falcon agent (/v1/push) or transfer
(/api/push): the counterpart of the original adapter's hack/fake_falcon_push.py (Python 3
standard library only).

    falcon_push.py --url http://127.0.0.1:1988 pod-a pod-b                # cpu.busy, 20..50
    falcon_push.py --url http://127.0.0.1:6060/api/push -n custom-metrics-test \\
        --kubeconfig ~/.kube/config --metric net.if.in.bytes --tags iface=eth0 \\
        --counter-type COUNTER --value 1048576 --increment 60000 --interval 60 --count 10

A URL without a path means the agent's /v1/push. Pods come from the command line, or from
`kubectl get pods -n NS -o name` when --kubeconfig is given. The endpoint of a pod is the pod
name, or --endpoint-template with {pod} and {namespace}. Each round prints the payload and the
reply (as the original did); the exit status is 1 if any push was not answered 200.
"""

import argparse
import json
import random
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def pods_from_kubectl(kubectl, kubeconfig, namespace):
    out = subprocess.run([kubectl, "--kubeconfig", kubeconfig, "get", "pods", "-n", namespace,
                          "-o", "name"], check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    return [ln.strip().split("/", 1)[-1] for ln in out.splitlines() if ln.strip()]


def push_url(url):
    if "://" not in url:
        url = "http://" + url
    u = urllib.parse.urlsplit(url)
    if u.path in ("", "/"):
        url = urllib.parse.urlunsplit((u.scheme, u.netloc, "/v1/push", "", ""))
    return url


def number(v):
    return int(v) if float(v).is_integer() and abs(v) < 2 ** 53 else v


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pods", nargs="*", help="pod names (default: from kubectl)")
    ap.add_argument("--url", default="http://127.0.0.1:1988/v1/push",
                    help="agent (/v1/push) or transfer (/api/push) URL")
    ap.add_argument("-n", "--namespace", default="custom-metrics-test")
    ap.add_argument("--kubeconfig", help="list the namespace's pods with kubectl")
    ap.add_argument("--kubectl", default="kubectl")
    ap.add_argument("--metric", default="cpu.busy")
    ap.add_argument("--tags", default="")
    ap.add_argument("--counter-type", default="GAUGE", choices=("GAUGE", "COUNTER", "DERIVE"))
    ap.add_argument("--value", type=float, help="fixed value (default: --random 20:50)")
    ap.add_argument("--random", default="20:50", metavar="MIN:MAX",
                    help="random integer in [MIN, MAX] per pod and round")
    ap.add_argument("--increment", type=float, default=0.0,
                    help="added to --value every round (a growing COUNTER)")
    ap.add_argument("--step", type=int, default=60)
    ap.add_argument("--timestamp", type=int, help="first round's timestamp, later rounds +step each (default: now)")
    ap.add_argument("--endpoint-template", default="{pod}")
    ap.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")
    ap.add_argument("--count", type=int, default=1, help="rounds (0: forever)")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args(argv)
    pods = list(a.pods)
    if not pods and a.kubeconfig:
        pods = pods_from_kubectl(a.kubectl, a.kubeconfig, a.namespace)
    if not pods:
        ap.error("no pods: name them or give --kubeconfig")
    lo, _, hi = a.random.partition(":")
    url = push_url(a.url)
    ok = True
    rnd = 0
    while a.count == 0 or rnd < a.count:
        # a given timestamp is simulated time: rounds are one step apart whatever --interval is
        ts = (a.timestamp + rnd * a.step) if a.timestamp else int(time.time())
        payload = []
        for pod in pods:
            if a.value is not None:
                v = a.value + rnd * a.increment
            else:
                v = random.randint(int(lo), int(hi or lo))
            payload.append({"endpoint": a.endpoint_template.format(pod=pod,
                                                                   namespace=a.namespace),
                            "metric": a.metric, "timestamp": ts, "step": a.step,
                            "value": number(v), "counterType": a.counter_type,
                            "tags": a.tags})
        body = json.dumps(payload).encode()
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=a.timeout) as r:
                code, reply = r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            code, reply = e.code, e.read().decode("utf-8", "replace")
        except OSError as e:
            code, reply = 0, str(e)
        if code != 200:
            ok = False
        if not a.quiet:
            print(json.dumps(payload))
            print(code, reply.strip())
        sys.stdout.flush()
        rnd += 1
        if a.count == 0 or rnd < a.count:
            time.sleep(a.interval)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
