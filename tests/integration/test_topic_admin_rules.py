#!/usr/bin/env python3
"""CreateTopics', CreatePartitions' and DeleteTopics' checks, their order and their words, as Kafka's controller
makes them (ReplicationControlManager.createTopics, ControllerApis,
Topic.validate): a name first (its rules, then an existing topic, then a
'.'/'_' collision), then the configs (null values named), then a manual
assignment or the replication factor and the partition count.  A name given
twice in one request is answered once, "Duplicate topic name.", and nothing
is made for it; the same holds for CreatePartitions and DeleteTopics (and for
topic ids in DeleteTopics v6).  Metadata names each topic once, flags only
Kafka's internal topics as internal, and reports authorized operations
when asked."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, make_offsets_topic, request_once, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402

NONE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS = 0, 3, 17, 36, 37
TOPIC_DELETION_DISABLED = 73
INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG, INVALID_REQUEST = 38, 39, 40, 42


# ---- CreateTopics v7 (flexible) ----

def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def cstr(s):
    if s is None:
        return b"\x00"
    b = s.encode()
    return uvarint(len(b) + 1) + b


def carray(items):
    return uvarint(len(items) + 1) + b"".join(items)


def topic(name, partitions=1, rf=1, assignments=(), configs=()):
    """assignments: [(partition, [broker ids])]; configs: [(name, value or None)]."""
    a = [struct.pack(">i", p) + carray([struct.pack(">i", b) for b in ids]) + b"\x00" for p, ids in assignments]
    c = [cstr(k) + cstr(v) + b"\x00" for k, v in configs]
    return cstr(name) + struct.pack(">ih", partitions, rf) + carray(a) + carray(c) + b"\x00"


class Reader:
    def __init__(self, buf, off=0):
        self.buf, self.off = buf, off

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.off)
        self.off += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def uvarint(self):
        n = shift = 0
        while True:
            b = self.buf[self.off]
            self.off += 1
            n |= (b & 0x7F) << shift
            if b < 0x80:
                return n
            shift += 7

    def cstr(self):
        n = self.uvarint()
        if n == 0:
            return None
        s = self.buf[self.off:self.off + n - 1].decode()
        self.off += n - 1
        return s

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.off += self.uvarint()


def create(port, topics, validate_only=False):
    """-> [dict(name, id, error, message, partitions, rf, configs)] in the answer's order;
    configs is None for a null list, else the number of entries."""
    r = Reader(request_once(port, 19, 7, carray(topics) + struct.pack(">i?", 30000, validate_only) + b"\x00",
                            flexible=True), 4)
    r.tags()
    r.take(">i")  # throttle
    out = []
    for _ in range(r.uvarint() - 1):
        t = dict(name=r.cstr(), id=r.buf[r.off:r.off + 16])
        r.off += 16
        t["error"] = r.take(">h")
        t["message"] = r.cstr()
        t["partitions"], t["rf"] = r.take(">i"), r.take(">h")
        n = r.uvarint()
        t["configs"] = None if n == 0 else n - 1
        for _ in range(n - 1 if n else 0):
            r.cstr(), r.cstr(), r.take(">?bb")  # name, value, read_only, source, is_sensitive
            r.tags()
        r.tags()
        out.append(t)
    return out


def one(port, t, validate_only=False):
    res = create(port, [t], validate_only)
    assert len(res) == 1, res
    return res[0]["error"], res[0]["message"]


def metadata(port, name):
    """(error code, partition count) of name in Metadata v1; auto-creation is off."""
    return kw.parse_metadata_v1_response(request_once(port, 3, 1, kw.metadata_v1([name])))[1][name]


def topic_error(port, name):
    return metadata(port, name)[0]


BROKER = {"auto.create.topics.enable": "false"}


def test_checks_come_in_kafkas_order():
    with Broker(overrides=BROKER) as b:
        assert one(b.port, topic("there", 1, 1)) == (NONE, None)
        # an existing name wins over a bad replication factor, count or config
        assert one(b.port, topic("there", 1, 3)) == (TOPIC_ALREADY_EXISTS, "Topic 'there' already exists.")
        assert one(b.port, topic("there", 0, 1, configs=[("retention.ms", "x")]))[0] == TOPIC_ALREADY_EXISTS
        # configs before the count
        err, msg = one(b.port, topic("fresh", 0, 1, configs=[("retention.ms", "x")]))
        assert err == INVALID_CONFIG and "retention.ms" in msg, (err, msg)
        # the replication factor's sign, then the count, then placing the replicas
        assert one(b.port, topic("fresh", 0, 0)) == (
            INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0, or -1 to use the default value.")
        assert one(b.port, topic("fresh", 0, 3)) == (
            INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value.")
        assert one(b.port, topic("fresh", -2, 1)) == (
            INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value.")
        err, msg = one(b.port, topic("fresh", 2, 3))
        assert err == INVALID_REPLICATION_FACTOR and msg.startswith("Unable to replicate the partition 3 time(s)"), msg
        assert topic_error(b.port, "fresh") == 3


def test_names_in_kafkas_words_and_collisions():
    with Broker(overrides=BROKER) as b:
        prefix = "Topic name is invalid: "
        for name, why in [("", "the empty string is not allowed"), (".", "'.' is not allowed"),
                          ("..", "'..' is not allowed"),
                          ("x" * 250, "the length of '%s' is longer than the max allowed length 249" % ("x" * 250)),
                          ("a/b", "'a/b' contains one or more characters other than ASCII alphanumerics, '.', '_' "
                                  "and '-'")]:
            assert one(b.port, topic(name)) == (INVALID_TOPIC_EXCEPTION, prefix + why), name
        assert one(b.port, topic("x" * 249)) == (NONE, None)
        # '.' and '_' read alike in metric names: either way round
        assert one(b.port, topic("metrics_in")) == (NONE, None)
        assert one(b.port, topic("metrics.in")) == (
            INVALID_TOPIC_EXCEPTION, "Topic 'metrics.in' collides with existing topic: metrics_in")
        assert one(b.port, topic("a.b.c")) == (NONE, None)
        assert one(b.port, topic("a_b.c", configs=[("retention.ms", "x")])) == (
            INVALID_TOPIC_EXCEPTION, "Topic 'a_b.c' collides with existing topic: a.b.c")
        assert topic_error(b.port, "metrics.in") == 3 and topic_error(b.port, "a_b.c") == 3
        assert one(b.port, topic("__cluster_metadata")) == (
            INVALID_REQUEST, "Creation of internal topic __cluster_metadata is prohibited.")


def test_configs_are_checked_together():
    """Kafka's LogConfig.validateValues: min.compaction.lag.ms may not exceed
    max.compaction.lag.ms, each as the topic would see it (its own value, else
    the broker's), on CreateTopics and on AlterConfigs."""
    from confluent_kafka.admin import AdminClient, ConfigResource
    with Broker(overrides=dict(BROKER, **{"log.cleaner.max.compaction.lag.ms": "1000"})) as b:
        assert one(b.port, topic("lags", configs=[("min.compaction.lag.ms", "10"),
                                                  ("max.compaction.lag.ms", "5")])) == (
            INVALID_CONFIG, "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)")
        assert one(b.port, topic("lags", configs=[("min.compaction.lag.ms", "5000")])) == (
            INVALID_CONFIG, "conflict topic config setting min.compaction.lag.ms (5000) > max.compaction.lag.ms (1000)")
        assert one(b.port, topic("lags", configs=[("min.compaction.lag.ms", "1000")])) == (NONE, None)
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        res = ConfigResource(ConfigResource.Type.TOPIC, "lags",
                             set_config={"min.compaction.lag.ms": "200", "max.compaction.lag.ms": "100"})
        try:
            admin.alter_configs([res])[res].result(30)
            raise AssertionError("a min above the max was accepted")
        except Exception as e:  # KafkaException(INVALID_CONFIG)
            assert e.args[0].code() == INVALID_CONFIG, e
            assert "min.compaction.lag.ms (200) > max.compaction.lag.ms (100)" in e.args[0].str(), e
        res = ConfigResource(ConfigResource.Type.TOPIC, "lags",
                             set_config={"min.compaction.lag.ms": "100", "max.compaction.lag.ms": "200"})
        admin.alter_configs([res])[res].result(30)


def test_null_configs_and_duplicate_names():
    with Broker(overrides=BROKER) as b:
        assert one(b.port, topic("nulls", configs=[("retention.ms", None), ("segment.ms", "1000"),
                                                   ("cleanup.policy", None)])) == (
            INVALID_CONFIG, "Null value not supported for topic configs: retention.ms,cleanup.policy")
        assert topic_error(b.port, "nulls") == 3
        res = create(b.port, [topic("twice"), topic("single", 2), topic("twice", 3), topic("twice")])
        assert [(t["name"], t["error"], t["message"]) for t in res] == [
            ("twice", INVALID_REQUEST, "Duplicate topic name."), ("single", NONE, None)], res
        assert res[0]["configs"] == 0 and res[1]["configs"] > 0, res  # a failed entry: an empty list
        assert topic_error(b.port, "twice") == 3 and topic_error(b.port, "single") == 0
        # validate_only: the checks and a topic id, nothing made
        res = create(b.port, [topic("later", 4)], validate_only=True)
        assert res[0]["error"] == NONE and res[0]["partitions"] == 4 and res[0]["id"] != bytes(16), res
        assert topic_error(b.port, "later") == 3


def test_manual_assignments():
    with Broker(overrides=BROKER) as b:
        me = 0

        def assigned(name, assignments, partitions=-1, rf=-1):
            return one(b.port, topic(name, partitions, rf, assignments=assignments))

        # any order of 0..n-1 is a valid assignment
        assert assigned("ordered", [(1, [me]), (0, [me]), (2, [me])]) == (NONE, None)
        assert metadata(b.port, "ordered") == (NONE, 3)
        assert assigned("m", [(0, [me])], rf=1) == (
            INVALID_REQUEST, "A manual partition assignment was specified, but replication factor was not set to -1.")
        assert assigned("m", [(0, [me])], partitions=1) == (
            INVALID_REQUEST, "A manual partition assignment was specified, but numPartitions was not set to -1.")
        assert assigned("m", [(0, [me]), (1, [me]), (0, [me])]) == (
            INVALID_REPLICA_ASSIGNMENT, "Found multiple manual partition assignments for partition 0")
        assert assigned("m", [(0, [])]) == (
            INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list.")
        assert assigned("m", [(0, [me, me])]) == (
            INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes the broker 0 more than once.")
        assert assigned("m", [(0, [7, me])]) == (
            INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes broker 7, but no such broker is "
                                        "registered.")
        # a list is checked before the next partition's repeat is seen
        assert assigned("m", [(0, [me]), (1, [5]), (0, [me])]) == (
            INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes broker 5, but no such broker is "
                                        "registered.")
        assert assigned("m", [(0, [me]), (2, [me])]) == (
            INVALID_REPLICA_ASSIGNMENT, "partitions should be a consecutive 0-based integer sequence")
        assert topic_error(b.port, "m") == 3


# ---- CreatePartitions v1, DeleteTopics v1 and v6 ----

def grow(port, topics, validate_only=False):
    """topics: [(name, count, assignments or None)] -> [(name, error, message)]."""
    body = struct.pack(">i", len(topics))
    for name, count, assignments in topics:
        body += kw.string(name) + struct.pack(">i", count)
        if assignments is None:
            body += struct.pack(">i", -1)
        else:
            body += struct.pack(">i", len(assignments)) + b"".join(
                struct.pack(">i", len(ids)) + b"".join(struct.pack(">i", x) for x in ids) for ids in assignments)
    resp = request_once(port, 37, 1, body + struct.pack(">i?", 30000, validate_only))
    off, out = 12, []  # correlation id, throttle, count
    for _ in range(struct.unpack_from(">i", resp, 8)[0]):
        name, off = kw._read_string(resp, off)
        err, = struct.unpack_from(">h", resp, off)
        msg, off = kw._read_string(resp, off + 2)
        out.append((name, err, msg))
    return out


def delete_v6(port, entries):
    """entries: [(name or None, 16-byte id)] -> [(name, id, error, message)]."""
    body = carray([cstr(n) + i + b"\x00" for n, i in entries]) + struct.pack(">i", 30000) + b"\x00"
    r = Reader(request_once(port, 20, 6, body, flexible=True), 4)
    r.tags()
    r.take(">i")
    out = []
    for _ in range(r.uvarint() - 1):
        name = r.cstr()
        tid = r.buf[r.off:r.off + 16]
        r.off += 16
        out.append((name, tid, r.take(">h"), r.cstr()))
        r.tags()
    return out


def delete_v1_or_v3(port, version, names):
    """-> [(name, error)] (DeleteTopics v1-v3 share a layout)."""
    resp = request_once(port, 20, version, struct.pack(">i", len(names)) + b"".join(kw.string(n) for n in names)
                        + struct.pack(">i", 30000))
    off, out = 12, []
    for _ in range(struct.unpack_from(">i", resp, 8)[0]):
        name, off = kw._read_string(resp, off)
        out.append((name, struct.unpack_from(">h", resp, off)[0]))
        off += 2
    return out


def test_create_partitions_rules():
    with Broker(overrides=BROKER) as b:
        assert one(b.port, topic("g", 2)) == (NONE, None)
        assert grow(b.port, [("g", 2, None)]) == [("g", INVALID_PARTITIONS, "Topic already has 2 partition(s).")]
        assert grow(b.port, [("g", 1, None)]) == [
            ("g", INVALID_PARTITIONS, "The topic g currently has 2 partition(s); 1 would not be an increase.")]
        assert grow(b.port, [("nope", 3, None)]) == [("nope", UNKNOWN_TOPIC_OR_PARTITION, None)]
        assert grow(b.port, [("g", 4, [[0]])]) == [
            ("g", INVALID_REPLICA_ASSIGNMENT, "Attempted to add 2 additional partition(s), but only 1 assignment(s) "
                                              "were specified.")]
        assert grow(b.port, [("g", 4, [[0], [3]])]) == [
            ("g", INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes broker 3, but no such broker "
                                              "is registered.")]
        assert grow(b.port, [("g", 4, [[0], []])]) == [
            ("g", INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list.")]
        # a name twice: one answer, nothing grows
        assert grow(b.port, [("g", 3, None), ("g", 5, None)]) == [("g", INVALID_REQUEST, "Duplicate topic name.")]
        assert metadata(b.port, "g") == (NONE, 2)
        assert grow(b.port, [("g", 4, [[0], [0]])]) == [("g", NONE, None)]
        assert metadata(b.port, "g") == (NONE, 4)


def test_delete_topics_rules():
    with Broker(overrides=BROKER) as b:
        made = {t["name"]: t["id"] for t in create(b.port, [topic(n) for n in ("x", "y", "z")])}
        zero = bytes(16)
        assert delete_v6(b.port, [("x", zero), ("x", zero)]) == [("x", zero, INVALID_REQUEST, "Duplicate topic name.")]
        assert delete_v6(b.port, [(None, made["y"]), (None, made["y"])]) == [
            (None, made["y"], INVALID_REQUEST, "Duplicate topic id.")]
        assert delete_v6(b.port, [("x", made["x"])]) == [
            ("x", made["x"], INVALID_REQUEST, "You may not specify both topic name and topic id.")]
        assert delete_v6(b.port, [(None, zero)]) == [
            (None, zero, INVALID_REQUEST, "Neither topic name nor id were specified.")]
        assert all(metadata(b.port, n) == (NONE, 1) for n in ("x", "y", "z"))
        # a name whose id is also given: the id deletes it, the name is refused
        res = delete_v6(b.port, [("y", zero), (None, made["y"]), ("z", zero)])
        assert sorted(res, key=str) == sorted([
            ("y", zero, INVALID_REQUEST, "The provided topic name maps to an ID that was already supplied."),
            ("y", made["y"], NONE, None), ("z", made["z"], NONE, None)], key=str), res
        assert metadata(b.port, "y")[0] == UNKNOWN_TOPIC_OR_PARTITION and metadata(b.port, "x") == (NONE, 1)
    with Broker(overrides=dict(BROKER, **{"delete.topic.enable": "false"})) as b:
        assert one(b.port, topic("kept")) == (NONE, None)
        # clients before v3 do not know TOPIC_DELETION_DISABLED: Kafka tells them INVALID_REQUEST
        assert delete_v1_or_v3(b.port, 1, ["kept"]) == [("kept", INVALID_REQUEST)]
        assert delete_v1_or_v3(b.port, 3, ["kept"]) == [("kept", TOPIC_DELETION_DISABLED)]
        assert metadata(b.port, "kept") == (NONE, 1)


def metadata_v9(port, names, include_ops):
    """-> (cluster ops, [(error, name, is_internal, partitions, topic ops)])"""
    flags = struct.pack(">???", False, include_ops, include_ops)
    r = Reader(request_once(port, 3, 9, carray([cstr(n) + b"\x00" for n in names]) + flags + b"\x00",
                            flexible=True), 4)
    r.tags()
    r.take(">i")
    for _ in range(r.uvarint() - 1):  # brokers
        r.take(">i"), r.cstr(), r.take(">i"), r.cstr(), r.tags()
    r.cstr()  # cluster id
    r.take(">i")  # controller
    topics = []
    for _ in range(r.uvarint() - 1):
        err, name, internal = r.take(">h"), r.cstr(), r.take(">?")
        nparts = r.uvarint() - 1
        for _ in range(nparts):
            r.take(">hiii")
            for _ in range(3):  # replicas, isr, offline
                for _ in range(r.uvarint() - 1):
                    r.take(">i")
            r.tags()
        topics.append((err, name, internal, nparts, r.take(">i")))
        r.tags()
    return r.take(">i"), topics


def test_metadata_names_each_topic_once_and_kafkas_internal_topics_only():
    TOPIC_OPS = sum(1 << op for op in (3, 4, 5, 6, 7, 8, 10, 11))
    CLUSTER_OPS = sum(1 << op for op in (5, 7, 8, 9, 10, 11, 12))
    with Broker(overrides=BROKER) as b:
        assert one(b.port, topic("__mine", 2)) == (NONE, None)
        assert one(b.port, topic("t")) == (NONE, None)
        make_offsets_topic(b.port)
        cluster, topics = metadata_v9(b.port, ["t", "__mine", "t", "__consumer_offsets", "gone", "__transaction_state"],
                                      True)
        assert cluster == CLUSTER_OPS, cluster
        # a name without a topic still gets Kafka's internal flag and, asked for, the operations
        # (KafkaApis sets both on every entry getTopicMetadata returns)
        assert [(e, n, i, ops) for e, n, i, _, ops in topics] == [
            (NONE, "t", False, TOPIC_OPS), (NONE, "__mine", False, TOPIC_OPS),
            (NONE, "__consumer_offsets", True, TOPIC_OPS), (UNKNOWN_TOPIC_OR_PARTITION, "gone", False, TOPIC_OPS),
            (UNKNOWN_TOPIC_OR_PARTITION, "__transaction_state", True, TOPIC_OPS)], topics
        cluster, topics = metadata_v9(b.port, ["__mine"], False)
        assert cluster == -2 ** 31 and topics == [(NONE, "__mine", False, 2, -2 ** 31)], (cluster, topics)


def test_a_request_of_more_than_ten_thousand_records_is_refused_whole():
    """Kafka's controller writes a record per topic, per config and per
    partition, and fails a request that would write more than 10000
    (QuorumController.MAX_RECORDS_PER_USER_OP), validate_only included: every
    topic gets POLICY_VIOLATION and nothing is made.  Topics that fail their
    own checks add nothing to the count."""
    POLICY_VIOLATION, big = 44, "Unable to perform excessively large batch operation."
    with Broker(overrides=BROKER) as b:
        assert one(b.port, topic("huge", 10000), validate_only=True) == (POLICY_VIOLATION, big)
        assert one(b.port, topic("huge", 9999), validate_only=True) == (NONE, None)  # exactly 10000 records
        assert one(b.port, topic("huge", 9998, configs=[("retention.ms", "1000")]), validate_only=True) \
            == (NONE, None)
        assert one(b.port, topic("huge", 9998, configs=[("retention.ms", "1000"), ("segment.ms", "1000")]),
                   validate_only=True) == (POLICY_VIOLATION, big)
        # 1 + 3 + 1 records for "small", 1 + 9996 for "large": one too many, and both fail, for real too
        res = create(b.port, [topic("small", 3, configs=[("retention.ms", "1000")]), topic("large", 9996)])
        assert [(t["name"], t["error"], t["message"]) for t in res] == [
            ("small", POLICY_VIOLATION, big), ("large", POLICY_VIOLATION, big)], res
        assert topic_error(b.port, "small") == 3 and topic_error(b.port, "large") == 3
        # a topic refused on its own counts for nothing
        res = create(b.port, [topic("bad!", 9000), topic("small", 3)])
        assert [(t["name"], t["error"]) for t in res] == [("bad!", INVALID_TOPIC_EXCEPTION), ("small", NONE)], res
        assert metadata(b.port, "small") == (NONE, 3)


# ---- partition reassignments (v0, flexible) ----

def alter_reassignments(port, topics):
    """topics: [(name, [(partition, [broker ids] or None)])] -> (error, message, [(name, partition, error, msg)])"""
    def ids(replicas):
        return b"\x00" if replicas is None else carray([struct.pack(">i", r) for r in replicas])
    body = struct.pack(">i", 30000) + carray([
        cstr(name) + carray([struct.pack(">i", p) + ids(r) + b"\x00" for p, r in parts]) + b"\x00"
        for name, parts in topics]) + b"\x00"
    r = Reader(request_once(port, 45, 0, body, flexible=True), 4)
    r.tags()
    r.take(">i")  # throttle
    err, msg, out = r.take(">h"), r.cstr(), []
    for _ in range(r.uvarint() - 1):
        name = r.cstr()
        for _ in range(r.uvarint() - 1):
            out.append((name, r.take(">i"), r.take(">h"), r.cstr()))
            r.tags()
        r.tags()
    return err, msg, out


def list_reassignments(port, topics):
    """topics: None (all) or [(name, [partitions])] -> (error, message, number of topics listed)"""
    body = struct.pack(">i", 30000) + (b"\x00" if topics is None else carray([
        cstr(name) + carray([struct.pack(">i", p) for p in parts]) + b"\x00" for name, parts in topics])) + b"\x00"
    r = Reader(request_once(port, 46, 0, body, flexible=True), 4)
    r.tags()
    r.take(">i")
    return r.take(">h"), r.cstr(), r.uvarint() - 1


def test_partition_reassignments_on_one_broker():
    """One broker never moves a replica: no reassignment is ever listed, a
    cancellation finds none (NO_REASSIGNMENT_IN_PROGRESS), the partition's own
    list is a change of nothing, and any other target fails as a manual
    assignment does (ReplicationControlManager.alterPartitionReassignment)."""
    NO_REASSIGNMENT_IN_PROGRESS = 85
    with Broker(overrides=BROKER) as b:
        assert one(b.port, topic("moved", 2)) == (NONE, None)
        assert list_reassignments(b.port, None) == (NONE, None, 0)
        assert list_reassignments(b.port, [("moved", [0, 1]), ("nope", [0])]) == (NONE, None, 0)
        err, msg, res = alter_reassignments(b.port, [
            ("moved", [(0, [0]), (1, None), (1, [0, 0]), (1, [7]), (1, []), (5, [0])]), ("nope", [(0, [0])])])
        assert (err, msg) == (NONE, None), (err, msg)
        assert res == [
            ("moved", 0, NONE, None),
            ("moved", 1, NO_REASSIGNMENT_IN_PROGRESS, "No partition reassignment is in progress."),
            ("moved", 1, INVALID_REPLICA_ASSIGNMENT,
             "The manual partition assignment includes the broker 0 more than once."),
            ("moved", 1, INVALID_REPLICA_ASSIGNMENT,
             "The manual partition assignment includes broker 7, but no such broker is registered."),
            ("moved", 1, INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list."),
            ("moved", 5, UNKNOWN_TOPIC_OR_PARTITION, "Unable to find partition moved:5."),
            ("nope", 0, UNKNOWN_TOPIC_OR_PARTITION, "Unable to find a topic named nope."),
        ], res
        assert metadata(b.port, "moved") == (NONE, 2)


if __name__ == "__main__":
    run_tests([
        test_checks_come_in_kafkas_order,
        test_names_in_kafkas_words_and_collisions,
        test_configs_are_checked_together,
        test_null_configs_and_duplicate_names,
        test_manual_assignments,
        test_partition_reassignments_on_one_broker,
        test_a_request_of_more_than_ten_thousand_records_is_refused_whole,
        test_create_partitions_rules,
        test_delete_topics_rules,
        test_metadata_names_each_topic_once_and_kafkas_internal_topics_only,
    ])
