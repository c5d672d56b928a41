"""Plumbing shared by the fakes (kube_apiserver.py, falcon.py) and their self-tests."""

import signal
import sys
import threading
import time
import traceback


def serve_in_thread(make_server, name, retry_s=5.0):
    """make_server() -> a socketserver bound to its port; retried for retry_s while the port is
    still held (a restart right after a stop). Serves it on a daemon thread; returns
    (server, thread)."""
    deadline = time.monotonic() + retry_s
    while True:
        try:
            srv = make_server()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              name=name, daemon=True)
    thread.start()
    return srv, thread


def stop_serving(srv, thread):
    """Stop serve_in_thread's server: no new connections; the listener is closed."""
    if srv is not None:
        srv.shutdown()
        srv.server_close()
        thread.join(5.0)


def run_self_tests(tests, fakes, argv, timeout_s):
    """Run the registered test functions (those whose name contains an argv word, if any), each
    under an alarm of timeout_s, close the fakes, print `N passed, N failed` last; returns the
    exit status."""

    def alarm(signum, frame):
        raise TimeoutError("test exceeded %d s" % timeout_s)

    signal.signal(signal.SIGALRM, alarm)
    passed = failed = 0
    for fn in tests:
        if argv and not any(a in fn.__name__ for a in argv):
            continue
        t0 = time.monotonic()
        signal.alarm(timeout_s)
        try:
            fn()
            signal.alarm(0)
            passed += 1
            print("ok   %s (%.2f s)" % (fn.__name__, time.monotonic() - t0))
        except Exception as e:
            signal.alarm(0)
            failed += 1
            print("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
            traceback.print_exc(limit=4, file=sys.stdout)
        sys.stdout.flush()
    for f in fakes:
        try:
            f.close()
        except Exception as e:
            print("close: %r" % e)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
