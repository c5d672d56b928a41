#!/usr/bin/env python3
"""`./build.sh run-falcon`: the Open-Falcon backend on one machine, no cluster needed.

Starts the fake kube-apiserver holding the original adapter's samples (namespace
custom-metrics-test, two test-sample pods, CustomMetrics cpu.busy and
net.if.in.bytes-iface-equal-eth0, an ExternalMetric), the fake Open-Falcon (api, agent and
transfer on one port, 127.0.0.1:1988 by default: the agent's port, which the push tool uses), and
build/metrics-adapter against both on https://127.0.0.1:6443. It prints the commands that push
values and read them back with `kubectl get --raw`, then runs until Ctrl-C.

Values are served from the adapter's cache for --cache-ttl (5 s here, 50 s by default), so a push
shows within 5 s.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from falcon import FakeFalcon  # noqa: E402
from kube_apiserver import FakeKubeApiserver  # noqa: E402

NS = "custom-metrics-test"
PODS = ["test-sample-59f6b8979b-dcsdn", "test-sample-59f6b8979b-x7k2p"]
CRD_GV = "metrics.falcon/v1alpha1"


def seed(kube):
    kube.add_resource("metrics.falcon", "v1alpha1", "custommetrics", "CustomMetric")
    kube.add_resource("metrics.falcon", "v1alpha1", "externalmetrics", "ExternalMetric")
    for i, name in enumerate(PODS):
        kube.add_pod(NS, name, labels={"app": "test-sample", "pod-template-hash": "59f6b8979b"},
                     node="node-%d" % i, ip="10.244.0.%d" % (i + 10))
    for name, counter in (("cpu.busy", "cpu.busy"),
                          ("net.if.in.bytes-iface-equal-eth0", "net.if.in.bytes/iface=eth0")):
        kube.create({"apiVersion": CRD_GV, "kind": "CustomMetric",
                     "metadata": {"name": name, "namespace": NS},
                     "spec": {"metric": {"counter": counter, "endpoint": ""}}})
    kube.create({"apiVersion": CRD_GV, "kind": "ExternalMetric",
                 "metadata": {"name": "lb-queue", "namespace": NS},
                 "spec": {"metric": {"counter": "nginx.queue"}, "endpoints": ["lb-0", "lb-1"],
                          "mode": "items"}})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=6443, help="adapter HTTPS port")
    ap.add_argument("--falcon-port", type=int, default=1988, help="fake Open-Falcon port")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "metrics-adapter"))
    ap.add_argument("adapter_args", nargs="*", help="extra adapter flags (after --)")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="ma-falcon-demo-")
    kube = FakeKubeApiserver()
    seed(kube)
    fal = FakeFalcon(port=a.falcon_port)
    kc_fake = kube.write_kubeconfig(os.path.join(work, "kubeconfig-fake-apiserver"), auth="token",
                                    token=kube.add_token("falcon-demo-token-0123456789abcdef"),
                                    namespace=NS)
    # kubectl reaches the adapter as the HPA controller: a token the fake's TokenReview knows (the
    # adapter delegates authentication and authorization to it)
    hpa_token = "falcon-demo-hpa-token-0123456789abcdef"
    kube.tokenreview_users[hpa_token] = {
        "username": "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
        "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system"]}
    kc_adapter = os.path.join(work, "kubeconfig-adapter")
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    for c in (["set-cluster", "adapter", "--server=https://127.0.0.1:%d" % a.port,
               "--insecure-skip-tls-verify=true"],
              ["set-credentials", "adapter", "--token=" + hpa_token],
              ["set-context", "adapter", "--cluster=adapter", "--user=adapter"],
              ["use-context", "adapter"]):
        subprocess.run(["kubectl", "config", "--kubeconfig=" + kc_adapter] + c, check=True,
                       stdout=subprocess.DEVNULL, env=env)
    argv = [a.bin, "--secure-port=%d" % a.port, "--bind-address=127.0.0.1", "--kubeconfig=" + kc_fake,
            "--falcon-url=127.0.0.1:%d" % a.falcon_port, "--cache-ttl=5s", "--v=2"] + a.adapter_args
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    push = "python3 tests/fakes/falcon_push.py --url http://127.0.0.1:%d" % a.falcon_port
    raw = "kubectl --kubeconfig %s get --raw" % kc_adapter
    print("""
==> Open-Falcon demo: adapter https://127.0.0.1:{port}, fake Open-Falcon http://127.0.0.1:{fp},
    fake kube-apiserver {kube} (namespace {ns}: pods {pods}).
    In another shell, from the repository:

  # push cpu.busy for both pods (random 20..50), as the original's hack/fake_falcon_push.py:
  {push} -n {ns} --kubeconfig {kc} --metric cpu.busy --random 20:50
  # push net.if.in.bytes/iface=eth0 as a COUNTER every 10 s (the adapter serves the rate):
  {push} -n {ns} --kubeconfig {kc} --metric net.if.in.bytes --tags iface=eth0 \\
      --counter-type COUNTER --value 1048576 --increment 60000 --step 10 --interval 10 --count 30 &

  {raw} /apis/custom.metrics.k8s.io/v1beta1 | python3 -m json.tool
  {raw} "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{ns}/pods/*/cpu.busy" | python3 -m json.tool
  {raw} "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{ns}/pods/*/net.if.in.bytes-iface-equal-eth0"
  {push} --metric nginx.queue --value 7 lb-0 lb-1
  {raw} "/apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/lb-queue"

    Ctrl-C stops everything.
""".format(port=a.port, fp=a.falcon_port, kube=kube.url, ns=NS, pods=", ".join(PODS), push=push,
           kc=kc_fake, raw=raw), flush=True)
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        while not stop and proc.poll() is None:
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        fal.close()
        kube.close()
    return proc.returncode if proc.returncode and proc.returncode > 0 else 0


if __name__ == "__main__":
    sys.exit(main())
