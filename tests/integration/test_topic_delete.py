#!/usr/bin/env python3
"""DeleteTopics renames each partition directory to Kafka's
"<topic>-<n>.<32 hex>-delete" at once and deletes its files on a worker
thread: unlinking big segment files takes the file system a while, and on
the network loop every client would wait for it.  The LD_PRELOAD shim
(fsync_fault.c) counts and can hold unlinkat calls made off the main thread,
which shows the loop serving others, and a new topic of the same name,
while the old files are still being deleted.  A broker that stopped before
a deletion finished removes the leftover directory when it starts.

A deletion is answered only once it is on disk: the renames and the config
file's unlink are followed by an fsync of the log dir and of .topic-configs,
and the answer waits for it (the shim logs renames, unlinks and directory
fsyncs in order, and can hold or fail the syncs).  One request's deletions
take one sync; deletions made while a sync runs share the next one; and
the removals wait for the sync and go one partition at a time, so they
never stand between a deletion and its answer."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, api_versions, run_tests, wait_for  # noqa: E402
from shim_broker import ShimBroker  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

OVERRIDES = {"log.segment.bytes": str(64 * 1024)}  # several segments per partition
GONE = re.compile(r"^doomed-[01]\.[0-9a-f]{32}-delete$")


def create(c, topic, partitions=1):
    kw.create_topic(c, topic, partitions)


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


def create_with_config(b, topic, partitions):
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    fs = admin.create_topics([NewTopic(topic, partitions, 1, config={"retention.ms": "86400000"})])
    fs[topic].result(30)


def last_index(events, event):
    found = [i for i, e in enumerate(events) if e == event]
    assert found, (event, events)
    return found[-1]


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


def test_a_deletion_is_on_disk_before_it_is_answered():
    with ShimBroker(OVERRIDES) as b:
        c = RawClient(b.port)
        create_with_config(b, "durable", 6)
        for p in range(6):
            produce(c, "durable", p, 3, b"y" * 1000)
        log_dir = os.path.realpath(b.log_dir)
        config = os.path.join(log_dir, ".topic-configs", "durable.properties")
        assert os.path.exists(config)
        since = len(b.dir_events())
        unlinks = b.pool_unlinks()
        open(b.pool_unlink_flag, "w").close()

        c.request(20, 0, kw.delete_topics_v0(["durable"], timeout=30000))
        assert kw.parse_delete_topics_v0_response(c.recv_frame())[1] == [("durable", 0)]
        events = b.dir_events()[since:]
        renames = [last_index(events, ("rename", os.path.join(log_dir, "durable-%d" % p))) for p in range(6)]
        unlinked = last_index(events, ("unlink", config))
        # the config goes after the directories: cut short, no topic is left without its configs
        assert unlinked > max(renames), events
        assert last_index(events, ("fsync", log_dir)) > max(renames), events
        assert last_index(events, ("fsync", os.path.dirname(config))) > unlinked, events

        # the removals start after the answer's sync, and one partition at a time
        wait_for(lambda: b.pool_unlinks() > unlinks, "a removal to start")
        time.sleep(0.3)  # room for a second one to start, were they not kept to one at a time
        assert b.pool_unlinks() == unlinks + 1, "a second removal started while the first was held"
        assert len(gone_dirs(b)) == 6
        os.unlink(b.pool_unlink_flag)
        wait_for(lambda: not gone_dirs(b), "the renamed directories to go")
        c.close()


def test_deletions_made_while_a_sync_runs_share_the_next():
    with ShimBroker(OVERRIDES) as b:
        conns = [RawClient(b.port) for _ in range(3)]
        for name in ("a", "b", "c"):
            create(conns[0], name)
        log_dir = os.path.realpath(b.log_dir)
        since = len(b.dir_events())
        open(b.pool_dir_sync_flag, "w").close()
        conns[0].request(20, 0, kw.delete_topics_v0(["a"], timeout=30000))
        wait_for(lambda: ("fsync", log_dir) in b.dir_events()[since:], "the first deletion's sync to start")
        conns[1].request(20, 0, kw.delete_topics_v0(["b"], timeout=30000))
        conns[2].request(20, 0, kw.delete_topics_v0(["c"], timeout=30000))
        wait_for(lambda: not os.path.exists(os.path.join(log_dir, "c-0")), "the third deletion's rename")
        os.unlink(b.pool_dir_sync_flag)
        for conn, name in zip(conns, ("a", "b", "c")):
            assert kw.parse_delete_topics_v0_response(conn.recv_frame())[1] == [(name, 0)]
        events = b.dir_events()[since:]
        # a deletion's sync does the log dir, then .topic-configs (which only it syncs here)
        syncs = [i for i, e in enumerate(events) if e == ("fsync", os.path.join(log_dir, ".topic-configs"))]
        assert len(syncs) == 2, events  # one for "a", one for "b" and "c" together
        renamed = last_index(events, ("rename", os.path.join(log_dir, "c-0")))
        assert ("fsync", log_dir) in events[renamed:syncs[1]], events
        for conn in conns:
            conn.close()


def test_one_request_deleting_several_topics_takes_one_sync():
    with ShimBroker(OVERRIDES) as b:
        c = RawClient(b.port)
        for name in ("x", "y", "z"):
            create(c, name)
        log_dir = os.path.realpath(b.log_dir)
        since = len(b.dir_events())
        c.request(20, 0, kw.delete_topics_v0(["x", "y", "nope", "z"], timeout=30000))
        assert kw.parse_delete_topics_v0_response(c.recv_frame())[1] == [("x", 0), ("y", 0), ("nope", 3), ("z", 0)]
        events = b.dir_events()[since:]
        syncs = [i for i, e in enumerate(events) if e == ("fsync", os.path.join(log_dir, ".topic-configs"))]
        assert len(syncs) == 1, events
        assert syncs[0] > last_index(events, ("rename", os.path.join(log_dir, "z-0"))), events
        c.close()


def test_a_deletion_that_cannot_be_synced_is_answered_with_a_storage_error():
    with ShimBroker(OVERRIDES) as b:
        c = RawClient(b.port)
        create(c, "unsynced")
        open(b.flag, "w").close()
        c.request(20, 0, kw.delete_topics_v0(["unsynced"], timeout=30000))
        assert kw.parse_delete_topics_v0_response(c.recv_frame())[1] == [("unsynced", 56)]  # KAFKA_STORAGE_ERROR
        assert "after a topic deletion" in b.log()
        os.unlink(b.flag)
        # the broker goes on, and the name is free
        c.request(20, 0, kw.delete_topics_v0(["unsynced"], timeout=30000))
        assert kw.parse_delete_topics_v0_response(c.recv_frame())[1] == [("unsynced", 3)]
        create(c, "unsynced")
        produce(c, "unsynced", 0, 2, b"v")
        assert fetch_offsets(c, "unsynced") == (2, [(0, 1), (1, 1)])
        c.close()


if __name__ == "__main__":
    run_tests([
        test_a_deleted_topics_files_go_off_the_loop_and_its_name_is_free_at_once,
        test_a_deletion_left_unfinished_is_finished_at_startup,
        test_a_deletion_is_on_disk_before_it_is_answered,
        test_deletions_made_while_a_sync_runs_share_the_next,
        test_one_request_deleting_several_topics_takes_one_sync,
        test_a_deletion_that_cannot_be_synced_is_answered_with_a_storage_error,
    ])
