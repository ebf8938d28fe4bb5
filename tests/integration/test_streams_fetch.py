#!/usr/bin/env python3
"""A stream thread does not sit out librdkafka's fetch back-off.

librdkafka 2.0.2 stops fetching a partition once its consumer queue holds
queued.min.messages records, and only looks again when that broker's thread
wakes, up to a second later.  The runtime wakes it (a watermark request to
the partition's leader) whenever a poll finds nothing while a partition has
not reported its end (streams/runtime/fetch_nudge.c).

Here every fetch trips the threshold: queued.min.messages=1 and 1 KiB
fetches over a backlog of one-record batches, so reading it takes about 60
fetches.  The app must get through the backlog, and restore its store from
its changelog written the same way, in well under those 60 seconds.  This
is a bound on behaviour, not a speed target: without the wake-up each phase
took over a minute (the test failed), with it a few seconds, ASan included.
"""
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


def test_a_backlog_and_a_restore_fetched_a_kilobyte_at_a_time():
    tmp = tempfile.mkdtemp(prefix="freshet-fetch-")
    state = os.path.join(tmp, "state")
    apps = []
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"nf-input": 1, "nf-output": 1})
            keys = ["k%04d" % i for i in range(RECORDS)]
            # one record per batch, so a 1 KiB fetch brings a dozen of them
            sh.produce(b.bootstrap, "nf-input", [(k, "v-" + k) for k in keys], **{"batch.num.messages": 1})

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


if __name__ == "__main__":
    run_tests([test_a_backlog_and_a_restore_fetched_a_kilobyte_at_a_time])
