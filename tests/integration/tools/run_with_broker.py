#!/usr/bin/python3
"""Runs a client-tool test script against a real freshet broker started here.

    run_with_broker.py TEST_SCRIPT [--override k=v ...]

Starts `freshet server` on a free loopback port with a temp data dir (through
tests/integration/harness.py; the binary comes from $FRESHET_BIN), runs
`TEST_SCRIPT $FRESHET_BIN 127.0.0.1:PORT`, then stops the broker and checks it
shut down cleanly with no sanitizer report.  The script's output (ending in
"N passed, N failed, N skipped") passes through; the exit code is the
script's, or 1 if the broker misbehaved.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    script, rest = sys.argv[1], sys.argv[2:]
    overrides = {}
    while rest:
        if rest[0] != "--override" or len(rest) < 2 or "=" not in rest[1]:
            sys.stderr.write(__doc__)
            return 2
        k, v = rest[1].split("=", 1)
        overrides[k] = v
        rest = rest[2:]
    broker = harness.Broker(overrides)
    rc = 1
    try:
        broker.start()
        rc = subprocess.call([sys.executable, script, harness.FRESHET, broker.bootstrap])
        broker.stop()
    except AssertionError as e:
        print("broker: %s" % e, flush=True)
        rc = 1
    finally:
        broker.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
