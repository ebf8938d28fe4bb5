#!/usr/bin/env python3
"""A short, fixed-seed run of scripts/wire-fuzz: the requests real clients
(confluent-kafka, kafka-python) send a broker, recorded through a proxy, then
mutated and sent for 20 s to the broker under test, which must keep answering
ApiVersions, stop cleanly and print no sanitizer report.  Longer, random-seed
campaigns are the script's own job (scripts/wire-fuzz -t SECONDS)."""
import argparse
import importlib.machinery
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import run_tests  # noqa: E402

ROOT = os.environ.get("FRESHET_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))


def load_wire_fuzz():
    loader = importlib.machinery.SourceFileLoader("wire_fuzz", os.path.join(ROOT, "scripts", "wire-fuzz"))
    spec = importlib.util.spec_from_loader("wire_fuzz", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_mutated_requests_from_real_clients_leave_the_broker_answering():
    wire_fuzz = load_wire_fuzz()
    out = tempfile.mkdtemp(prefix="wire-fuzz-")
    status = wire_fuzz.campaign(argparse.Namespace(t=20, seed=1, out=out))
    assert status == 0, "a finding: the requests that led to it are in " + out
    os.rmdir(out)


if __name__ == "__main__":
    run_tests([test_mutated_requests_from_real_clients_leave_the_broker_answering])
