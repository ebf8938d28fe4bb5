#!/usr/bin/env python3
"""Freshet's consumers do not sit out librdkafka's fetch back-off.

librdkafka 2.0.2 stops fetching a partition once its consumer queue holds
queued.min.messages records, and only looks again when that broker's thread
wakes, up to a second later.  Stream threads, restoration and the global
thread (streams/runtime/fetch_nudge.c) and the console consumer
(tools/tool_fetch_nudge.h) wake it with a watermark request to the
partition's leader whenever a poll finds nothing after records came while
a partition has not reported its end.

Here every fetch trips the threshold: queued.min.messages=1 and 1 KiB
fetches over a backlog of one-record batches, so reading it takes about 60
fetches.  Each consumer must get through it in well under those 60
seconds.  This is a bound on behaviour, not a speed target: without the
wake-up each phase took 46-108 s (the tests failed), with it 0.2-1.5 s,
ASan included.
"""
import subprocess
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "streams", "apps"))
from harness import Broker, run_tests  # noqa: E402
import streams_helpers as sh  # noqa: E402

FAST = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "3"}
RECORDS = 700
BOUND_S = 30  # about 60 fetches: a minute or more if each waited for librdkafka's timer
TRIP_EVERY_FETCH = {"queued.min.messages": "1", "max.partition.fetch.bytes": "1024"}


def one_record_batches(bootstrap, topic, n=RECORDS):
    """n records, one per batch, so a 1 KiB fetch brings a dozen of them; their keys."""
    keys = ["k%04d" % i for i in range(n)]
    sh.produce(bootstrap, topic, [(k, "v-" + k) for k in keys], **{"batch.num.messages": 1})
    return keys


def test_the_console_consumer_reads_a_backlog_fetched_a_kilobyte_at_a_time():
    with Broker(FAST) as b:
        sh.create_topics(b.bootstrap, {"nf-console": 1})
        # twice the records: the console consumer's own metadata requests, every
        # few hundred ms, also wake the fetcher, so without the nudge it waited
        # about half the time (27 s for 700)
        keys = one_record_batches(b.bootstrap, "nf-console", 2 * RECORDS)
        props = []
        for k, v in TRIP_EVERY_FETCH.items():
            props += ["--consumer-property", "%s=%s" % (k, v)]
        t0 = time.time()
        out = subprocess.run([os.environ["FRESHET_BIN"], "console-consumer", "--bootstrap-server", b.bootstrap,
                              "--topic", "nf-console", "--from-beginning", "--max-messages", str(len(keys)),
                              "--property", "print.key=true"] + props,
                             capture_output=True, text=True, timeout=300)
        took = time.time() - t0
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.splitlines() == ["%s\tv-%s" % (k, k) for k in keys], out.stdout[:500]
        assert took < BOUND_S, "reading the backlog took %.1f s: the fetcher waited out its back-off" % took
        print("console consumer %.1f s" % took)


def test_a_backlog_and_a_restore_fetched_a_kilobyte_at_a_time():
    tmp = tempfile.mkdtemp(prefix="freshet-fetch-")
    state = os.path.join(tmp, "state")
    apps = []
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"nf-input": 1, "nf-output": 1})
            keys = one_record_batches(b.bootstrap, "nf-input")

            def start(extra):
                a = sh.StreamsApp("passthrough", b.bootstrap, "nudge", "nf-input", "nf-output", state,
                                  commit_ms=200, log_dir=tmp, name="app%d" % len(apps),
                                  extra=dict({"producer.batch.num.messages": "1"}, **extra))
                apps.append(a)
                return a.start()

            t0 = time.time()
            a = start({"consumer." + k: v for k, v in TRIP_EVERY_FETCH.items()})
            a.wait_state("RUNNING", 60)
            sh.wait_until(lambda: (len(sh.read_all(b.bootstrap, "nf-output")) >= RECORDS, None), 120,
                          "the backlog's %d records in the output" % RECORDS, interval=0.5)
            backlog_s = time.time() - t0
            out = sh.read_all(b.bootstrap, "nf-output")
            assert sorted(k.decode() for _, _, k, _ in out) == keys, "output differs: %d records" % len(out)
            assert backlog_s < BOUND_S, "the backlog took %.1f s: the fetcher waited out its back-off" % backlog_s
            changelog = "nudge-seen-changelog"
            assert len(sh.latest_longs(b.bootstrap, changelog)) == RECORDS
            a.stop()

            # the store comes back from a changelog of one-record batches, a kilobyte per fetch
            shutil.rmtree(state)
            t0 = time.time()
            a = start({"restore.consumer." + k: v for k, v in TRIP_EVERY_FETCH.items()})
            a.wait_state("RUNNING", 120)
            restore_s = time.time() - t0
            assert "restoring task 0_0" in a.read_log(), a.tail()
            assert restore_s < BOUND_S, "restoring took %.1f s: the fetcher waited out its back-off" % restore_s
            assert a.range("seen") == [(k, 1) for k in keys]
            a.stop()
            print("backlog %.1f s, restore %.1f s" % (backlog_s, restore_s))
    finally:
        for x in apps:
            x.ensure_dead()
        shutil.rmtree(tmp, ignore_errors=True)


def sget(app, store, key):
    parts = app.command("sget %s %s" % (store, key)).split(None, 2)
    return parts[2] if parts[0] == "SVALUE" else parts[0]


def test_a_global_table_bootstraps_and_follows_a_kilobyte_at_a_time():
    tmp = tempfile.mkdtemp(prefix="freshet-fetch-")
    app = None
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"nf-orders": 1, "nf-customers": 1, "nf-joined": 1})
            keys = one_record_batches(b.bootstrap, "nf-customers")
            t0 = time.time()
            # the global thread's consumer takes the restore consumer's settings, as in Kafka
            app = sh.StreamsApp("globaljoin", b.bootstrap, "nudge-global", "nf-orders", "nf-joined",
                                os.path.join(tmp, "state"), commit_ms=200, log_dir=tmp, args=["--table", "nf-customers"],
                                extra={"restore.consumer." + k: v for k, v in TRIP_EVERY_FETCH.items()}).start()
            app.wait_state("RUNNING", 120)
            bootstrap_s = time.time() - t0
            assert "bootstrapped: restored %d records" % RECORDS in app.read_log(), app.tail()
            assert bootstrap_s < BOUND_S, "bootstrapping took %.1f s: the fetcher waited out its back-off" % bootstrap_s
            assert sget(app, "customers", keys[-1]) == "v-" + keys[-1]

            # running: as many new rows again, followed as they come
            t0 = time.time()
            updates = ["u%04d" % i for i in range(RECORDS)]
            sh.produce(b.bootstrap, "nf-customers", [(u, "new-" + u) for u in updates], **{"batch.num.messages": 1})
            sh.wait_until(lambda: (sget(app, "customers", updates[-1]) == "new-" + updates[-1], None), 120,
                          "the last update in the global store", interval=0.2)
            follow_s = time.time() - t0
            assert follow_s < BOUND_S, "following took %.1f s: the fetcher waited out its back-off" % follow_s
            app.stop()
            print("global bootstrap %.1f s, following %.1f s" % (bootstrap_s, follow_s))
    finally:
        if app:
            app.ensure_dead()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_the_console_consumer_reads_a_backlog_fetched_a_kilobyte_at_a_time,
               test_a_backlog_and_a_restore_fetched_a_kilobyte_at_a_time,
               test_a_global_table_bootstraps_and_follows_a_kilobyte_at_a_time])
