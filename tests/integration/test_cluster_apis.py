#!/usr/bin/env python3
"""The admin APIs that describe the cluster as a whole, over the wire, as a
Kafka 3.9 broker answers them: DescribeCluster (KIP-700; the Java admin's
describeCluster with authorized operations needs it), DescribeTopicPartitions
(KIP-966; the Java admin's describeTopics uses it and warns without it) and
DescribeProducers (KIP-664: kafka-transactions.sh describe-producers)."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

NONE, UNKNOWN_TOPIC, INVALID_TOPIC, INVALID_REQUEST = 0, 3, 17, 42
MISMATCHED_ENDPOINT_TYPE, UNSUPPORTED_ENDPOINT_TYPE = 114, 115
# Kafka's operations on a cluster without an authorizer: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION,
# DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE (as Metadata reports them); on a topic: READ,
# WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS
CLUSTER_OPS = sum(1 << op for op in (5, 7, 8, 9, 10, 11, 12))
TOPIC_OPS = sum(1 << op for op in (3, 4, 5, 6, 7, 8, 10, 11))
NOT_ASKED = -2147483648


class Reader:
    """Reads a flexible response: compact strings and arrays, tagged fields skipped."""

    def __init__(self, buf, off):
        self.buf, self.off = buf, off

    def fixed(self, fmt):
        v, = struct.unpack_from(fmt, self.buf, self.off)
        self.off += struct.calcsize(fmt)
        return v

    def string(self):
        b, self.off = kw._read_compact(self.buf, self.off)
        return None if b is None else b.decode()

    def count(self):
        n, self.off = kw.read_uvarint(self.buf, self.off)
        return n - 1

    def raw(self, n):
        b = self.buf[self.off:self.off + n]
        self.off += n
        return b

    def done(self):
        assert self.off == len(self.buf), (self.off, len(self.buf))

    def tags(self):
        for _ in range(self.count() + 1):
            _tag, self.off = kw.read_uvarint(self.buf, self.off)
            size, self.off = kw.read_uvarint(self.buf, self.off)
            self.off += size


def call_flexible(c, api, version, body):
    """One flexible request on c -> a Reader past the response header (at the throttle time)."""
    corr = c.request(api, version, body, flexible=True)
    resp = c.recv_frame()
    assert struct.unpack_from(">i", resp, 0)[0] == corr
    r = Reader(resp, 4)
    r.tags()
    return r


def describe_cluster(c, version, include_ops=False, endpoint_type=1):
    """-> dict of the response's fields"""
    body = struct.pack(">?", include_ops) + (struct.pack(">b", endpoint_type) if version >= 1 else b"") + b"\x00"
    r = call_flexible(c, 60, version, body)
    out = {"throttle": r.fixed(">i"), "error": r.fixed(">h"), "message": r.string()}
    if version >= 1:
        out["endpoint_type"] = r.fixed(">b")
    out["cluster_id"], out["controller"] = r.string(), r.fixed(">i")
    brokers = []
    for _ in range(r.count()):
        broker = (r.fixed(">i"), r.string(), r.fixed(">i"), r.string())
        r.tags()
        brokers.append(broker)
    out["brokers"], out["ops"] = brokers, r.fixed(">i")
    r.tags()
    r.done()
    return out


def test_describe_cluster_names_this_broker_as_metadata_does():
    """KafkaApis.handleDescribeCluster: the brokers at the request's listener, the
    cluster id, a controller id among them, and the cluster's operations when asked."""
    with Broker() as b:
        md = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=30)
        c = RawClient(b.port)
        for version in (0, 1):
            got = describe_cluster(c, version)
            want = {"throttle": 0, "error": NONE, "message": None, "cluster_id": md.cluster_id,
                    "controller": md.controller_id, "brokers": [(0, "127.0.0.1", b.port, None)], "ops": NOT_ASKED}
            if version >= 1:
                want["endpoint_type"] = 1
            assert got == want, (version, got, want)
            assert describe_cluster(c, version, include_ops=True)["ops"] == CLUSTER_OPS
        assert md.controller_id == 0 and len(md.cluster_id) == 22, (md.controller_id, md.cluster_id)
        c.close()


def test_describe_cluster_refuses_other_endpoint_types_in_kafkas_words():
    """AuthHelper.computeDescribeClusterResponse: a broker serves the broker endpoint
    type (1) only; a controller's (2) is a mismatch, anything else unsupported."""
    with Broker() as b:
        c = RawClient(b.port)
        got = describe_cluster(c, 1, endpoint_type=2)
        assert (got["error"], got["message"]) == (
            MISMATCHED_ENDPOINT_TYPE,
            "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"), got
        assert (got["cluster_id"], got["controller"], got["brokers"], got["ops"]) == ("", -1, [], NOT_ASKED), got
        for bad in (0, 3, -1):
            got = describe_cluster(c, 1, include_ops=True, endpoint_type=bad)
            assert (got["error"], got["message"]) == (UNSUPPORTED_ENDPOINT_TYPE, "Unsupported endpoint type %d" % bad)
        got = describe_cluster(c, 0)  # v0 carries no type: always the broker's
        assert got["error"] == NONE, got
        c.close()


def describe_topic_partitions(c, topics, limit=2000, cursor=None):
    """-> ([(error, name, id, internal, ops, [(error, index, leader, epoch, replicas, isr, elr, last elr,
    offline)])], next cursor or None)"""
    body = kw.uvarint(len(topics) + 1) + b"".join(kw._compact(t) + b"\x00" for t in topics) + struct.pack(">i", limit)
    body += b"\xff" if cursor is None else b"\x01" + kw._compact(cursor[0]) + struct.pack(">i", cursor[1]) + b"\x00"
    r = call_flexible(c, 75, 0, body + b"\x00")
    assert r.fixed(">i") == 0  # throttle

    def int32s():
        n = r.count()
        return None if n < 0 else [r.fixed(">i") for _ in range(n)]
    out = []
    for _ in range(r.count()):
        err, tname, tid, internal = r.fixed(">h"), r.string(), r.raw(16), r.fixed(">?")
        parts = []
        for _p in range(r.count()):
            parts.append((r.fixed(">h"), r.fixed(">i"), r.fixed(">i"), r.fixed(">i"), int32s(), int32s(),
                          int32s(), int32s(), int32s()))
            r.tags()
        out.append((err, tname, tid, internal, r.fixed(">i"), parts))
        r.tags()
    nxt = None
    if r.fixed(">b") >= 0:
        nxt = (r.string(), r.fixed(">i"))
        r.tags()
    r.tags()
    r.done()
    return out, nxt


def test_describe_topic_partitions_pages_through_sorted_topics():
    """DescribeTopicPartitionsRequestHandler: every topic when none is named, sorted;
    at most ResponsePartitionLimit partitions a page (at least one), and a cursor to
    the next; a topic ends a page only when the next has no room left."""
    with Broker() as b:
        c = RawClient(b.port)
        for topic, n in (("c", 5), ("a", 3), ("b", 1)):
            kw.create_topic(c, topic, n)

        def pages(topics, limit, cursor=None):
            got = []
            while True:
                page, cursor = describe_topic_partitions(c, topics, limit, cursor)
                got.append(([(t[1], [p[1] for p in t[5]]) for t in page], cursor))
                if cursor is None:
                    return got
        everything, cursor = describe_topic_partitions(c, [])
        assert cursor is None
        assert [(t[0], t[1], t[3], t[4], len(t[5])) for t in everything] == [
            (NONE, "a", False, TOPIC_OPS, 3), (NONE, "b", False, TOPIC_OPS, 1), (NONE, "c", False, TOPIC_OPS, 5)]
        ids = {t[2] for t in everything}
        assert len(ids) == 3 and bytes(16) not in ids, ids
        # each partition as a single KRaft broker has it: led here, in sync, no ELR (empty, not null)
        assert everything[0][5] == [(NONE, i, 0, 0, [0], [0], [], [], []) for i in range(3)], everything[0][5]
        assert pages([], 2) == [
            ([("a", [0, 1])], ("a", 2)),
            ([("a", [2]), ("b", [0])], ("c", 0)),
            ([("c", [0, 1])], ("c", 2)),
            ([("c", [2, 3])], ("c", 4)),
            ([("c", [4])], None)]
        assert pages([], 4) == [([("a", [0, 1, 2]), ("b", [0])], ("c", 0)), ([("c", [0, 1, 2, 3])], ("c", 4)),
                                ([("c", [4])], None)]
        assert pages(["c", "a"], 0) == pages(["a", "c"], 1)  # at least one a page
        assert pages([], 9) == [([("a", [0, 1, 2]), ("b", [0]), ("c", [0, 1, 2, 3, 4])], None)]
        c.close()


def test_describe_topic_partitions_answers_each_named_topic_once():
    """Named topics: each once, sorted, from the cursor's topic on; unknown and invalid
    names with their errors (and whether the name is Kafka's internal one); a cursor
    past a topic's partitions gives none.  A cursor outside the topics named, or with a
    negative partition, refuses the request (every topic named, INVALID_REQUEST)."""
    with Broker() as b:
        c = RawClient(b.port)
        kw.create_topic(c, "a", 3)
        kw.create_topic(c, "c", 2)
        page, cursor = describe_topic_partitions(c, ["c", "zz", "a", "a", "bad name!", "__consumer_offsets"])
        assert cursor is None
        assert [(t[0], t[1], t[3], t[4], [p[1] for p in t[5]]) for t in page] == [
            (UNKNOWN_TOPIC, "__consumer_offsets", True, TOPIC_OPS, []), (NONE, "a", False, TOPIC_OPS, [0, 1, 2]),
            (INVALID_TOPIC, "bad name!", False, TOPIC_OPS, []), (NONE, "c", False, TOPIC_OPS, [0, 1]),
            (UNKNOWN_TOPIC, "zz", False, TOPIC_OPS, [])], page
        assert page[0][2] == bytes(16) and page[1][2] != bytes(16)
        page, cursor = describe_topic_partitions(c, ["c", "a", "zz"], cursor=("a", 1))
        assert ([(t[1], [p[1] for p in t[5]]) for t in page], cursor) == ([("a", [1, 2]), ("c", [0, 1]), ("zz", [])],
                                                                          None), page
        page, cursor = describe_topic_partitions(c, ["c"], cursor=("c", 7))
        assert ([(t[0], t[1], t[5]) for t in page], cursor) == ([(NONE, "c", [])], None)
        for topics, bad in ((["a", "c", "a"], ("b", 0)), (["a"], ("a", -1)), ([], ("a", -1))):
            page, cursor = describe_topic_partitions(c, topics, cursor=bad)
            assert [(t[0], t[1], t[2], t[3], t[4], t[5]) for t in page] == [
                (INVALID_REQUEST, n, bytes(16), False, NOT_ASKED, []) for n in topics] and cursor is None, (bad, page)
        # every topic: a cursor on a topic that does not exist starts from where it would be
        page, cursor = describe_topic_partitions(c, [], cursor=("b", 5))
        assert [(t[1], [p[1] for p in t[5]]) for t in page] == [("c", [0, 1])] and cursor is None, page
        c.close()


def describe_producers(c, topics):
    """topics: [(name, [partitions])] -> {(name, partition): (error, message, [(id, epoch, last seq,
    last timestamp, coordinator epoch, txn start)])}"""
    body = kw.uvarint(len(topics) + 1)
    for name, parts in topics:
        body += kw._compact(name) + kw.uvarint(len(parts) + 1) + b"".join(struct.pack(">i", p) for p in parts)
        body += b"\x00"
    r = call_flexible(c, 61, 0, body + b"\x00")
    assert r.fixed(">i") == 0  # throttle
    out = {}
    for _ in range(r.count()):
        name = r.string()
        for _p in range(r.count()):
            index, err, msg = r.fixed(">i"), r.fixed(">h"), r.string()
            producers = []
            for _q in range(r.count()):
                producers.append((r.fixed(">q"), r.fixed(">i"), r.fixed(">i"), r.fixed(">q"), r.fixed(">i"),
                                  r.fixed(">q")))
                r.tags()
            r.tags()
            out[(name, index)] = (err, msg, producers)
        r.tags()
    r.tags()
    r.done()
    return out


def test_describe_producers_shows_each_partitions_idempotent_producers():
    """UnifiedLog.activeProducers: each producer id with its epoch, its newest batch's
    last sequence and max timestamp, and no transaction (-1s); plain batches leave no
    trace; the same after a restart, from the producer state snapshot.  Errors as
    KafkaApis gives them: an invalid or unknown topic for every partition asked, with
    its message, an unknown partition with the code alone."""
    with Broker() as b:
        c = RawClient(b.port)
        kw.create_topic(c, "p", 2)
        pids = []
        for _ in range(2):
            c.request(22, 0, kw.init_producer_id_v0())
            err, pid, epoch = kw.parse_init_producer_id_v0_response(c.recv_frame())
            assert (err, epoch) == (NONE, 0), (err, epoch)
            pids.append(pid)
        base = int(time.time() * 1000) - 60000  # recent: a producer is forgotten a day after its last batch

        def produce(partition, batch):
            c.request(0, 3, kw.produce_v3("p", partition, batch, acks=-1))
            assert kw.parse_produce_v3_response(c.recv_frame())[1][0][2] == NONE
        produce(0, kw.record_batch([(b"k", b"a"), (b"k", b"b"), (b"k", b"c")], base_ts=base, producer=(pids[0], 0, 0),
                                   ts_deltas=[0, 9, 5]))
        produce(0, kw.record_batch([(b"k", b"d")], base_ts=base + 100, producer=(pids[0], 0, 3)))
        produce(0, kw.record_batch([(b"k", b"e")], base_ts=base + 50, producer=(pids[1], 0, 0)))
        produce(1, kw.record_batch([(None, b"%d" % i) for i in range(5)], base_ts=base, producer=(pids[1], 0, 0)))
        produce(1, kw.record_batch([(None, b"plain")], base_ts=base + 999))
        # a producer whose newest batch is older than producer.id.expiration.ms (a day) is not
        # listed, as Kafka's periodic expiry would have dropped it by now
        c.request(22, 0, kw.init_producer_id_v0())
        _err, stale, _epoch = kw.parse_init_producer_id_v0_response(c.recv_frame())
        produce(1, kw.record_batch([(None, b"old")], base_ts=base - 2 * 86400000, producer=(stale, 0, 0)))
        asked = [("p", [0, 1, 7]), ("nope", [0]), ("bad name!", [0, 1]), ("q", [])]
        want = {("p", 0): (NONE, None, sorted([(pids[0], 0, 3, base + 100, -1, -1), (pids[1], 0, 0, base + 50, -1, -1)])),
                ("p", 1): (NONE, None, [(pids[1], 0, 4, base, -1, -1)]),
                ("p", 7): (UNKNOWN_TOPIC, None, []),
                ("nope", 0): (UNKNOWN_TOPIC, "This server does not host this topic-partition.", [])}
        got = describe_producers(c, asked)
        for tp in (("bad name!", 0), ("bad name!", 1)):
            err, msg, producers = got.pop(tp)
            assert (err, msg, producers) == (INVALID_TOPIC, "Topic name is invalid: 'bad name!' contains one or more "
                                             "characters other than ASCII alphanumerics, '.', '_' and '-'", []), tp
        assert got == want, got
        c.close()
        b.restart()
        c = RawClient(b.port)
        got = describe_producers(c, asked[:2])
        assert got == want, got
        c.close()


if __name__ == "__main__":
    run_tests([
        test_describe_cluster_names_this_broker_as_metadata_does,
        test_describe_cluster_refuses_other_endpoint_types_in_kafkas_words,
        test_describe_topic_partitions_pages_through_sorted_topics,
        test_describe_topic_partitions_answers_each_named_topic_once,
        test_describe_producers_shows_each_partitions_idempotent_producers,
    ])
