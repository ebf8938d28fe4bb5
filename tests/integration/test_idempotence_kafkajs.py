#!/usr/bin/env python3
"""The idempotent producer with kafkajs (idempotent: true, maxInFlightRequests
1): 100,000 records through test_idempotence's CuttingProxy, which cuts
connections at random moments in both directions, then every partition read
straight from the broker must hold each record exactly once, in order. The
kafkajs side is tests/compat/node/idempotent_produce.js."""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_idempotence as ti  # noqa: E402
from harness import run_tests  # noqa: E402

NODE_DIR = os.path.join(HERE, "..", "compat", "node")
SCRIPT = os.path.join(NODE_DIR, "idempotent_produce.js")
NODE = os.environ.get("NODE", "node")


def ensure_node_modules():
    """The suite runs `npm ci` first; a by-hand run may need it too."""
    if os.path.isdir(os.path.join(NODE_DIR, "node_modules", "kafkajs")):
        return
    assert shutil.which("npm"), "npm not found and tests/compat/node/node_modules missing"
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True,
                   timeout=600)


def test_kafkajs_exactly_once_through_cut_connections():
    ensure_node_modules()
    b, proxy = ti.proxied_broker()
    try:
        topic = "idem-kafkajs"
        ti.create_topic(b.port, topic)
        proxy.cutting = True
        start = time.time()
        r = subprocess.run([NODE, SCRIPT, "--bootstrap", "127.0.0.1:%d" % proxy.port, "--topic", topic,
                            "--partitions", str(ti.PARTITIONS), "--count", str(ti.N_RECORDS)],
                           capture_output=True, text=True, timeout=600)
        elapsed = time.time() - start
        proxy.cutting = False
        assert r.returncode == 0, "idempotent_produce.js exited %d:\n%s\n%s" % (r.returncode, r.stdout[-3000:],
                                                                             r.stderr[-5000:])
        stats = json.loads(r.stdout.strip().splitlines()[-1])
        assert stats["sent"] == ti.N_RECORDS, stats
        counts = [len(range(p, ti.N_RECORDS, ti.PARTITIONS)) for p in range(ti.PARTITIONS)]
        ti.check_exactly_once_in_order(b.port, topic, counts)
        dups = ti.duplicates_seen(b)
        print("  kafkajs: %d records in %d sends, %.1fs, through %d connections, %d cuts (%d mid-frame); %d "
              "retried batches were already in the log: exactly once, in order"
              % (ti.N_RECORDS, stats["sends"], elapsed, proxy.stats["connections"], proxy.cuts(),
                 proxy.stats["mid_frame"], dups), flush=True)
        assert proxy.cuts() >= 5, proxy.stats
        assert dups > 0, "no retry of an appended batch happened: the run proves nothing about deduplication"
        b.stop()
    finally:
        proxy.close()
        b.cleanup()


if __name__ == "__main__":
    run_tests([test_kafkajs_exactly_once_through_cut_connections])
