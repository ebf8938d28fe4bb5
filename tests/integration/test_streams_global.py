#!/usr/bin/env python3
"""GlobalKTables in the streams runtime against a real broker
(streams_testapp globaljoin: orders joined with a global customers table
through a key mapper), and the co-partitioning check at start-up.

  - bootstrapping: customers written before the application starts are all
    in the global store before the first order is joined (an inner join, so
    a customer missing at that point would drop the order);
  - the global topic has fewer partitions than the orders topic: a global
    table needs no co-partitioning;
  - later customer updates and new customers reach later orders, and
    interactive queries read the global store;
  - a restart resumes from the global checkpoint
    (<state.dir>/<app.id>/global/.checkpoint, Kafka's format) and reads only
    what was written meanwhile; a deleted state.dir is rebuilt from the topic;
  - a missing global topic, and a stream-table join of topics with different
    partition counts, fail start-up with clear messages.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "streams", "apps"))
from harness import Broker, run_tests  # noqa: E402
import streams_helpers as sh  # noqa: E402

FAST = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "3"}
APP_ID = "global-app"


def read_checkpoint(path):
    """{(topic, partition): offset} from a Kafka-format .checkpoint file."""
    with open(path) as f:
        lines = f.read().split("\n")
    assert lines[0] == "0", lines
    n = int(lines[1])
    out = {}
    for line in lines[2:2 + n]:
        topic, part, off = line.split()
        out[(topic, int(part))] = int(off)
    return out


def joined(b, topic):
    return {k.decode(): v.decode() for _, _, k, v in sh.read_all(b.bootstrap, topic)}


def wait_joined(b, topic, want, timeout=60):
    """Waits until the output holds every expected (order id -> result)."""
    def check():
        got = joined(b, topic)
        missing = {k: v for k, v in want.items() if got.get(k) != v}
        return not missing, sorted(missing.items())[:5]
    sh.wait_until(check, timeout, "join results", interval=0.5)


def sget(app, store, key):
    parts = app.command("sget %s %s" % (store, key)).split(None, 2)
    assert parts[1] == key, parts
    return parts[2] if parts[0] == "SVALUE" else parts[0]


def test_global_join_bootstrap_updates_restart():
    tmp = tempfile.mkdtemp(prefix="freshet-glob-")
    state = os.path.join(tmp, "state")
    checkpoint = os.path.join(state, APP_ID, "global", ".checkpoint")
    apps = []
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"gj-orders": 3, "gj-customers": 2, "gj-out": 3})

            def start(name):
                a = sh.StreamsApp("globaljoin", b.bootstrap, APP_ID, "gj-orders", "gj-out", state, threads=2,
                                  commit_ms=200, log_dir=tmp, name=name, args=["--table", "gj-customers"])
                apps.append(a)
                a.start()
                a.wait_state("RUNNING", 60)
                return a

            customers = [("c%d" % i, "name-%d" % i) for i in range(200)]
            sh.produce(b.bootstrap, "gj-customers", customers)

            # 1. Bootstrapped before the stream threads process anything.
            a = start("first")
            log = a.read_log()
            assert "bootstrapped: restored 200 records from 2 partitions" in log, log[-5000:]
            assert log.index("bootstrapped") < log.index("StreamThread-1] starting"), log[-5000:]
            orders = [("o%d" % i, "c%d:item%d" % (i, i)) for i in range(200)]
            sh.produce(b.bootstrap, "gj-orders", orders)
            want = {"o%d" % i: "item%d for name-%d" % (i, i) for i in range(200)}
            wait_joined(b, "gj-out", want)
            assert len(sh.read_all(b.bootstrap, "gj-out")) == 200
            assert sget(a, "customers", "c7") == "name-7"
            assert sget(a, "customers", "nobody") == "MISSING"

            # 2. Updates to the global topic reach later records.
            sh.produce(b.bootstrap, "gj-customers", [("c0", "renamed-0"), ("c500", "new-500")])
            # both: c0 and c500 may lie in different partitions, read by the global thread apart
            sh.wait_until(lambda: (lambda v: (v == ["renamed-0", "new-500"], v))(
                [sget(a, "customers", "c0"), sget(a, "customers", "c500")]), 30,
                "both updates in the global store", interval=0.2)
            sh.produce(b.bootstrap, "gj-orders", [("o1000", "c0:x"), ("o1001", "c500:y"), ("o1002", "c999:z")])
            want.update({"o1000": "x for renamed-0", "o1001": "y for new-500"})
            wait_joined(b, "gj-out", want)
            assert "o1002" not in joined(b, "gj-out")  # inner join: no such customer
            a.stop()
            cp = read_checkpoint(checkpoint)
            assert set(cp) == {("gj-customers", 0), ("gj-customers", 1)}, cp
            assert sum(cp.values()) == 202, cp

            # 3. Restart: resumes from the checkpoint, reads only the new record.
            sh.produce(b.bootstrap, "gj-customers", [("c1", "moved-1")])
            a = start("second")
            log = a.read_log()
            assert "bootstrapped: restored 1 records from 2 partitions" in log, log[-5000:]
            for (topic, p), off in cp.items():
                assert "restoring %s [%d] from offset %d" % (topic, p, off) in log, log[-5000:]
            sh.produce(b.bootstrap, "gj-orders", [("o2000", "c1:w")])
            want["o2000"] = "w for moved-1"
            wait_joined(b, "gj-out", want)
            a.stop()
            assert sum(read_checkpoint(checkpoint).values()) == 203

            # 4. state.dir deleted: the global store is rebuilt from the topic.
            shutil.rmtree(state)
            a = start("third")
            log = a.read_log()
            assert "bootstrapped: restored 203 records from 2 partitions" in log, log[-5000:]
            assert sget(a, "customers", "c1") == "moved-1"
            assert sget(a, "customers", "c0") == "renamed-0"
            sh.produce(b.bootstrap, "gj-orders", [("o3000", "c2:v"), ("o3001", "c500:u")])
            want.update({"o3000": "v for name-2", "o3001": "u for new-500"})
            wait_joined(b, "gj-out", want)
            a.stop()
            assert sum(read_checkpoint(checkpoint).values()) == 203
    finally:
        for x in apps:
            x.ensure_dead()
        shutil.rmtree(tmp, ignore_errors=True)


def run_failing(b, tmp, mode, inp, table):
    cmd = [sh.require_testapp(), mode, "--bootstrap", b.bootstrap, "--app-id", "bad-" + mode, "--input", inp,
           "--table", table, "--output", "out", "--state-dir", os.path.join(tmp, "state")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, **sh.SAN_ENV))
    assert "Sanitizer" not in p.stderr and "runtime error:" not in p.stderr, p.stderr
    assert p.returncode == 1, (p.returncode, p.stderr[-3000:])
    return p.stderr


def test_startup_failures():
    tmp = tempfile.mkdtemp(prefix="freshet-glob-")
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"cp-left": 3, "cp-right": 2})
            err = run_failing(b, tmp, "globaljoin", "cp-left", "no-such-customers")
            assert "global table topic no-such-customers is missing" in err, err[-3000:]
            err = run_failing(b, tmp, "tablejoin", "cp-left", "cp-right")
            assert "topics not co-partitioned" in err, err[-3000:]
            assert "cp-left has 3 partitions" in err and "cp-right has 2" in err, err[-3000:]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sh.require_testapp()
    run_tests([test_global_join_bootstrap_updates_restart, test_startup_failures])
