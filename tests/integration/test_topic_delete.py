#!/usr/bin/env python3
"""DeleteTopics renames each partition directory to Kafka's
"<topic>-<n>.<32 hex>-delete" at once and deletes its files on a worker
thread: unlinking big segment files takes the file system a while, and on
the network loop every client would wait for it.  The LD_PRELOAD shim
(fsync_fault.c) counts and can hold unlinkat calls made off the main thread,
which shows the loop serving others, and a new topic of the same name,
while the old files are still being deleted.  A broker that stopped before
a deletion finished removes the leftover directory when it starts."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, api_versions, run_tests, wait_for  # noqa: E402
from shim_broker import ShimBroker  # noqa: E402
import kafka_wire as kw  # noqa: E402

OVERRIDES = {"log.segment.bytes": str(64 * 1024)}  # several segments per partition
GONE = re.compile(r"^doomed-[01]\.[0-9a-f]{32}-delete$")


def create(c, topic, partitions=1):
    c.request(19, 0, kw.create_topics_v0(topic, partitions))
    assert kw.parse_create_topics_v0_response(c.recv_frame())[1] == [(topic, 0)]


def produce(c, topic, partition, n, value):
    for i in range(n):
        c.request(0, 3, kw.produce_v3(topic, partition, kw.record_batch([(b"k%d" % i, value)]), acks=1))
        _, _, err, _ = kw.parse_produce_v3_response(c.recv_frame())[1][0]
        assert err == 0, err


def fetch_offsets(c, topic):
    c.request(1, 4, kw.fetch_v4(topic, [(0, 0)], max_wait=0))
    err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
    assert err == 0, err
    return hw, kw.batch_offsets(recs)


def gone_dirs(b):
    return sorted(n for n in os.listdir(b.log_dir) if n.endswith("-delete"))


def test_a_deleted_topics_files_go_off_the_loop_and_its_name_is_free_at_once():
    with ShimBroker(OVERRIDES) as b:
        c = RawClient(b.port)
        create(c, "doomed", partitions=2)
        for p in (0, 1):
            produce(c, "doomed", p, 20, b"x" * 10000)
        assert len([n for n in os.listdir(os.path.join(b.log_dir, "doomed-0")) if n.endswith(".log")]) > 2
        unlinks = b.pool_unlinks()

        open(b.pool_unlink_flag, "w").close()
        c.request(20, 0, kw.delete_topics_v0(["doomed"]))
        assert kw.parse_delete_topics_v0_response(c.recv_frame())[1] == [("doomed", 0)]
        names = os.listdir(b.log_dir)
        assert "doomed-0" not in names and "doomed-1" not in names, names
        gone = gone_dirs(b)
        assert len(gone) == 2 and all(GONE.match(n) for n in gone), gone
        wait_for(lambda: b.pool_unlinks() > unlinks, "the deletion's unlink on a worker")

        # while the old files wait, the loop serves, and the name can be taken again
        assert 0 in api_versions(b.port)
        create(c, "doomed")
        produce(c, "doomed", 0, 3, b"new")
        assert fetch_offsets(c, "doomed") == (3, [(0, 1), (1, 1), (2, 1)])
        assert gone_dirs(b) == gone, "the old files went before the held unlinks"

        os.unlink(b.pool_unlink_flag)
        wait_for(lambda: not gone_dirs(b), "the renamed directories to go")
        # the late deletion left the new topic of the same name alone
        assert fetch_offsets(c, "doomed") == (3, [(0, 1), (1, 1), (2, 1)])
        assert os.listdir(os.path.join(b.log_dir, "doomed-0"))
        c.close()


def test_a_deletion_left_unfinished_is_finished_at_startup():
    with Broker(OVERRIDES) as b:
        c = RawClient(b.port)
        create(c, "kept")
        produce(c, "kept", 0, 2, b"v")
        c.close()
        b.stop()
        leftover = os.path.join(b.log_dir, "kept-0.0123456789abcdef0123456789abcdef-delete")
        os.mkdir(leftover)
        with open(os.path.join(leftover, "00000000000000000000.log"), "wb") as f:
            f.write(b"\0" * 4096)
        b.start()
        assert not os.path.exists(leftover)
        assert "left over from a topic deletion" in b.log()
        c = RawClient(b.port)
        assert fetch_offsets(c, "kept") == (2, [(0, 1), (1, 1)])
        c.close()


if __name__ == "__main__":
    run_tests([
        test_a_deleted_topics_files_go_off_the_loop_and_its_name_is_free_at_once,
        test_a_deletion_left_unfinished_is_finished_at_startup,
    ])
