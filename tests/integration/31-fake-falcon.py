#!/usr/bin/env python3
"""The fake Open-Falcon's self-test (tests/fakes/test_falcon.py): the fake that the Falcon
backend's integration tests rely on must itself behave like falcon-plus (api, query, agent,
transfer). Its last line is "N passed, N failed"; extra arguments select tests by name
substring."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SELFTEST = os.path.join(HERE, "..", "fakes", "test_falcon.py")

if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, SELFTEST] + sys.argv[1:]))
