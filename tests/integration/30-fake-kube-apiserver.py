#!/usr/bin/env python3
"""The fake kube-apiserver's self-test (tests/fakes/test_kube_apiserver.py): the fake that the
kube-apiserver integration tests rely on must itself behave like the real one. Its last line is
"N passed, N failed"; extra arguments select tests by name substring."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SELFTEST = os.path.join(HERE, "..", "fakes", "test_kube_apiserver.py")

if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, SELFTEST] + sys.argv[1:]))
