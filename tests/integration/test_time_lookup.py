#!/usr/bin/env python3
"""ListOffsets by timestamp reads and decodes batches from the segment files,
so it runs on a worker thread (time_lookup.c) while the network loop serves
everyone else.  The LD_PRELOAD shim (fsync_fault.c) counts and can hold the
reads worker threads make, which shows the loop answering others meanwhile,
lookups queued behind the running one, and a lookup whose topic is deleted
or whose client goes away while it waits."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RawClient, answered, api_versions, run_tests, wait_for  # noqa: E402
from shim_broker import ShimBroker  # noqa: E402
import kafka_wire as kw  # noqa: E402

UNKNOWN_TOPIC_OR_PARTITION = 3
T0 = int(time.time() * 1000) - 3600 * 1000  # recent: time retention (7 days) keeps the records
BATCHES = 30
OVERRIDES = {"log.segment.bytes": str(16 * 1024)}  # several segments: the lookup picks one


def create(c, topic, partitions=1):
    kw.create_topic(c, topic, partitions)


def produce(c, topic, partition, n, first_ts=T0):
    """n one-record batches, batch i stamped first_ts + i seconds."""
    for i in range(n):
        batch = kw.record_batch([(b"k%d" % i, b"v" * 1000)], base_ts=first_ts + i * 1000)
        c.request(0, 3, kw.produce_v3(topic, partition, batch, acks=1))
        _, _, err, _ = kw.parse_produce_v3_response(c.recv_frame())[1][0]
        assert err == 0, err


def ask(c, topic, partitions):
    c.request(2, 1, kw.list_offsets_v1(topic, partitions))


def answer(c):
    return kw.parse_list_offsets_v1_response(c.recv_frame())


def test_a_lookup_by_time_runs_off_the_loop_and_others_are_served_meanwhile():
    with ShimBroker(OVERRIDES) as b:
        c = RawClient(b.port)
        create(c, "old")
        produce(c, "old", 0, BATCHES)
        create(c, "tail")
        reads = b.pool_reads()

        open(b.pool_read_flag, "w").close()
        seek = RawClient(b.port)
        ask(seek, "old", [(0, T0 + 5500)])
        wait_for(lambda: b.pool_reads() > reads, "the lookup's read on a worker")
        # the loop goes on: another topic takes appends and answers ListOffsets latest,
        produce(c, "tail", 0, 2)
        ask(c, "tail", [(0, -1)])
        assert answer(c) == {0: (0, -1, 2)}
        # and so does the partition being read (the read holds no lock on it)
        produce(c, "old", 0, 1, first_ts=T0 + 100000)
        ask(c, "old", [(0, -1)])
        assert answer(c) == {0: (0, -1, BATCHES + 1)}
        assert 0 in api_versions(b.port)
        assert not answered(seek, 0.3), "the lookup was answered while its read was held"

        os.unlink(b.pool_read_flag)
        assert answered(seek, 10), "the lookup was not answered once its read went on"
        assert answer(seek) == {0: (0, T0 + 6000, 6)}
        # the batch appended while the lookup waited is found; past it there is no offset, as in Kafka
        ask(seek, "old", [(0, T0 + BATCHES * 1000)])
        assert answer(seek) == {0: (0, T0 + 100000, BATCHES)}
        ask(seek, "old", [(0, T0 + 100001)])
        assert answer(seek) == {0: (0, -1, -1)}
        seek.close()
        c.close()


def test_an_unknown_topic_is_answered_at_once():
    with ShimBroker(OVERRIDES) as b:
        reads = b.pool_reads()
        open(b.pool_read_flag, "w").close()
        c = RawClient(b.port)
        ask(c, "nope", [(0, T0), (1, -1)])
        assert answered(c, 5), "a lookup with nothing to read waited"
        got = answer(c)
        assert got[0][0] == UNKNOWN_TOPIC_OR_PARTITION and got[1][0] == UNKNOWN_TOPIC_OR_PARTITION, got
        assert b.pool_reads() == reads
        os.unlink(b.pool_read_flag)
        c.close()


def test_lookups_queue_and_survive_a_deleted_topic_and_a_closed_connection():
    with ShimBroker(OVERRIDES) as b:
        c = RawClient(b.port)
        create(c, "a", partitions=2)
        produce(c, "a", 0, BATCHES)
        produce(c, "a", 1, 5)
        create(c, "b")
        produce(c, "b", 0, 10, first_ts=T0 + 500)

        reads = b.pool_reads()
        open(b.pool_read_flag, "w").close()
        first = RawClient(b.port)
        ask(first, "a", [(0, T0 + 20000), (1, T0)])
        wait_for(lambda: b.pool_reads() > reads, "the first lookup's read")
        second = RawClient(b.port)
        ask(second, "b", [(0, T0 + 2000)])
        gone = RawClient(b.port)
        ask(gone, "a", [(1, T0 + 1000)])
        gone.close()  # its lookup is still queued: it must free itself, not answer
        # the topic under the running lookup is deleted meanwhile
        c.request(20, 0, kw.delete_topics_v0(["a"]))
        assert kw.parse_delete_topics_v0_response(c.recv_frame())[1] == [("a", 0)]
        assert not answered(second, 0.3), "the second lookup did not wait for the first"

        os.unlink(b.pool_read_flag)
        assert answered(first, 10) and answered(second, 10)
        got = answer(first)
        # partition 0 was being read when the topic went: its log stayed open until then
        assert got[0] == (0, T0 + 20000, 20), got
        # partition 1's turn came after the deletion
        assert got[1][0] == UNKNOWN_TOPIC_OR_PARTITION, got
        got = answer(second)
        assert got == {0: (0, T0 + 2500, 2)}, got
        # the deleted partition's renamed directory went once the lookup let go of its log
        wait_for(lambda: not [n for n in os.listdir(b.log_dir) if n.endswith("-delete")],
                 "the deleted topic's directories to go")

        # the broker goes on: the topic comes back under its name, empty, and is looked up again
        create(c, "a", partitions=2)
        produce(c, "a", 1, 3, first_ts=T0 + 9000)
        ask(c, "a", [(1, T0 + 10000)])
        assert answer(c) == {1: (0, T0 + 10000, 1)}
        assert 0 in api_versions(b.port)
        first.close()
        second.close()
        c.close()


if __name__ == "__main__":
    run_tests([
        test_a_lookup_by_time_runs_off_the_loop_and_others_are_served_meanwhile,
        test_an_unknown_topic_is_answered_at_once,
        test_lookups_queue_and_survive_a_deleted_topic_and_a_closed_connection,
    ])
