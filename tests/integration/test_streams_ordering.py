#!/usr/bin/env python3
"""A task that reads several partitions takes their records in timestamp
order (Kafka Streams' PartitionGroup), with streams_testapp tablejoin: IN
inner-joined by key with the KTable of TABLE, so a stream record read before
its table row gives no output at all.

  - start-up with a backlog: the table's 300 rows (older) need many fetches
    (consumer.max.partition.fetch.bytes=1024, one batch per row), the stream's
    records (newer) come in the first one; every stream record still meets its
    row.  With buffered.records.per.partition=5 the stream partition is paused
    and resumed on the way, and no record is lost or repeated;
  - max.task.idle.ms=6000: with the table partition caught up, a stream
    record waits for a table row that arrives after it but is older; and it
    is processed once the wait is over, with no table record coming.
"""
import contextlib
import os
import shutil
import sys
import tempfile
import time

from confluent_kafka import Producer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "streams", "apps"))
from harness import Broker, run_tests  # noqa: E402
import streams_helpers as sh  # noqa: E402

FAST = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "3"}


def produce_one_batch_each(bootstrap, topic, records):
    """Each (key, value, timestamp) in its own record batch."""
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    for k, v, ts in records:
        p.produce(topic, key=k, value=v, timestamp=ts)
        assert p.flush(30) == 0
    return len(records)


def joined(b, topic):
    out = {}
    for _, _, k, v in sh.read_all(b.bootstrap, topic):
        out.setdefault(k.decode(), []).append(v.decode())
    return out


def wait_output(b, topic, want, timeout=60):
    def check():
        got = joined(b, topic)
        return got == want, {k: v for k, v in got.items() if want.get(k) != v}
    sh.wait_until(check, timeout, "join results %s" % sorted(want)[:5], interval=0.5)


@contextlib.contextmanager
def join_setup(prefix):
    """A broker with PREFIX-table, PREFIX-in and PREFIX-out (one partition
    each); yields (broker, start) where start(extra) runs the tablejoin app.
    The app is killed at the end unless the test stopped it."""
    tmp = tempfile.mkdtemp(prefix="freshet-order-")
    apps = []
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {prefix + "-table": 1, prefix + "-in": 1, prefix + "-out": 1})

            def start(extra):
                app = sh.StreamsApp("tablejoin", b.bootstrap, prefix + "-app", prefix + "-in", prefix + "-out",
                                    os.path.join(tmp, "state"), commit_ms=200, log_dir=tmp,
                                    args=["--table", prefix + "-table"], extra=extra)
                apps.append(app)
                return app.start()
            try:
                yield b, start
            finally:
                for app in apps:  # before the broker goes
                    app.kill()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_backlog_is_joined_in_timestamp_order():
    with join_setup("ord") as (b, start):
        base = int(time.time() * 1000) - 600000
        produce_one_batch_each(b.bootstrap, "ord-table", [("k%d" % i, "t%d" % i, base + i) for i in range(300)])
        # newer than every row; the last rows are the ones read last
        stream = [("k%d" % (299 - j), "s%d" % j, base + 1000 + j) for j in range(40)]
        produce_one_batch_each(b.bootstrap, "ord-in", stream)
        app = start({"consumer.max.partition.fetch.bytes": "1024", "buffered.records.per.partition": "5"})
        wait_output(b, "ord-out", {k: ["%s+t%s" % (v, k[1:])] for k, v, _ in stream})
        app.stop()
        log = app.read_log()
        assert "failed" not in log, log[-5000:]


def test_max_task_idle_ms_waits_for_an_older_table_row():
    with join_setup("idle") as (b, start):
        app = start({"max.task.idle.ms": "6000"})
        app.wait_state("RUNNING", 60)
        sh.produce(b.bootstrap, "idle-table", [("warm", "t")])
        sh.produce(b.bootstrap, "idle-in", [("warm", "s")])
        wait_output(b, "idle-out", {"warm": ["s+t"]})

        # The table partition has just caught up (its idle time starts
        # then; as in Kafka it is not restarted until it gets records).
        sh.produce(b.bootstrap, "idle-table", [("x", "tx")])
        time.sleep(1.5)
        t0 = time.monotonic()
        now = int(time.time() * 1000)
        sh.produce(b.bootstrap, "idle-in", [("a", "sa", now)])
        time.sleep(0.5)
        sh.produce(b.bootstrap, "idle-table", [("a", "ta", now - 60000)])  # later, but older
        # ta goes first; then the table is empty again and sa waits out
        # max.task.idle.ms once more, as no table record comes.
        wait_output(b, "idle-out", {"warm": ["s+t"], "a": ["sa+ta"]})
        waited = time.monotonic() - t0
        assert waited >= 5.0, "processed after %.2f s, before max.task.idle.ms=6000 ran out" % waited
        app.stop()


if __name__ == "__main__":
    run_tests([test_a_backlog_is_joined_in_timestamp_order, test_max_task_idle_ms_waits_for_an_older_table_row])
