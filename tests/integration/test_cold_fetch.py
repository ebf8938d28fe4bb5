#!/usr/bin/env python3
"""A fetch of bytes that may not be in the page cache (on disk since before
the broker started, or older than what it keeps cached) is read into the
cache by a worker first (fetch_warm.c), so the network loop never waits for
the disk while other clients wait for it.  The LD_PRELOAD shim (fsync_fault.c)
counts the warm-ups' reads and can hold them, which shows the loop serving
others meanwhile; holding also lets a test close the connection or delete the
topic while a warm-up runs."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RawClient, answered, run_tests, wait_for  # noqa: E402
from shim_broker import ShimBroker  # noqa: E402
import kafka_wire as kw  # noqa: E402

UNKNOWN_TOPIC_OR_PARTITION = 3
BATCHES, VALUE = 40, 50 * 1024
# Sealed segments of ~10 batches: the open's recovery reads only the active one.
OVERRIDES = {"log.segment.bytes": str(512 * 1024)}


def create(c, topic):
    kw.create_topic(c, topic, 1)


def produce(c, topic, n, value):
    for i in range(n):
        c.request(0, 3, kw.produce_v3(topic, 0, kw.record_batch([(b"k%d" % i, value)]), acks=1))
        _, _, err, _ = kw.parse_produce_v3_response(c.recv_frame())[1][0]
        assert err == 0, err


def fetch(c, topic, offset, max_wait=0):
    c.request(1, 4, kw.fetch_v4(topic, [(0, offset)], max_wait=max_wait))


def broker_with_old_data(b):
    """Writes BATCHES records to topic "old" and restarts b with them out of
    the page cache."""
    c = RawClient(b.port)
    create(c, "old")
    produce(c, "old", BATCHES, b"x" * VALUE)
    c.close()
    restart_with_cold_cache(b, "old")


def restart_with_cold_cache(b, topic):
    """Stops b, drops partition 0 of topic from the page cache (as a reboot
    would) and starts b again."""
    b.stop()  # a clean stop syncs: the pages are clean and can be dropped
    d = os.path.join(b.log_dir, topic + "-0")
    for name in os.listdir(d):
        fd = os.open(os.path.join(d, name), os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    b.start()


def test_a_cold_fetch_waits_off_the_loop_and_others_are_served_meanwhile():
    with ShimBroker(OVERRIDES) as b:
        broker_with_old_data(b)
        other = RawClient(b.port)
        create(other, "tail")
        produce(other, "tail", 3, b"fresh")
        fetch(other, "tail", 0)
        err, hw, recs = kw.parse_fetch_v4_response(other.recv_frame())[0]
        assert (err, hw) == (0, 3) and kw.batch_offsets(recs) == [(0, 1), (1, 1), (2, 1)]
        assert b.warm_ups() == 0, "bytes written since the start were warmed: they are cached"

        open(b.warm_flag, "w").close()
        cold = RawClient(b.port)
        fetch(cold, "old", 0)
        wait_for(lambda: b.warm_ups() > 0, "the cold fetch's warm-up")
        # the loop goes on serving others while the warm-up reads
        produce(other, "tail", 1, b"more")
        fetch(other, "tail", 3)
        err, hw, recs = kw.parse_fetch_v4_response(other.recv_frame())[0]
        assert (err, hw) == (0, 4) and kw.batch_offsets(recs) == [(3, 1)]
        assert not answered(cold, 0.3), "the cold fetch was answered before its warm-up ended"

        os.unlink(b.warm_flag)
        assert answered(cold, 10), "the cold fetch was not answered after its warm-up"
        err, hw, recs = kw.parse_fetch_v4_response(cold.recv_frame())[0]
        assert (err, hw) == (0, BATCHES), (err, hw)
        got = kw.batch_offsets(recs)
        assert got[0] == (0, 1) and len(got) >= 5, got  # the first segment's batches
        assert got == [(i, 1) for i in range(len(got))], got
        cold.close()
        other.close()


def test_a_warm_up_reads_a_first_batch_bigger_than_the_fetch_limit_whole():
    """A fetch returns its first batch whole however small its limit, so its
    warm-up reads to that batch's end, not only as far as the limit."""
    with ShimBroker(OVERRIDES) as b:
        c = RawClient(b.port)
        create(c, "old")
        records = [(b"k%d" % i, bytes([65 + i]) * VALUE) for i in range(6)]  # one ~300 KiB batch
        c.request(0, 3, kw.produce_v3("old", 0, kw.record_batch(records), acks=1))
        assert kw.parse_produce_v3_response(c.recv_frame())[1][0][2] == 0
        produce(c, "old", 10, b"x" * VALUE)  # past segment.bytes: the big batch's segment is sealed
        c.close()
        restart_with_cold_cache(b, "old")
        cold = RawClient(b.port)
        cold.request(1, 4, kw.fetch_v4("old", [(0, 0)], max_wait=0, partition_max_bytes=16 * 1024))
        assert answered(cold, 10), "the cold fetch was not answered"
        err, hw, recs = kw.parse_fetch_v4_response(cold.recv_frame())[0]
        assert (err, hw) == (0, 16) and kw.batch_offsets(recs) == [(0, 6)], (err, hw, kw.batch_offsets(recs))
        assert len(recs) > 6 * VALUE
        # one read for the range the limit names, one for the rest of the batch
        assert b.warm_ups() == 2, "%d warm-up reads" % b.warm_ups()
        cold.close()


def test_a_warm_up_outlives_its_connection_and_its_topic():
    with ShimBroker(OVERRIDES) as b:
        broker_with_old_data(b)
        open(b.warm_flag, "w").close()
        gone = RawClient(b.port)
        fetch(gone, "old", 0)
        wait_for(lambda: b.warm_ups() > 0, "the first warm-up")
        gone.close()  # the warm-up, still held, must not touch the closed connection
        parked = RawClient(b.port)
        fetch(parked, "old", 10)
        wait_for(lambda: b.warm_ups() > 1, "the second warm-up")
        admin = RawClient(b.port)
        admin.request(20, 0, kw.delete_topics_v0(["old"]))
        assert kw.parse_delete_topics_v0_response(admin.recv_frame())[1] == [("old", 0)]
        os.unlink(b.warm_flag)
        assert answered(parked, 10), "the fetch was not answered after its warm-up"
        err, _, recs = kw.parse_fetch_v4_response(parked.recv_frame())[0]
        assert err == UNKNOWN_TOPIC_OR_PARTITION and recs == b"", err
        # still serving, and the stop (in the with) finds no leak or sanitizer report
        create(admin, "after")
        produce(admin, "after", 1, b"v")
        parked.close()
        admin.close()


def test_warm_ups_leave_threads_for_fsyncs():
    """Warm-ups share the thread pool with the flush policy's fsyncs: however
    many consumers replay cold data, durable produces still get their fsync."""
    with ShimBroker(dict(OVERRIDES, **{"log.flush.interval.messages": "1"})) as b:
        broker_with_old_data(b)
        durable = RawClient(b.port)
        create(durable, "durable")
        open(b.warm_flag, "w").close()
        readers = []
        for offset in (0, 10, 20, 5):  # cold ranges in the three sealed segments
            r = RawClient(b.port)
            fetch(r, "old", offset)
            readers.append((offset, r))
        wait_for(lambda: b.warm_ups() >= 2, "two warm-ups")
        time.sleep(0.3)
        assert b.warm_ups() == 2, "%d warm-ups run at once" % b.warm_ups()
        produce(durable, "durable", 1, b"acked after an fsync")  # asserts NONE
        os.unlink(b.warm_flag)
        for offset, r in readers:
            assert answered(r, 10), "the fetch at %d was not answered" % offset
            err, hw, recs = kw.parse_fetch_v4_response(r.recv_frame())[0]
            assert (err, hw) == (0, BATCHES) and kw.batch_offsets(recs)[0] == (offset, 1), (err, hw)
            r.close()
        assert b.warm_ups() >= 4
        durable.close()


if __name__ == "__main__":
    run_tests([
        test_a_cold_fetch_waits_off_the_loop_and_others_are_served_meanwhile,
        test_a_warm_up_reads_a_first_batch_bigger_than_the_fetch_limit_whole,
        test_a_warm_up_outlives_its_connection_and_its_topic,
        test_warm_ups_leave_threads_for_fsyncs,
    ])
