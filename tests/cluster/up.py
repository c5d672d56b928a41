#!/usr/bin/env python3
"""`./build.sh cluster`: the control plane of tests/cluster with the adapter (Open-Falcon backend
on the fake Open-Falcon) registered and deploy/samples applied, left running for a person to
explore. Prints the KUBECONFIG and how to push values; Ctrl-C (or SIGTERM to this process) stops
everything and removes the temporary directory."""

import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import controlplane as C  # noqa: E402
from falcon import FakeFalcon  # noqa: E402
from run import NS, Fleet  # noqa: E402


def main():
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    cp = C.ControlPlane()
    fl = FakeFalcon(min_step=1)
    fleet = None
    try:
        ad = cp.start_adapter("--falcon-url=" + fl.url, "--cache-ttl=1s", "--v=2")
        cp.wait_available()
        cp.kubectl("apply", "-k", os.path.join(C.DEPLOY, "samples"))
        fleet = Fleet(cp, fl)
        fleet.set_load("test-sample", "cpu.busy", 40)
        fleet.set_load("test-sample", "net.if.in.bytes", 2000, tags="iface=eth0")
        fleet.start()
        print("""
Control plane (Kubernetes %s binaries in %s) with metrics-adapter on 127.0.0.1:%d.

  export KUBECONFIG=%s
  %s/kubectl get apiservices | grep metrics
  %s/kubectl get --raw "/apis/custom.metrics.k8s.io/v1beta2/namespaces/%s/pods/*/cpu.busy"
  %s/kubectl get hpa -n %s -w

deploy/samples is applied; a stand-in kubelet marks pods Running and pushes cpu.busy = 40 spread
over the test-sample pods every 0.5 s. The fake Open-Falcon is %s (push more values with
tests/fakes/falcon_push.py --url %s). Logs of every process: %s/*.log

Stop: Ctrl-C here, or kill %d.""" % (
            json.loads(cp.kubectl("version", "--client", "-o", "json"))["clientVersion"]["gitVersion"],
            C.BIN_DIR, ad.port, cp.kubeconfig, C.BIN_DIR, C.BIN_DIR, NS, C.BIN_DIR, NS,
            fl.url, fl.url, cp.dir, os.getpid()), flush=True)
        while not stop:
            for p in cp.procs:
                if not p.alive():
                    print("%s exited (status %s): stopping" % (p.name, p.p.returncode))
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        if fleet:
            fleet.stopping.set()
        cp.stop()
        fl.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
