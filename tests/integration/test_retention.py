#!/usr/bin/env python3
"""Retention and DeleteRecords on a real broker: time and size retention
remove exactly the segments Kafka's rules name (computed here from the batch
sizes and segment.bytes), consumers from the start begin at the new log start
offset, fetches below it get OFFSET_OUT_OF_RANGE, DeleteRecords through
`freshet delete-records` and over the raw protocol (v0 and flexible v2), and
the log start offset checkpoint across a restart."""
import json
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FRESHET, Broker, RawClient, run_tests, wait_for  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402

SEGMENT_BYTES = 600
OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, POLICY_VIOLATION = 1, 3, 17, 44
BROKER = {"log.segment.bytes": str(SEGMENT_BYTES), "log.retention.check.interval.ms": "200"}


# ---- helpers ----

def produce(port, topic, batches):
    """batches: list of (records, timestamp); one Produce request per batch.
    Returns the batch sizes and base offsets."""
    c = RawClient(port)
    out = []
    try:
        for records, ts in batches:
            batch = kw.record_batch(records, base_ts=ts)
            c.request(0, 3, kw.produce_v3(topic, 0, batch))
            _, res = kw.parse_produce_v3_response(c.recv_frame())
            assert res[0][2] == 0, res
            out.append((len(batch), res[0][3]))
    finally:
        c.close()
    return out


def segments_after(sizes, segment_bytes=SEGMENT_BYTES):
    """Kafka's roll rule for one batch per append: [(base offset, size, [batch indexes])]."""
    segs = []
    for i, (size, base) in enumerate(sizes):
        if not segs or (segs[-1][1] > 0 and segs[-1][1] + size > segment_bytes):
            segs.append([base, 0, []])
        segs[-1][1] += size
        segs[-1][2].append(i)
    return segs


def log_files(broker, topic):
    d = os.path.join(broker.log_dir, "%s-0" % topic)
    return sorted(int(f[:20]) for f in os.listdir(d) if f.endswith(".log"))


def watermarks(broker, topic):
    return watermarks_of(broker, topic, 1)[0]


def watermarks_of(broker, topic, partitions):
    """[(low, high)] of partitions 0..partitions-1."""
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "wm"})
    try:
        return [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in range(partitions)]
    finally:
        c.close()


def consume_all(broker, topic, expect):
    """Offsets read by a new group from the earliest offset."""
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "from-start-%s-%f" % (topic, time.time()),
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    deadline = time.time() + 30
    try:
        while len(got) < expect and time.time() < deadline:
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            got.append(m.offset())
    finally:
        c.close()
    return got


def alter_topic(broker, topic, configs):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    res = admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config=configs)])
    for f in res.values():
        f.result(30)


def create_topic(broker, topic, configs=None):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config=configs or {})])[topic].result(30)


def fetch_error(broker, topic, offset):
    c = RawClient(broker.port)
    try:
        c.request(1, 4, kw.fetch_v4(topic, [(0, offset)], max_wait=0))
        return kw.parse_fetch_v4_response(c.recv_frame())[0][0]
    finally:
        c.close()


def records(n, tag):
    return [(b"k%d" % i, b"%s-%d-" % (tag, i) + b"x" * 40) for i in range(n)]


# ---- retention ----

def test_time_retention_deletes_exactly_the_old_segments():
    with Broker(overrides=BROKER) as b:
        create_topic(b, "tr")
        now = int(time.time() * 1000)
        old = [(records(2, b"old"), now - 2 * 3600 * 1000 + i) for i in range(9)]
        new = [(records(2, b"new"), now + i) for i in range(5)]
        sizes = produce(b.port, "tr", old + new)
        segs = segments_after(sizes)
        assert len(segs) >= 4, segs
        # segments whose batches are all old go, up to the first one holding a new batch
        keep_from = next(i for i, s in enumerate(segs) if any(j >= len(old) for j in s[2]))
        want_start = segs[keep_from][0]
        assert keep_from >= 2, segs
        time.sleep(0.6)  # passes run meanwhile: nothing is older than the default 7 days
        assert log_files(b, "tr") == [s[0] for s in segs]
        assert watermarks(b, "tr") == (0, 28)

        alter_topic(b, "tr", {"retention.ms": "3600000"})  # one hour: takes effect at the next pass
        wait_for(lambda: watermarks(b, "tr")[0] == want_start, "the log start to reach %d" % want_start)
        assert log_files(b, "tr") == [s[0] for s in segs[keep_from:]], (log_files(b, "tr"), segs)
        assert fetch_error(b, "tr", 0) == OFFSET_OUT_OF_RANGE
        assert fetch_error(b, "tr", want_start - 1) == OFFSET_OUT_OF_RANGE
        assert fetch_error(b, "tr", want_start) == 0
        got = consume_all(b, "tr", 28 - want_start)
        assert got == list(range(want_start, 28)), got
        ckpt = open(os.path.join(b.log_dir, "log-start-offset-checkpoint")).read().split("\n")
        assert ckpt[0] == "0" and "tr 0 %d" % want_start in ckpt, ckpt

        # everything old: the active segment rolls and goes too, the log starts at its end
        alter_topic(b, "tr", {"retention.ms": "1"})
        wait_for(lambda: watermarks(b, "tr") == (28, 28), "every segment to go")
        assert log_files(b, "tr") == [28]
        alter_topic(b, "tr", {"retention.ms": "3600000"})
        produce(b.port, "tr", [(records(1, b"after"), int(time.time() * 1000))])
        assert consume_all(b, "tr", 1) == [28]


def test_size_retention_keeps_the_partition_under_retention_bytes():
    with Broker(overrides=BROKER) as b:
        create_topic(b, "sr")
        now = int(time.time() * 1000)
        sizes = produce(b.port, "sr", [(records(2, b"v"), now + i) for i in range(16)])
        segs = segments_after(sizes)
        total = sum(s[1] for s in segs)
        limit = total - segs[0][1] - segs[1][1] + 1  # Kafka: a segment goes while the rest stays >= limit
        # by Kafka's rule the first segment goes (total - s0 >= limit); the second would leave too little
        assert total - segs[0][1] >= limit and total - segs[0][1] - segs[1][1] < limit
        alter_topic(b, "sr", {"retention.bytes": str(limit)})
        wait_for(lambda: watermarks(b, "sr")[0] == segs[1][0], "size retention")
        time.sleep(0.6)  # further passes change nothing
        assert log_files(b, "sr") == [s[0] for s in segs[1:]]
        assert watermarks(b, "sr") == (segs[1][0], 32)
        got = consume_all(b, "sr", 32 - segs[1][0])
        assert got == list(range(segs[1][0], 32)), got

        # a limit below one segment: all but the active segment go
        alter_topic(b, "sr", {"retention.bytes": "1"})
        wait_for(lambda: log_files(b, "sr") == [segs[-1][0]], "all but the active segment to go")
        assert watermarks(b, "sr") == (segs[-1][0], 32)


def test_compact_topics_keep_their_segments():
    with Broker(overrides=dict(BROKER, **{"log.retention.ms": "1"})) as b:
        create_topic(b, "cp", {"cleanup.policy": "compact"})
        now = int(time.time() * 1000)
        sizes = produce(b.port, "cp", [(records(2, b"v"), now - 3600 * 1000) for _ in range(8)])
        time.sleep(1.0)
        assert log_files(b, "cp") == [s[0] for s in segments_after(sizes)]
        assert watermarks(b, "cp") == (0, 16)


def test_an_empty_cleanup_policy_keeps_every_segment():
    """cleanup.policy is a LIST that may be empty (ConfigDef.ValidList passes
    it), for the broker's log.cleanup.policy and a topic's own: neither
    delete nor compact, so retention never removes a segment
    (UnifiedLog.deleteOldSegments applies only the log start rule) and
    DeleteRecords is a POLICY_VIOLATION.  Before, both were refused."""
    with Broker(overrides=dict(BROKER, **{"log.retention.ms": "1", "log.cleanup.policy": ""})) as b:
        create_topic(b, "inherits")
        create_topic(b, "own", {"cleanup.policy": " "})
        create_topic(b, "deletes", {"cleanup.policy": "delete, compact"})
        old = int(time.time() * 1000) - 3600 * 1000
        for t in ("inherits", "own", "deletes"):
            produce(b.port, t, [([(b"k%d" % i, b"v" * 40)], old) for i in range(16)])
        files = {t: log_files(b, t) for t in ("inherits", "own")}
        assert all(len(f) >= 3 for f in files.values()), files
        wait_for(lambda: watermarks(b, "deletes")[0] > 0, "retention to run on the topic that deletes")
        assert {t: log_files(b, t) for t in files} == files
        assert watermarks(b, "inherits") == watermarks(b, "own") == (0, 16)
        c = RawClient(b.port)
        c.request(21, 0, delete_records_body({"own": [(0, 2)]}))
        assert parse_delete_records(c.recv_frame())[("own", 0)] == (-1, POLICY_VIOLATION)
        c.close()


def test_broker_level_retention_hours_minutes_ms():
    # Kafka's precedence: log.retention.ms over .minutes over .hours.  Every batch is two hours old,
    # so whenever the passes run, the end is the same: the log rolled and emptied, starting at its end.
    for overrides in ({"log.retention.hours": "1"}, {"log.retention.minutes": "60", "log.retention.hours": "1000"},
                      {"log.retention.ms": "3600000", "log.retention.minutes": "6000"}):
        with Broker(overrides=dict(BROKER, **overrides)) as b:
            create_topic(b, "bl")
            now = int(time.time() * 1000)
            produce(b.port, "bl", [(records(2, b"old"), now - 2 * 3600 * 1000 + i) for i in range(6)])
            wait_for(lambda: watermarks(b, "bl") == (12, 12) and log_files(b, "bl") == [12], "retention of %s"
                     % overrides)
            produce(b.port, "bl", [(records(2, b"new"), now)])
            time.sleep(0.6)
            assert watermarks(b, "bl") == (12, 14), overrides


# ---- DeleteRecords ----

def delete_records_tool(broker, tmp, partitions):
    path = os.path.join(tmp, "offsets.json")
    with open(path, "w") as f:
        json.dump({"partitions": [{"topic": t, "partition": p, "offset": o} for t, p, o in partitions],
                   "version": 1}, f)
    r = subprocess.run([FRESHET, "delete-records", "--bootstrap-server", broker.bootstrap,
                        "--offset-json-file", path], capture_output=True, text=True, timeout=120)
    return r


def test_delete_records_tool_and_log_start_across_restart():
    with Broker(overrides=BROKER) as b:
        create_topic(b, "dr")
        now = int(time.time() * 1000)
        sizes = produce(b.port, "dr", [(records(3, b"v"), now + i) for i in range(10)])
        segs = segments_after(sizes)
        mid = segs[2][0] + 1  # inside the third segment
        r = delete_records_tool(b, b.data_dir, [("dr", 0, mid)])
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() == ["Executing records delete operation", "Records delete operation completed:",
                                         "partition: dr-0\tlow_watermark: %d" % mid], r.stdout
        assert watermarks(b, "dr") == (mid, 30)
        # the segments wholly below go at the pass DeleteRecords starts; the one holding mid stays
        wait_for(lambda: log_files(b, "dr")[0] == segs[2][0], "segments below the log start to go")
        assert log_files(b, "dr") == [s[0] for s in segs[2:]]
        assert fetch_error(b, "dr", mid - 1) == OFFSET_OUT_OF_RANGE
        assert consume_all(b, "dr", 30 - mid) == list(range(mid, 30))

        # errors per partition, in Kafka's words; the others still apply
        r = delete_records_tool(b, b.data_dir, [("dr", 0, 31), ("nope", 0, 1)])
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[2] == ("partition: dr-0\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: "
                            "The requested offset is not within the range of offsets maintained by the server."), lines
        assert lines[3].startswith("partition: nope-0\terror: org.apache.kafka.common.errors."
                                   "UnknownTopicOrPartitionException"), lines
        # an internal topic: refused by the broker, in Kafka's words
        r = delete_records_tool(b, b.data_dir, [("__consumer_offsets", 0, -1)])
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[2] == (
            "partition: __consumer_offsets-0\terror: org.apache.kafka.common.errors.InvalidTopicException: "
            "The request attempted to perform an operation on an invalid topic."), r.stdout
        # a partition twice: refused before anything is sent
        r = delete_records_tool(b, b.data_dir, [("dr", 0, 5), ("dr", 0, 6)])
        assert r.returncode == 1 and "duplicate topic partitions: dr-0" in r.stderr, (r.stdout, r.stderr)

        # the log start offset, inside a segment, survives a restart through the checkpoint
        wait_for(lambda: "dr 0 %d" % mid in open(os.path.join(b.log_dir, "log-start-offset-checkpoint")).read(),
                 "the checkpoint")
        b.restart()
        assert watermarks(b, "dr") == (mid, 30)
        assert fetch_error(b, "dr", mid - 1) == OFFSET_OUT_OF_RANGE

        # -1: up to the high watermark
        r = delete_records_tool(b, b.data_dir, [("dr", 0, -1)])
        assert r.stdout.splitlines()[2] == "partition: dr-0\tlow_watermark: 30", r.stdout
        wait_for(lambda: log_files(b, "dr") == [segs[-1][0]], "all but the active segment to go")
        assert watermarks(b, "dr") == (30, 30)


# DeleteRecords over the raw protocol (key 21), v0 and flexible v2.

uvarint, read_uvarint = kw.uvarint, kw.read_uvarint


def delete_records_body(topics, timeout=5000, flexible=False):
    """topics: {name: [(partition, offset)]}"""
    if not flexible:
        body = struct.pack(">i", len(topics))
        for name, parts in topics.items():
            body += kw.string(name) + struct.pack(">i", len(parts))
            body += b"".join(struct.pack(">iq", p, o) for p, o in parts)
        return body + struct.pack(">i", timeout)
    body = uvarint(len(topics) + 1)
    for name, parts in topics.items():
        n = name.encode()
        body += uvarint(len(n) + 1) + n + uvarint(len(parts) + 1)
        body += b"".join(struct.pack(">iq", p, o) + b"\x00" for p, o in parts)
        body += b"\x00"
    return body + struct.pack(">i", timeout) + b"\x00"


def parse_delete_records(resp, flexible=False):
    """-> {(topic, partition): (low_watermark, error)}"""
    entries = parse_delete_records_list(resp, flexible)
    assert len(set(k for k, _ in entries)) == len(entries), "a partition answered twice: %s" % entries
    return dict(entries)


def parse_delete_records_list(resp, flexible=False):
    """-> [((topic, partition), (low_watermark, error))] in the answer's order"""
    off = 4 + (1 if flexible else 0)  # correlation id (+ header tags)
    off += 4  # throttle
    out = []
    if flexible:
        n, off = read_uvarint(resp, off)
        n -= 1
    else:
        n, = struct.unpack_from(">i", resp, off)
        off += 4
    for _ in range(n):
        if flexible:
            ln, off = read_uvarint(resp, off)
            name = resp[off:off + ln - 1].decode()
            off += ln - 1
            pn, off = read_uvarint(resp, off)
            pn -= 1
        else:
            name, off = kw._read_string(resp, off)
            pn, = struct.unpack_from(">i", resp, off)
            off += 4
        for _ in range(pn):
            p, low, err = struct.unpack_from(">iqh", resp, off)
            off += 14 + (1 if flexible else 0)
            out.append(((name, p), (low, err)))
        off += 1 if flexible else 0
    return out


def test_delete_records_over_the_wire():
    with Broker(overrides=BROKER) as b:
        create_topic(b, "w")
        produce(b.port, "w", [(records(2, b"v"), int(time.time() * 1000))] * 6)
        for version, flexible in ((0, False), (1, False), (2, True)):
            c = RawClient(b.port)
            start = watermarks(b, "w")[0]
            c.request(21, version, delete_records_body({"w": [(0, start + 1), (7, 1)], "nope": [(0, 0)]},
                                                       flexible=flexible), flexible=flexible)
            res = parse_delete_records(c.recv_frame(), flexible)
            assert res[("w", 0)] == (start + 1, 0), (version, res)
            assert res[("w", 7)] == (-1, UNKNOWN_TOPIC_OR_PARTITION), res
            assert res[("nope", 0)] == (-1, UNKNOWN_TOPIC_OR_PARTITION), res
            # past the high watermark, or negative other than -1: out of range, nothing moves
            c.request(21, version, delete_records_body({"w": [(0, 13)]}, flexible=flexible), flexible=flexible)
            assert parse_delete_records(c.recv_frame(), flexible)[("w", 0)] == (-1, OFFSET_OUT_OF_RANGE)
            c.request(21, version, delete_records_body({"w": [(0, -5)]}, flexible=flexible), flexible=flexible)
            assert parse_delete_records(c.recv_frame(), flexible)[("w", 0)] == (-1, OFFSET_OUT_OF_RANGE)
            # below the log start: nothing moves, the answer is the log start
            c.request(21, version, delete_records_body({"w": [(0, 0)]}, flexible=flexible), flexible=flexible)
            assert parse_delete_records(c.recv_frame(), flexible)[("w", 0)] == (start + 1, 0)
            c.close()
            assert watermarks(b, "w") == (start + 1, 12)
        # a partition named twice: one answer, and the offset given last is applied (Kafka's map)
        c = RawClient(b.port)
        c.request(21, 1, delete_records_body({"w": [(0, start + 3), (0, start + 2)]}))
        assert parse_delete_records_list(c.recv_frame()) == [(("w", 0), (start + 2, 0))]
        c.close()
        assert watermarks(b, "w") == (start + 2, 12)
        c = RawClient(b.port)
        c.request(21, 2, delete_records_body({"w": [(0, -1)]}, flexible=True), flexible=True)
        assert parse_delete_records(c.recv_frame(), True)[("w", 0)] == (12, 0)
        c.close()
        assert consume_all(b, "w", 0) == []
        assert watermarks(b, "w") == (12, 12)


def test_delete_records_refused_on_internal_and_compact_only_topics():
    """As Kafka's ReplicaManager and Partition.deleteRecordsOnLeader: an
    internal topic's records are never deleted (__consumer_offsets holds the
    groups' commits), nor those of a topic whose cleanup.policy lacks delete.
    Nothing moves in either."""
    with Broker(overrides=dict(BROKER, **{"offsets.topic.num.partitions": "3"})) as b:
        create_topic(b, "kept", {"cleanup.policy": "compact"})
        create_topic(b, "both", {"cleanup.policy": "compact,delete"})
        now = int(time.time() * 1000)
        for t in ("kept", "both"):
            produce(b.port, t, [([(b"k%d" % i, b"v")], now) for i in range(4)])
        # a group commit, so __consumer_offsets has records to lose
        consumer = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "g-keep", "enable.auto.commit": False})
        consumer.commit(offsets=[TopicPartition("kept", 0, 2)], asynchronous=False)
        consumer.close()
        offsets_end = watermarks_of(b, "__consumer_offsets", 3)
        assert any(hi > 0 for _, hi in offsets_end), offsets_end
        for version, flexible in ((0, False), (1, False), (2, True)):
            c = RawClient(b.port)
            c.request(21, version, delete_records_body({"kept": [(0, 2)], "both": [(0, 1)],
                                                        "__consumer_offsets": [(p, -1) for p in range(3)],
                                                        "__transaction_state": [(0, -1)]},
                                                       flexible=flexible), flexible=flexible)
            res = parse_delete_records(c.recv_frame(), flexible)
            c.close()
            assert res[("kept", 0)] == (-1, POLICY_VIOLATION), (version, res)
            assert res[("both", 0)] == (1, 0), (version, res)
            for p in range(3):
                assert res[("__consumer_offsets", p)] == (-1, INVALID_TOPIC_EXCEPTION), (version, p, res)
            # Kafka answers a topic that does not exist as unknown first
            assert res[("__transaction_state", 0)] == (-1, UNKNOWN_TOPIC_OR_PARTITION), (version, res)
        assert watermarks(b, "kept") == (0, 4)
        assert watermarks_of(b, "__consumer_offsets", 3) == offsets_end
        # the commit is still there after a restart, which reloads the groups from the log
        b.restart()
        consumer = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "g-keep"})
        got = consumer.committed([TopicPartition("kept", 0)], timeout=30)
        consumer.close()
        assert got[0].offset == 2, got


if __name__ == "__main__":
    run_tests([
        test_delete_records_refused_on_internal_and_compact_only_topics,
        test_time_retention_deletes_exactly_the_old_segments,
        test_size_retention_keeps_the_partition_under_retention_bytes,
        test_compact_topics_keep_their_segments,
        test_an_empty_cleanup_policy_keeps_every_segment,
        test_broker_level_retention_hours_minutes_ms,
        test_delete_records_tool_and_log_start_across_restart,
        test_delete_records_over_the_wire,
    ])
