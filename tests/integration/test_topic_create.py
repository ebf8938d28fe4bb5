#!/usr/bin/env python3
"""A new topic's directories and files are made on a worker thread: each
partition costs the file system about half a millisecond (most of it the
fsync of partition.metadata), and on the network loop every client would wait
for that.  The LD_PRELOAD shim (fsync_fault.c) counts and can hold mkdir
calls made off the main thread, which shows the loop serving others while a
creation is under way, and how the topic looks meanwhile: CreateTopics waits
for it (up to its timeout), a second create of the name is refused, Metadata
answers LEADER_NOT_AVAILABLE as Kafka does for a topic it is creating, and
produce answers UNKNOWN_TOPIC_OR_PARTITION, which clients retry.
CreatePartitions makes its new partitions the same way, and DeleteTopics
waits for them."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, answered, api_versions, run_tests, wait_for  # noqa: E402
from shim_broker import ShimBroker  # noqa: E402
import kafka_wire as kw  # noqa: E402

LEADER_NOT_AVAILABLE = 5
REQUEST_TIMED_OUT = 7
UNKNOWN_TOPIC_OR_PARTITION = 3
TOPIC_ALREADY_EXISTS = 36
INVALID_PARTITIONS = 37
KAFKA_STORAGE_ERROR = 56


def create(c, topic, partitions, timeout=5000):
    c.request(19, 0, kw.create_topics_v0(topic, partitions, timeout=timeout))


def created(c):
    return kw.parse_create_topics_v0_response(c.recv_frame())[1]


def metadata(c, topics):
    c.request(3, 1, kw.metadata_v1(topics))
    return kw.parse_metadata_v1_response(c.recv_frame())[1]


def produce(c, topic, partition=0):
    c.request(0, 3, kw.produce_v3(topic, partition, kw.record_batch([(b"k", b"v")]), acks=1))
    return kw.parse_produce_v3_response(c.recv_frame())[1][0][2]


def grow(c, topic, count, timeout=5000):
    c.request(37, 0, kw.create_partitions_v0(topic, count, timeout=timeout))


def grown(c):
    return kw.parse_create_partitions_v0_response(c.recv_frame())[1]


def delete(c, topic, timeout=10000):
    c.request(20, 0, kw.delete_topics_v0([topic], timeout=timeout))


def deleted(c):
    return kw.parse_delete_topics_v0_response(c.recv_frame())[1]


def send_held(b, c, send, what):
    """Holds the worker's mkdirs, sends a request through send() on c, and
    checks c gets no answer while its files are held."""
    mkdirs = b.pool_mkdirs()
    open(b.pool_mkdir_flag, "w").close()
    send()
    wait_for(lambda: b.pool_mkdirs() > mkdirs, what + "'s mkdir on a worker thread")
    assert not answered(c, 0.3), what + " answered before its files were made"


def partition_dirs(b, topic):
    return sorted(n for n in os.listdir(b.log_dir) if n.startswith(topic + "-"))


def test_the_loop_answers_while_a_topic_is_made():
    with ShimBroker({}) as b:
        c, other = RawClient(b.port), RawClient(b.port)
        create(other, "busy", 1)
        assert created(other) == [("busy", 0)]
        send_held(b, c, lambda: create(c, "big", 20), "CreateTopics")
        # Everyone else is served meanwhile.
        assert api_versions(b.port)
        assert produce(other, "busy") == 0
        assert metadata(other, ["busy"]) == {"busy": (0, 1)}
        # The topic under way: its name is taken, and it is not there yet.
        create(other, "big", 3)
        assert created(other) == [("big", TOPIC_ALREADY_EXISTS)]
        assert metadata(other, ["big"]) == {"big": (LEADER_NOT_AVAILABLE, 0)}
        assert produce(other, "big") == UNKNOWN_TOPIC_OR_PARTITION
        assert not answered(c, 0.1)

        os.unlink(b.pool_mkdir_flag)
        assert created(c) == [("big", 0)]
        assert metadata(other, ["big"]) == {"big": (0, 20)}
        assert produce(other, "big", 19) == 0
        assert len(partition_dirs(b, "big")) == 20
        c.close()
        other.close()


def test_timed_out_and_no_wait_creates_go_on_and_a_client_that_left_loses_nothing():
    with ShimBroker({"auto.create.topics.enable": "false"}) as b:
        c = RawClient(b.port)
        open(b.pool_mkdir_flag, "w").close()
        create(c, "slow", 2, timeout=300)
        assert created(c) == [("slow", REQUEST_TIMED_OUT)]
        gone = RawClient(b.port)
        create(gone, "orphan", 3)  # waits behind "slow"
        wait_for(lambda: metadata(c, ["orphan"]) == {"orphan": (LEADER_NOT_AVAILABLE, 0)},
                 "the broker to take the second create")
        gone.close()
        assert metadata(c, ["slow", "orphan"]) == {"slow": (LEADER_NOT_AVAILABLE, 0),
                                                    "orphan": (LEADER_NOT_AVAILABLE, 0)}
        # timeout_ms 0 asks not to wait: the checks passed, so REQUEST_TIMED_OUT at once while the
        # creation goes on, as Kafka's ZkAdminManager answers (before, success)
        create(c, "nowait", 1, timeout=0)
        assert created(c) == [("nowait", REQUEST_TIMED_OUT)]
        assert metadata(c, ["nowait"]) == {"nowait": (LEADER_NOT_AVAILABLE, 0)}
        os.unlink(b.pool_mkdir_flag)
        wait_for(lambda: metadata(c, ["slow", "orphan", "nowait"]) == {"slow": (0, 2), "orphan": (0, 3),
                                                                       "nowait": (0, 1)},
                 "the three topics to be created")
        assert produce(c, "orphan", 2) == 0
        # a deletion that would not wait is answered the same way, and done
        delete(c, "nowait", timeout=0)
        assert deleted(c) == [("nowait", REQUEST_TIMED_OUT)]
        assert metadata(c, ["nowait"]) == {"nowait": (UNKNOWN_TOPIC_OR_PARTITION, 0)}
        c.close()


def test_a_growth_or_deletion_right_after_a_no_wait_creation_finds_the_topic():
    """Kafka's ZkAdminManager writes a topic before it answers a CreateTopics that
    would not wait (timeout_ms <= 0), so a CreatePartitions or DeleteTopics right
    after finds it.  Both wait for the creation, whatever their own timeout, then
    act.  Before, they answered UNKNOWN_TOPIC_OR_PARTITION, and the deletion left
    the topic behind (librdkafka's 0081 test: CreateTopics and CreatePartitions
    with an operation timeout of 0)."""
    with ShimBroker({"auto.create.topics.enable": "false"}) as b:
        c, grower, deleter = RawClient(b.port), RawClient(b.port), RawClient(b.port)
        open(b.pool_mkdir_flag, "w").close()
        for topic in ("soon", "gone"):
            create(c, topic, 1, timeout=0)
            assert created(c) == [(topic, REQUEST_TIMED_OUT)]
        grow(grower, "soon", 3, timeout=0)
        delete(deleter, "gone", timeout=0)
        assert not answered(grower, 0.3), "CreatePartitions answered before its topic was made"
        assert not answered(deleter, 0.1), "DeleteTopics answered before its topic was made"
        os.unlink(b.pool_mkdir_flag)
        [(name, err, msg)] = grown(grower)
        assert (name, err) == ("soon", REQUEST_TIMED_OUT) and "timeout_ms <= 0" in msg, (name, err, msg)
        assert deleted(deleter) == [("gone", REQUEST_TIMED_OUT)]
        wait_for(lambda: metadata(c, ["soon", "gone"]) == {"soon": (0, 3), "gone": (UNKNOWN_TOPIC_OR_PARTITION, 0)},
                 "soon grown to three partitions and gone deleted")
        for client in (c, grower, deleter):
            client.close()


def test_auto_created_topics_answer_leader_not_available_until_made():
    with ShimBroker({"num.partitions": "4"}) as b:
        c = RawClient(b.port)
        open(b.pool_mkdir_flag, "w").close()
        assert metadata(c, ["auto"]) == {"auto": (LEADER_NOT_AVAILABLE, 0)}
        assert metadata(c, ["auto"]) == {"auto": (LEADER_NOT_AVAILABLE, 0)}  # asked again: still under way
        os.unlink(b.pool_mkdir_flag)
        wait_for(lambda: metadata(c, ["auto"]) == {"auto": (0, 4)}, "the auto-created topic")
        assert produce(c, "auto", 3) == 0
        c.close()


def test_a_failed_creation_leaves_nothing_and_frees_the_name():
    with ShimBroker({}) as b:
        c = RawClient(b.port)
        open(b.flag, "w").close()  # every fsync fails: the build's intent (.topic-build) cannot be saved
        create(c, "doomed", 3)
        assert created(c) == [("doomed", KAFKA_STORAGE_ERROR)]
        os.unlink(b.flag)
        assert partition_dirs(b, "doomed") == []
        assert metadata(c, ["doomed"]) == {"doomed": (LEADER_NOT_AVAILABLE, 0)}  # auto-created now
        wait_for(lambda: metadata(c, ["doomed"]) == {"doomed": (0, 1)}, "the topic created again")
        assert produce(c, "doomed") == 0
        c.close()


def test_partitions_are_added_off_the_loop_and_a_deletion_waits_for_them():
    with ShimBroker({"auto.create.topics.enable": "false"}) as b:
        c, other, deleter = RawClient(b.port), RawClient(b.port), RawClient(b.port)
        create(other, "grow", 2)
        assert created(other) == [("grow", 0)]
        send_held(b, c, lambda: grow(c, "grow", 6), "CreatePartitions")
        assert api_versions(b.port)
        assert metadata(other, ["grow"]) == {"grow": (0, 2)}  # not there before they are all made
        # checked against what the first request asked for
        grow(other, "grow", 5)
        [(name, err, msg)] = grown(other)
        assert (name, err) == ("grow", INVALID_PARTITIONS) and "6" in msg, msg
        grow(other, "grow", 8, timeout=0)  # queued behind the first; 0 does not wait
        [(name, err, msg)] = grown(other)
        assert (name, err) == ("grow", REQUEST_TIMED_OUT) and "timeout_ms <= 0" in msg, (err, msg)
        # a deletion waits for both, up to its timeout
        delete(other, "grow", timeout=200)
        assert deleted(other) == [("grow", REQUEST_TIMED_OUT)]
        assert metadata(other, ["grow"]) == {"grow": (0, 2)}
        delete(deleter, "grow")
        assert not answered(deleter, 0.2)

        os.unlink(b.pool_mkdir_flag)
        assert grown(c) == [("grow", 0, None)]
        assert deleted(deleter) == [("grow", 0)]
        assert metadata(other, ["grow"]) == {"grow": (UNKNOWN_TOPIC_OR_PARTITION, 0)}
        wait_for(lambda: partition_dirs(b, "grow") == [], "the deleted topic's eight directories to go")
        c.close()
        other.close()
        deleter.close()


def test_a_failed_growth_adds_nothing():
    """Fsyncs fail once the build's intent is saved and the first new
    partition is under way: what was made goes, and so does the intent (the
    next start must not make what the client was told failed)."""
    b = ShimBroker({})
    b.mkdir_hold_path = os.path.join(b.log_dir, "few-2")
    with b:
        c = RawClient(b.port)
        create(c, "few", 2)
        assert created(c) == [("few", 0)]
        intent = os.path.join(b.log_dir, ".topic-build")
        open(b.pool_mkdir_flag, "w").close()
        grow(c, "few", 4)
        wait_for(lambda: os.path.exists(intent), "the growth's intent saved")
        open(b.flag, "w").close()  # partition.metadata cannot be made durable
        os.unlink(b.pool_mkdir_flag)
        [(name, err, msg)] = grown(c)
        assert (name, err) == ("few", KAFKA_STORAGE_ERROR) and "partition.metadata" in msg, msg
        os.unlink(b.flag)
        assert metadata(c, ["few"]) == {"few": (0, 2)}
        assert partition_dirs(b, "few") == ["few-0", "few-1"]
        assert not os.path.exists(intent)
        grow(c, "few", 4)
        assert grown(c) == [("few", 0, None)]
        assert metadata(c, ["few"]) == {"few": (0, 4)}
        assert produce(c, "few", 3) == 0
        c.close()


def check_entries_durable(b, topic, indexes, since):
    """Each new partition directory was fsynced after it was made (its files'
    names), and the log dir after the last of them (the directories' names):
    what a power cut would otherwise lose of an acknowledged topic."""
    events = b.dir_events()[since:]
    log_dir = os.path.realpath(b.log_dir)
    dirs = [os.path.join(log_dir, "%s-%d" % (topic, i)) for i in indexes]
    last_mkdir = 0
    for d in dirs:
        made = [i for i, e in enumerate(events) if e == ("mkdir", d)]
        assert made, (d, events)
        assert ("fsync", d) in events[made[-1] + 1:], ("no fsync of " + d + " after it was made", events)
        last_mkdir = max(last_mkdir, made[-1])
    assert ("fsync", log_dir) in events[last_mkdir + 1:], ("no fsync of the log dir after the last mkdir", events)


def test_new_partitions_are_durable_once_acknowledged():
    with ShimBroker({}) as b:
        c = RawClient(b.port)
        since = len(b.dir_events())
        create(c, "kept", 3)
        assert created(c) == [("kept", 0)]
        check_entries_durable(b, "kept", range(3), since)
        since = len(b.dir_events())
        grow(c, "kept", 5)
        assert grown(c) == [("kept", 0, None)]
        check_entries_durable(b, "kept", range(3, 5), since)
        c.close()


def topic_ids(b, topic):
    """{partition directory: the topic_id its partition.metadata holds, None when it has none}"""
    ids = {}
    for d in partition_dirs(b, topic):
        try:
            with open(os.path.join(b.log_dir, d, "partition.metadata")) as f:
                ids[d] = next((ln.split(": ", 1)[1].strip() for ln in f if ln.startswith("topic_id: ")), None)
        except OSError:
            ids[d] = None
    return ids


def kill_after(b, topic, made):
    """Waits until the partitions before the held mkdir are made, then kills
    the broker (kill -9) and starts it again, holding nothing."""
    names = ["%s-%d" % (topic, i) for i in range(made)]
    wait_for(lambda: partition_dirs(b, topic) == names and None not in topic_ids(b, topic).values(),
             "%d partitions of %s made" % (made, topic))
    b.kill()
    os.unlink(b.pool_mkdir_flag)
    b.mkdir_hold_path = None
    b.start()


def check_whole(b, topic, count, topic_id=None):
    c = RawClient(b.port)
    assert metadata(c, [topic]) == {topic: (0, count)}
    ids = topic_ids(b, topic)
    assert sorted(ids) == sorted("%s-%d" % (topic, i) for i in range(count)), ids
    assert len(set(ids.values())) == 1 and None not in ids.values(), ids
    if topic_id:
        assert set(ids.values()) == {topic_id}, (ids, topic_id)
    assert produce(c, topic, count - 1) == 0
    assert not os.path.exists(os.path.join(b.log_dir, ".topic-build"))
    c.close()


def test_a_creation_cut_short_is_finished_at_the_next_start():
    """A broker that stops while it makes a new topic's partitions (killed
    here with three of eight made) finishes them when it starts again, from
    the intent it saved before the first one: the topic comes back with the
    eight partitions CreateTopics asked for, one id in all of them, and not
    as a topic of three."""
    b = ShimBroker({"auto.create.topics.enable": "false"})
    b.mkdir_hold_path = os.path.join(b.log_dir, "cut-3")
    with b:
        c = RawClient(b.port)
        open(b.pool_mkdir_flag, "w").close()
        create(c, "cut", 8)
        kill_after(b, "cut", 3)
        c.close()
        check_whole(b, "cut", 8)
        assert "cut short" in b.log(), b.log()[-3000:]


def test_a_growth_cut_short_is_finished_at_the_next_start():
    """The same for CreatePartitions: killed with two of four new partitions
    made, the broker makes the other two at its next start, with the topic's
    own id."""
    b = ShimBroker({"auto.create.topics.enable": "false"})
    b.mkdir_hold_path = os.path.join(b.log_dir, "more-4")
    with b:
        c = RawClient(b.port)
        create(c, "more", 2)
        assert created(c) == [("more", 0)]
        [topic_id] = set(topic_ids(b, "more").values())
        open(b.pool_mkdir_flag, "w").close()
        grow(c, "more", 6)
        kill_after(b, "more", 4)
        c.close()
        check_whole(b, "more", 6, topic_id)



def test_a_creation_stopped_before_its_first_partition_is_made_at_the_next_start():
    """Killed after saving its intent but before the first directory, the
    creation is finished from the intent alone (name, id and count), and a
    build file that cannot be read is reported and dropped, not fatal."""
    b = ShimBroker({"auto.create.topics.enable": "false"})
    b.mkdir_hold_path = os.path.join(b.log_dir, "none-0")
    with b:
        c = RawClient(b.port)
        intent = os.path.join(b.log_dir, ".topic-build")
        open(b.pool_mkdir_flag, "w").close()
        create(c, "none", 2)
        wait_for(lambda: os.path.exists(intent), "the creation's intent saved")
        with open(intent) as f:
            [saved_id] = [ln.split("=", 1)[1].strip() for ln in f if ln.startswith("topic.id=")]
        c.close()
        kill_after(b, "none", 0)
        check_whole(b, "none", 2, saved_id)

        b.stop()
        with open(intent, "w") as f:
            f.write("topic=none\npartitions.from=7\n")
        b.start()
        assert "ignoring an unreadable topic build" in b.log(), b.log()[-3000:]
        assert not os.path.exists(intent)
        check_whole(b, "none", 2, saved_id)

        # the file names directories to make: a name no topic may have is not followed
        b.stop()
        with open(intent, "w") as f:
            f.write("topic=../escape\ntopic.id=%s\npartitions.from=0\npartitions.to=1\n" % saved_id)
        b.start()
        assert "not a topic build this broker makes" in b.log(), b.log()[-3000:]
        assert not os.path.exists(intent)
        assert not [n for n in os.listdir(b.data_dir) if n.startswith("escape")]
        check_whole(b, "none", 2, saved_id)


def test_partition_dirs_without_a_topic_id_get_the_topics_at_start():
    """Partition directories from before topic ids, or made by hand, lack
    partition.metadata.  At start the topic takes its id from whichever of
    its directories names one (not only from the first one read), and writes
    it into the others, so that the id is the same from one start to the
    next; a topic none of whose directories names one gets a new id once."""
    b = ShimBroker({"auto.create.topics.enable": "false"})
    with b:
        c = RawClient(b.port)
        create(c, "old", 4)
        assert created(c) == [("old", 0)]
        [topic_id] = set(topic_ids(b, "old").values())
        c.close()
        b.stop()
        for i in (0, 1, 3):
            os.unlink(os.path.join(b.log_dir, "old-%d" % i, "partition.metadata"))
        b.start()
        check_whole(b, "old", 4, topic_id)
        assert "had no topic id" in b.log(), b.log()[-3000:]

        b.stop()
        for i in range(4):
            os.unlink(os.path.join(b.log_dir, "old-%d" % i, "partition.metadata"))
        b.start()
        [new_id] = set(topic_ids(b, "old").values())
        assert new_id and new_id != topic_id
        b.stop()
        b.start()
        check_whole(b, "old", 4, new_id)


class FewFilesBroker(Broker):
    """A broker started with limit = (soft, hard) open files, or the usual
    limits when limit is None."""
    limit = None

    def command(self):
        cmd = super().command()
        return ["prlimit", "--nofile=%d:%d" % self.limit, "--"] + cmd if self.limit else cmd


def test_a_creation_that_runs_out_of_files_leaves_nothing_behind():
    """A partition whose files cannot be opened (EMFILE here) fails the
    creation with KAFKA_STORAGE_ERROR, and nothing of it stays on disk: a
    partition directory left behind came back at the next start as a topic
    the client had been told was not made."""
    b = FewFilesBroker()
    b.limit = (160, 160)  # the hard limit too, so that the broker cannot raise it
    try:
        b.start()
        c = RawClient(b.port)
        create(c, "many", 400, timeout=30000)
        assert created(c) == [("many", KAFKA_STORAGE_ERROR)]
        assert partition_dirs(b, "many") == []
        create(c, "after", 2)  # the failed creation gave its descriptors back
        assert created(c) == [("after", 0)]
        c.close()
        b.stop()
        b.limit = None
        b.start()
        c = RawClient(b.port)
        topics = metadata(c, None)
        assert "many" not in topics and topics.get("after") == (0, 2), topics
        assert partition_dirs(b, "many") == []
        c.close()
        b.stop()
    finally:
        b.cleanup()



def test_the_broker_raises_its_soft_open_files_limit_to_the_hard_one():
    """Two or three descriptors per partition run out at a few hundred
    partitions under a soft limit of 1024; the broker takes what the hard
    limit allows, as Redis does."""
    b = FewFilesBroker()
    b.limit = (160, 4096)
    try:
        b.start()
        with open("/proc/%d/limits" % b.proc.pid) as f:
            line = [ln for ln in f if ln.startswith("Max open files")][0]
        assert line.split()[3:5] == ["4096", "4096"], line
        c = RawClient(b.port)
        create(c, "many", 400, timeout=30000)
        assert created(c) == [("many", 0)]
        c.close()
        b.stop()
    finally:
        b.cleanup()


def test_internal_topics_are_auto_created_in_their_own_shape():
    """Metadata auto-creating __transaction_state or __consumer_offsets
    (neither exists before a client needs it, as in Kafka) makes them as
    Kafka's AutoTopicCreationManager does: the
    partition count and configs of the broker's transaction.state.log.* and
    offsets.topic.* settings, not num.partitions and the topic defaults.
    Before, both got num.partitions and no configs (a non-compacted offsets
    topic)."""
    from confluent_kafka.admin import AdminClient, ConfigResource
    overrides = {"num.partitions": "4", "transaction.state.log.num.partitions": "7",
                 "transaction.state.log.segment.bytes": "2097152", "offsets.topic.num.partitions": "3",
                 "offsets.topic.segment.bytes": "3145728"}
    with Broker(overrides=overrides) as b:
        c = RawClient(b.port)
        assert not any(n.startswith("__") for n in os.listdir(b.log_dir)), os.listdir(b.log_dir)
        for name, parts in (("__transaction_state", 7), ("__consumer_offsets", 3)):
            wait_for(lambda: metadata(c, [name]) == {name: (0, parts)}, "%s auto-created" % name)
        admin = AdminClient({"bootstrap.servers": b.bootstrap})

        def configs(name):
            res = ConfigResource(ConfigResource.Type.TOPIC, name)
            got = admin.describe_configs([res])[res].result(30)
            keys = ("cleanup.policy", "segment.bytes", "compression.type", "unclean.leader.election.enable")
            return {k: got[k].value for k in keys}
        assert configs("__transaction_state") == {"cleanup.policy": "compact", "segment.bytes": "2097152",
                                                  "compression.type": "uncompressed",
                                                  "unclean.leader.election.enable": "false"}
        assert configs("__consumer_offsets") == {"cleanup.policy": "compact", "segment.bytes": "3145728",
                                                 "compression.type": "producer",
                                                 "unclean.leader.election.enable": "false"}
        # an ordinary topic still gets num.partitions
        wait_for(lambda: metadata(c, ["plain"]) == {"plain": (0, 4)}, "an ordinary topic auto-created")
        c.close()


if __name__ == "__main__":
    run_tests([
        test_a_creation_that_runs_out_of_files_leaves_nothing_behind,
        test_the_broker_raises_its_soft_open_files_limit_to_the_hard_one,
        test_the_loop_answers_while_a_topic_is_made,
        test_timed_out_and_no_wait_creates_go_on_and_a_client_that_left_loses_nothing,
        test_a_growth_or_deletion_right_after_a_no_wait_creation_finds_the_topic,
        test_auto_created_topics_answer_leader_not_available_until_made,
        test_internal_topics_are_auto_created_in_their_own_shape,
        test_a_failed_creation_leaves_nothing_and_frees_the_name,
        test_partitions_are_added_off_the_loop_and_a_deletion_waits_for_them,
        test_a_failed_growth_adds_nothing,
        test_new_partitions_are_durable_once_acknowledged,
        test_a_creation_cut_short_is_finished_at_the_next_start,
        test_a_growth_cut_short_is_finished_at_the_next_start,
        test_a_creation_stopped_before_its_first_partition_is_made_at_the_next_start,
        test_partition_dirs_without_a_topic_id_get_the_topics_at_start,
    ])
