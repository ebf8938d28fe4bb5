#!/usr/bin/env python3
"""Admin APIs through librdkafka's AdminClient (DescribeConfigs, CreatePartitions,
DeleteTopics), ListOffsets by timestamp, and Fetch's long-poll and size rules
(the client's limits and the broker's fetch.max.bytes) over the raw protocol."""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, answered, api_versions, request_once, run_tests, wait_for  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic  # noqa: E402

SOURCE_DYNAMIC_TOPIC, SOURCE_STATIC_BROKER, SOURCE_DEFAULT = 1, 4, 5


def test_describe_configs_topic_and_broker():
    with Broker(overrides={"log.segment.bytes": "1048576"}) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("cfg", 2, 1, config={"retention.ms": "3600000", "cleanup.policy": "compact"})])["cfg"].result(30)
        res = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, "cfg")])
        cfg = list(res.values())[0].result(30)
        assert cfg["retention.ms"].value == "3600000" and cfg["retention.ms"].source == SOURCE_DYNAMIC_TOPIC, cfg["retention.ms"]
        assert cfg["cleanup.policy"].value == "compact"
        assert cfg["segment.bytes"].value == "1048576" and cfg["segment.bytes"].source == SOURCE_STATIC_BROKER
        assert cfg["max.message.bytes"].value == "1048588" and cfg["max.message.bytes"].source == SOURCE_DEFAULT
        res = admin.describe_configs([ConfigResource(ConfigResource.Type.BROKER, "0")])
        bcfg = list(res.values())[0].result(30)
        assert bcfg["log.segment.bytes"].value == "1048576", bcfg["log.segment.bytes"]
        assert bcfg["num.partitions"].value == "1"
        assert bcfg["auto.create.topics.enable"].value == "true"
        # invalid config at create time: INVALID_CONFIG naming the key
        f = admin.create_topics([NewTopic("bad", 1, 1, config={"retention.ms": "soon"})])["bad"]
        try:
            f.result(30)
            raise AssertionError("invalid config accepted")
        except Exception as e:  # KafkaException
            assert "retention.ms" in str(e), e
        # unknown topic
        res = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, "nope")])
        try:
            list(res.values())[0].result(30)
            raise AssertionError("describe of unknown topic succeeded")
        except Exception as e:
            assert "UNKNOWN_TOPIC" in str(e) or "does not exist" in str(e), e


def test_create_partitions_and_delete_topics():
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("grow", 1, 1)])["grow"].result(30)
        admin.create_partitions([NewPartitions("grow", 4)])["grow"].result(30)
        md = admin.list_topics(timeout=10)
        assert len(md.topics["grow"].partitions) == 4
        assert os.path.isdir(os.path.join(b.log_dir, "grow-3"))
        try:
            admin.create_partitions([NewPartitions("grow", 2)])["grow"].result(30)
            raise AssertionError("shrinking partitions succeeded")
        except Exception as e:
            assert "INVALID_PARTITIONS" in str(e) or "partitions" in str(e), e
        p = Producer({"bootstrap.servers": b.bootstrap})
        for i in range(10):
            p.produce("grow", value=b"x", partition=3)
        assert p.flush(10) == 0
        admin.delete_topics(["grow"])["grow"].result(30)
        assert "grow" not in admin.list_topics(timeout=10).topics
        # The partition directories are renamed away at once (the name is free for a new
        # topic); their files are removed by a worker thread, so that part is awaited.
        live = [d for d in os.listdir(b.log_dir) if d.startswith("grow-") and not d.endswith("-delete")]
        assert not live, live
        wait_for(lambda: not any(d.startswith("grow-") for d in os.listdir(b.log_dir)),
                 "the deleted topic's renamed directories to be removed")
        try:
            admin.delete_topics(["grow"])["grow"].result(30)
            raise AssertionError("deleting a missing topic succeeded")
        except Exception as e:
            assert "UNKNOWN_TOPIC" in str(e), e
        # recreate with the same name: a fresh, empty topic
        admin.create_topics([NewTopic("grow", 1, 1)])["grow"].result(30)
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "x"})
        lo, hi = c.get_watermark_offsets(TopicPartition("grow", 0), timeout=10)
        assert (lo, hi) == (0, 0), (lo, hi)
        c.close()


def timestamped_topic(b, topic, partitions, records, base):
    """A new topic whose partition 0 holds records stamped base, base + 1 s, ...,
    one batch per record, so every timestamp is indexed at batch level."""
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 0})
    for i in range(records):
        p.produce(topic, value=b"v%d" % i, partition=0, timestamp=base + i * 1000)
        p.flush(10)


def test_list_offsets_by_timestamp():
    with Broker() as b:
        base = 1_700_000_000_000
        timestamped_topic(b, "ts", 1, 100, base)
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "x"})
        for ts, want in [(base, 0), (base + 42_000, 42), (base + 42_500, 43), (base - 5, 0), (base + 10**7, -1)]:
            got = c.offsets_for_times([TopicPartition("ts", 0, ts)], timeout=10)[0].offset
            assert got == want, (ts, got, want)
        assert c.get_watermark_offsets(TopicPartition("ts", 0), timeout=10) == (0, 100)
        c.close()


def list_offsets_v4(port, entries):
    """entries: [(topic, partition, current_leader_epoch, timestamp)], one topic entry each
    -> [(topic, partition, error, timestamp, offset, leader_epoch)] in the answer's order."""
    body = struct.pack(">ibi", -1, 0, len(entries))
    for t, p, epoch, ts in entries:
        body += kw.string(t) + struct.pack(">iiiq", 1, p, epoch, ts)
    resp = request_once(port, 2, 4, body)
    off, out = 12, []  # correlation id, throttle, topic count
    for _ in range(struct.unpack_from(">i", resp, 8)[0]):
        name, off = kw._read_string(resp, off)
        for _ in range(struct.unpack_from(">i", resp, off)[0]):
            p, err, ts, o, epoch = struct.unpack_from(">ihqqi", resp, off + 4)
            out.append((name, p, err, ts, o, epoch))
            off += 26
        off += 4
    return out


def test_list_offsets_max_timestamp_and_the_tiered_specials():
    """ListOffsets v7-v10 (KIP-734, KIP-405, KIP-1005 as a broker without tiered
    storage answers them): -3 gives the first record carrying the log's largest
    timestamp and that timestamp, -4 the log start, -5 nothing (-1), each only
    from the version that defines it (UNSUPPORTED_VERSION before, as Kafka 3.9's
    isListOffsetsTimestampUnsupported).  Before, v7+ was not offered at all."""
    UNSUPPORTED_VERSION = 35
    t0 = int(time.time() * 1000) - 3600 * 1000
    with Broker(overrides={"log.segment.bytes": "16384"}) as b:
        c = RawClient(b.port)
        for topic in ("mx", "nothing"):
            c.request(19, 0, kw.create_topics_v0(topic, 1))
            c.recv_frame()

        def produce(batch):
            c.request(0, 3, kw.produce_v3("mx", 0, batch))
            assert kw.parse_produce_v3_response(c.recv_frame())[1][0][2] == 0
        for i in range(20):  # offsets 0-19 over several segments
            produce(kw.record_batch([(b"k", b"v" * 1000)], base_ts=t0 + i * 1000))
        produce(kw.record_batch([(b"a", b"1"), (b"b", b"2"), (b"c", b"3")], base_ts=t0 + 100000,
                                ts_deltas=[0, 50000, 1000]))  # offsets 20-22, the largest at 21
        produce(kw.record_batch([(b"d", b"4"), (b"e", b"5")], base_ts=t0 + 150000, ts_deltas=[0, 0]))  # a tie: 23-24
        produce(kw.record_batch([(b"f", b"6")], base_ts=t0 + 30000))  # 25

        def ask(version, ts, topic="mx"):
            c.request(2, version, kw.list_offsets_flex(topic, [(0, ts)], version), flexible=True)
            return kw.parse_list_offsets_flex_response(c.recv_frame())[0]
        assert ask(7, -3) == (0, t0 + 150000, 21, 0)
        assert ask(10, -3) == (0, t0 + 150000, 21, 0)
        assert ask(7, -3, "nothing") == (0, -1, -1, -1)
        assert ask(6, -3)[0] == ask(7, -4)[0] == ask(8, -5)[0] == ask(10, -6)[0] == UNSUPPORTED_VERSION
        assert ask(8, -4) == (0, -1, 0, 0)
        assert ask(9, -5) == (0, -1, -1, -1)
        assert ask(10, -1) == (0, -1, 26, 0)
        # records below the log start are not answered: the tie's first record is
        body = struct.pack(">i", 1) + kw.string("mx") + struct.pack(">iiq", 1, 0, 22) + struct.pack(">i", 10000)
        c.request(21, 0, body)
        c.recv_frame()
        assert ask(8, -4) == (0, -1, 22, 0)
        assert ask(7, -3) == (0, t0 + 150000, 23, 0)
        versions = api_versions(b.port)
        assert versions[2][1] == 10, versions[2]
        c.close()


def list_offsets_v0(c, topic, partition, ts, max_num_offsets):
    """-> (error, [offsets]) of one partition, ListOffsets v0 (old-style offsets)."""
    body = struct.pack(">ii", -1, 1) + kw.string(topic) + struct.pack(">iiqi", 1, partition, ts, max_num_offsets)
    c.request(2, 0, body)
    resp = c.recv_frame()
    _name, off = kw._read_string(resp, 4 + 4)  # correlation id, topic count
    _p, err, n = struct.unpack_from(">ihi", resp, off + 4)
    return err, list(struct.unpack_from(">%dq" % n, resp, off + 14))


def test_list_offsets_v0_lists_segments_by_modification_time():
    """ListOffsets v0 is Kafka's legacyFetchOffsetsBefore, not v1's record
    search: each segment stands for its base offset (at least the log start)
    at its file's modification time, plus the log end at now when the last
    segment holds data; -1 starts from the newest, -2 from the oldest, a
    timestamp from the newest modified at or before it, and up to
    max_num_offsets of them come back, newest first.  Before, v0 answered
    v1's one offset (a sarama client at Version 0.10.0 found [0] for an hour
    ago, where Kafka gives none, and nothing for an hour ahead, where Kafka
    gives the log end)."""
    UNKNOWN_SERVER_ERROR, UNSUPPORTED_VERSION, UNKNOWN_TOPIC_OR_PARTITION = -1, 35, 3
    with Broker(overrides={"log.segment.bytes": "8192"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("old", 1))
        c.recv_frame()
        now = int(time.time() * 1000)  # (record_batch's default timestamps are past retention.ms)
        for i in range(12):  # batches of two 1 KiB records, three to a segment
            c.request(0, 3, kw.produce_v3("old", 0, kw.record_batch([(b"k", b"v" * 1000)] * 2, base_ts=now)))
            assert kw.parse_produce_v3_response(c.recv_frame())[1][0][2] == 0
        part = os.path.join(b.log_dir, "old-0")
        bases = sorted(int(f[:-4]) for f in os.listdir(part) if f.endswith(".log"))
        assert bases == [0, 6, 12, 18], bases
        hour_ago = int(time.time()) - 3600
        mtimes = [(hour_ago + 60 * i) * 1000 for i in range(len(bases))]  # a minute apart, in order
        for base, ms in zip(bases, mtimes):
            os.utime(os.path.join(part, "%020d.log" % base), (ms / 1000, ms / 1000))
        newest_first = [24] + bases[::-1]  # the log end (24 records), then every segment
        assert list_offsets_v0(c, "old", 0, -1, 100) == (0, newest_first)
        assert list_offsets_v0(c, "old", 0, -1, 2) == (0, newest_first[:2])
        assert list_offsets_v0(c, "old", 0, -2, 5) == (0, [0])
        assert list_offsets_v0(c, "old", 0, mtimes[1], 10) == (0, [bases[1], 0])
        assert list_offsets_v0(c, "old", 0, mtimes[1] + 30000, 1) == (0, [bases[1]])
        assert list_offsets_v0(c, "old", 0, mtimes[0] - 1, 10) == (0, [])
        assert list_offsets_v0(c, "old", 0, int(time.time() * 1000) + 3600000, 100) == (0, newest_first)
        assert list_offsets_v0(c, "old", 0, -1, 0) == (0, [])
        assert list_offsets_v0(c, "old", 0, -1, -1) == (UNKNOWN_SERVER_ERROR, [])
        assert list_offsets_v0(c, "old", 0, -3, 10) == (UNSUPPORTED_VERSION, [])
        assert list_offsets_v0(c, "old", 1, -1, 10) == (UNKNOWN_TOPIC_OR_PARTITION, [])
        # a log start inside the first segment stands for it: max(base offset, log start)
        body = struct.pack(">i", 1) + kw.string("old") + struct.pack(">iiq", 1, 0, 3) + struct.pack(">i", 10000)
        c.request(21, 0, body)
        c.recv_frame()
        assert list_offsets_v0(c, "old", 0, -2, 5) == (0, [3])
        assert list_offsets_v0(c, "old", 0, mtimes[1], 10) == (0, [bases[1], 3])
        assert list_offsets_v0(c, "old", 0, mtimes[3], 10) == (0, [18, 12, 6, 3])
        # past 1 MiB a segment has blocks reserved ahead; closing gives them back with a cut,
        # which used to stamp the file with the time of the shutdown
        c.request(19, 0, struct.pack(">i", 1) + kw.string("big") + struct.pack(">ihii", 1, 1, 0, 1)
                  + kw.string("segment.bytes") + kw.string("104857600") + struct.pack(">i", 5000))
        c.recv_frame()
        for i in range(2):
            c.request(0, 3, kw.produce_v3("big", 0, kw.record_batch([(b"k", b"v" * 1000)] * 900, base_ts=now)))
            got = kw.parse_produce_v3_response(c.recv_frame())
            assert got[1][0][2] == 0, got
        os.utime(os.path.join(b.log_dir, "big-0", "%020d.log" % 0), (hour_ago, hour_ago))
        assert list_offsets_v0(c, "big", 0, hour_ago * 1000 + 1000, 10) == (0, [0])
        c.close()
        b.restart()  # a clean restart keeps every file's time
        c = RawClient(b.port)
        assert list_offsets_v0(c, "old", 0, mtimes[3], 10) == (0, [18, 12, 6, 3])
        assert list_offsets_v0(c, "big", 0, hour_ago * 1000 + 1000, 10) == (0, [0])
        c.close()


def fetch_v9_error(port, topic, partition, current_leader_epoch):
    """The partition's error in a Fetch v9 that gives current_leader_epoch."""
    body = struct.pack(">iiiibii", -1, 0, 1, 1 << 20, 0, 0, -1) + struct.pack(">i", 1) + kw.string(topic)
    body += struct.pack(">iiiqqi", 1, partition, current_leader_epoch, 0, -1, 1 << 20) + struct.pack(">i", 0)
    resp = request_once(port, 1, 9, body)
    off = 4 + 4 + 2 + 4 + 4  # correlation id, throttle, error, session id, topic count
    _name, off = kw._read_string(resp, off)
    return struct.unpack_from(">h", resp, off + 4 + 4)[0]


def offset_for_leader_epoch(c, version, topics):
    """topics: [(name, [(partition, current epoch, epoch)])] -> [(name, [(error, partition, epoch, end)])];
    epoch is None at v0, which has no such field."""
    flex = version >= 4

    def array(n):
        return kw.uvarint(n + 1) if flex else struct.pack(">i", n)
    body = struct.pack(">i", -1) if version >= 3 else b""
    body += array(len(topics))
    for name, parts in topics:
        body += (kw._compact(name) if flex else kw.string(name)) + array(len(parts))
        for p, current, epoch in parts:
            body += struct.pack(">i", p) + (struct.pack(">i", current) if version >= 2 else b"")
            body += struct.pack(">i", epoch) + (b"\x00" if flex else b"")
        body += b"\x00" if flex else b""
    corr = c.request(23, version, body + (b"\x00" if flex else b""), flexible=flex)
    resp = c.recv_frame()
    assert struct.unpack_from(">i", resp, 0)[0] == corr
    off = 4 + (1 if flex else 0) + (4 if version >= 2 else 0)

    def count():
        nonlocal off
        if flex:
            n, off = kw.read_uvarint(resp, off)
            return n - 1
        n, = struct.unpack_from(">i", resp, off)
        off += 4
        return n
    out = []
    for _ in range(count()):
        if flex:
            name, off = kw._read_compact(resp, off)
            name = name.decode()
        else:
            name, off = kw._read_string(resp, off)
        parts = []
        for _p in range(count()):
            err, p = struct.unpack_from(">hi", resp, off)
            off += 6
            epoch = None
            if version >= 1:
                epoch, = struct.unpack_from(">i", resp, off)
                off += 4
            end, = struct.unpack_from(">q", resp, off)
            off += 8 + (1 if flex else 0)
            parts.append((err, p, epoch, end))
        off += 1 if flex else 0
        out.append((name, parts))
    assert off + (1 if flex else 0) == len(resp), (off, len(resp))
    return out


def test_offset_for_leader_epoch_answers_as_kafkas_epoch_cache():
    """LeaderEpochFileCache.endOffsetFor for a partition whose only leader epoch is 0
    (it starts at the log start): epoch 0 ends at the log end, a lower epoch is answered
    with the log start, a higher one or -1 is unknown (-1, -1).  The current leader epoch
    is checked first (FENCED below, UNKNOWN above), and an unknown topic or partition is
    UNKNOWN_TOPIC_OR_PARTITION.  The Java consumer validates its position with this after
    a seek with an epoch; before, it was not served, and the check silently skipped."""
    UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH = 3, 74, 75
    with Broker() as b:
        c = RawClient(b.port)
        kw.create_topic(c, "e", 2)
        now = int(time.time() * 1000)  # not past retention.ms, which a DeleteRecords applies at once
        c.request(0, 3, kw.produce_v3("e", 0, kw.record_batch([(None, b"%d" % i) for i in range(5)], base_ts=now)))
        assert kw.parse_produce_v3_response(c.recv_frame())[1] == [("e", 0, 0, 0)]
        asked = [("e", [(0, -1, 0), (0, 0, 0), (0, 1, 0), (0, -3, 0), (0, -1, 5), (0, -1, -1), (0, -1, -7),
                        (1, -1, 0), (9, -1, 0)]), ("zz", [(0, -1, 0)])]

        def want(start):
            return [("e", [(0, 0, 0, 5), (0, 0, 0, 5), (UNKNOWN_LEADER_EPOCH, 0, -1, -1),
                           (FENCED_LEADER_EPOCH, 0, -1, -1), (0, 0, -1, -1), (0, 0, -1, -1), (0, 0, -7, start),
                           (0, 1, 0, 0), (UNKNOWN_TOPIC_OR_PARTITION, 9, -1, -1)]),
                    ("zz", [(UNKNOWN_TOPIC_OR_PARTITION, 0, -1, -1)])]
        for version in (2, 3, 4):
            assert offset_for_leader_epoch(c, version, asked) == want(0), version
        # v0 and v1 have no current epoch (so no fencing); v0 no epoch in the answer
        plain = [("e", [(0, -1, 0), (0, -1, 3), (0, -1, -7)])]
        assert offset_for_leader_epoch(c, 1, plain) == [("e", [(0, 0, 0, 5), (0, 0, -1, -1), (0, 0, -7, 0)])]
        assert offset_for_leader_epoch(c, 0, plain) == [("e", [(0, 0, None, 5), (0, 0, None, -1), (0, 0, None, 0)])]
        # DeleteRecords v0 to offset 3: the epoch's start moves with the log start
        c.request(21, 0, struct.pack(">i", 1) + kw.string("e") + struct.pack(">iiqi", 1, 0, 3, 5000))
        resp = c.recv_frame()
        assert struct.unpack_from(">iqh", resp, 4 + 4 + 4 + 2 + 1 + 4) == (0, 3, 0), resp
        got = offset_for_leader_epoch(c, 4, asked)
        assert got == want(3), got
        c.close()


def test_list_offsets_and_fetch_checks_in_kafkas_order():
    """ReplicaManager.fetchOffset's order: a partition named twice, a special
    timestamp the version does not serve, an unknown partition, then the
    client's current_leader_epoch against the leader's (0 here: FENCED below,
    UNKNOWN above); leader_epoch -1 wherever no offset is found.  Fetch checks
    current_leader_epoch too."""
    INVALID_REQUEST, UNSUPPORTED_VERSION, UNKNOWN = 42, 35, 3
    FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH = 74, 75
    with Broker() as b:
        base = 1_700_000_000_000
        timestamped_topic(b, "lo", 2, 3, base)
        ask = lambda *entries: list_offsets_v4(b.port, list(entries))  # noqa: E731
        assert ask(("lo", 0, -1, -1), ("lo", 0, 0, -2), ("lo", 1, -1, -1)) == [
            ("lo", 0, INVALID_REQUEST, -1, -1, -1), ("lo", 1, 0, -1, 0, 0)]
        assert ask(("lo", 0, 0, -1)) == [("lo", 0, 0, -1, 3, 0)]
        assert ask(("lo", 0, -1, -2)) == [("lo", 0, 0, -1, 0, 0)]
        assert ask(("lo", 0, 5, -1)) == [("lo", 0, UNKNOWN_LEADER_EPOCH, -1, -1, -1)]
        assert ask(("lo", 0, -3, -2)) == [("lo", 0, FENCED_LEADER_EPOCH, -1, -1, -1)]
        assert ask(("lo", 0, 7, base)) == [("lo", 0, UNKNOWN_LEADER_EPOCH, -1, -1, -1)]
        assert ask(("lo", 9, 5, -1)) == [("lo", 9, UNKNOWN, -1, -1, -1)]
        assert ask(("lo", 9, 5, -3)) == [("lo", 9, UNSUPPORTED_VERSION, -1, -1, -1)]
        assert ask(("lo", 0, -1, base + 1000)) == [("lo", 0, 0, base + 1000, 1, 0)]
        assert ask(("lo", 0, -1, base + 10**7)) == [("lo", 0, 0, -1, -1, -1)]  # none that late
        assert fetch_v9_error(b.port, "lo", 0, -1) == 0
        assert fetch_v9_error(b.port, "lo", 0, 0) == 0
        assert fetch_v9_error(b.port, "lo", 0, 2) == UNKNOWN_LEADER_EPOCH
        assert fetch_v9_error(b.port, "lo", 0, -7) == FENCED_LEADER_EPOCH
        assert fetch_v9_error(b.port, "lo", 5, 2) == UNKNOWN


def test_fetch_long_poll_and_sizes():
    with Broker() as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("lp", 2))
        c.recv_frame()
        # empty partition: the broker holds the fetch for max_wait, then answers empty
        t0 = time.time()
        c.request(1, 4, kw.fetch_v4("lp", [(0, 0)], max_wait=1500, min_bytes=1))
        res = kw.parse_fetch_v4_response(c.recv_frame())
        waited = time.time() - t0
        assert res[0][0] == 0 and res[0][2] == b"", res
        assert waited >= 1.2, "fetch returned after %.2fs, before max.wait.ms" % waited

        # data arriving during the wait completes the fetch early
        def produce_later():
            time.sleep(0.5)
            p = RawClient(b.port)
            p.request(0, 3, kw.produce_v3("lp", 0, kw.record_batch([(b"k", b"v")])))
            p.recv_frame()
            p.close()
        th = threading.Thread(target=produce_later)
        th.start()
        t0 = time.time()
        c.request(1, 4, kw.fetch_v4("lp", [(0, 0)], max_wait=20000, min_bytes=1))
        res = kw.parse_fetch_v4_response(c.recv_frame())
        waited = time.time() - t0
        th.join()
        assert kw.batch_offsets(res[0][2]) == [(0, 1)], res
        assert waited < 15, "the produce did not wake the parked fetch (%.1fs)" % waited

        # sizes: partition_max_bytes smaller than one batch still returns that first batch whole;
        # more batches only while they fit
        p = RawClient(b.port)
        for i in range(5):
            p.request(0, 3, kw.produce_v3("lp", 1, kw.record_batch([(b"k", b"x" * 1000)])))
            p.recv_frame()
        c.request(1, 4, kw.fetch_v4("lp", [(1, 0)], max_wait=0, partition_max_bytes=10))
        res = kw.parse_fetch_v4_response(c.recv_frame())
        assert kw.batch_offsets(res[1][2]) == [(0, 1)], kw.batch_offsets(res[1][2])
        c.request(1, 4, kw.fetch_v4("lp", [(1, 2)], max_wait=0, partition_max_bytes=2500))
        res = kw.parse_fetch_v4_response(c.recv_frame())
        assert kw.batch_offsets(res[1][2]) == [(2, 1), (3, 1)], kw.batch_offsets(res[1][2])
        # response max_bytes caps the second partition once the first filled it
        c.request(1, 4, kw.fetch_v4("lp", [(0, 0), (1, 0)], max_wait=0, max_bytes=100))
        res = kw.parse_fetch_v4_response(c.recv_frame())
        assert kw.batch_offsets(res[0][2]) == [(0, 1)] and res[1][2] == b"", res
        # out of range: no offsets, as Kafka's createLogReadResult(e) answers
        c.request(1, 4, kw.fetch_v4("lp", [(1, 99)], max_wait=0))
        res = kw.parse_fetch_v4_partitions(c.recv_frame())
        assert res[1][:4] == (1, -1, -1, None), res  # OFFSET_OUT_OF_RANGE
        p.close()
        c.close()


def test_fetch_long_poll_and_sizes_follow_kafkas_replica_manager():
    """KafkaApis and ReplicaManager.fetchMessages: min_bytes counts at most the
    response's max_bytes, and it is met by the bytes Kafka would read (a
    partition's limit filled, its last batch cut), not only whole batches; a
    limit of 0 still gets the first batch (KIP-74's minOneMessage); a partition
    the broker does not have does not end the long poll; read_uncommitted
    answers null aborted transactions, read_committed an empty list.  Before,
    the first two waited out max_wait, a 0 limit got nothing (partition) or
    everything (response), and an unknown partition answered at once."""
    UNKNOWN_TOPIC_OR_PARTITION = 3
    with Broker() as b:
        c = RawClient(b.port, timeout=60)
        c.request(19, 0, kw.create_topics_v0("mb", 1))
        c.recv_frame()
        c.request(19, 0, kw.create_topics_v0("idle", 1))
        c.recv_frame()
        for _ in range(3):  # three batches of about 1070 bytes
            c.request(0, 3, kw.produce_v3("mb", 0, kw.record_batch([(b"k", b"x" * 1000)])))
            c.recv_frame()

        def fetch_answered_at_once(**kwargs):
            c.request(1, 4, kw.fetch_v4("mb", [(0, 0)], max_wait=30000, **kwargs))
            assert answered(c, 10), "the fetch waited for its max_wait (%s)" % kwargs
            return kw.batch_offsets(kw.parse_fetch_v4_response(c.recv_frame())[0][2])
        # 3210 bytes there, min_bytes far above the 2000 the response may carry
        assert fetch_answered_at_once(min_bytes=100000, max_bytes=2000) == [(0, 1)]
        # a 1500-byte partition limit: Kafka reads 1500 bytes (one batch and a cut one)
        assert fetch_answered_at_once(min_bytes=1500, partition_max_bytes=1500) == [(0, 1)]
        # limits of 0: the first batch whole, nothing more
        assert fetch_answered_at_once(partition_max_bytes=0) == [(0, 1)]
        assert fetch_answered_at_once(max_bytes=0) == [(0, 1)]

        # an unknown partition beside an idle one: the fetch waits for data
        c.request(1, 4, kw.fetch_v4("idle", [(0, 0), (9, 0)], max_wait=30000, min_bytes=1))
        assert not answered(c, 1.0), "a fetch naming an unknown partition ended its long poll"
        p = RawClient(b.port)
        p.request(0, 3, kw.produce_v3("idle", 0, kw.record_batch([(b"k", b"v")])))
        p.recv_frame()
        p.close()
        assert answered(c, 10)
        res = kw.parse_fetch_v4_partitions(c.recv_frame())
        assert kw.batch_offsets(res[0][4]) == [(0, 1)] and res[9][0] == UNKNOWN_TOPIC_OR_PARTITION, res

        # nothing asked for is there at all: Kafka answers at once (interesting.isEmpty)
        c.request(1, 4, kw.fetch_v4("no-such-topic", [(0, 0)], max_wait=30000, min_bytes=1))
        assert answered(c, 10), "a fetch of only unknown partitions waited for its max_wait"
        assert kw.parse_fetch_v4_partitions(c.recv_frame())[0][0] == UNKNOWN_TOPIC_OR_PARTITION

        for isolation, aborted in ((0, None), (1, 0)):
            c.request(1, 4, kw.fetch_v4("mb", [(0, 0)], max_wait=0, isolation=isolation))
            assert kw.parse_fetch_v4_partitions(c.recv_frame())[0][3] == aborted, isolation
        c.close()


def test_the_brokers_fetch_max_bytes_caps_every_response():
    """Kafka's broker setting fetch.max.bytes: a response carries at most that much
    whatever the client asks, the first batch whole all the same; librdkafka reads
    everything through it."""
    with Broker(overrides={"fetch.max.bytes": "2500"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("capped", 2))
        c.recv_frame()
        for part in (0, 1):
            for i in range(5):
                c.request(0, 3, kw.produce_v3("capped", part, kw.record_batch([(b"k", b"x" * 1000)])))
                c.recv_frame()
        c.request(1, 4, kw.fetch_v4("capped", [(0, 0), (1, 0)], max_wait=0))
        res = kw.parse_fetch_v4_response(c.recv_frame())
        assert kw.batch_offsets(res[0][2]) == [(0, 1), (1, 1)] and res[1][2] == b"", res
        c.request(1, 4, kw.fetch_v4("capped", [(1, 0)], max_wait=0, max_bytes=1200))  # the client's is less
        res = kw.parse_fetch_v4_response(c.recv_frame())
        assert kw.batch_offsets(res[1][2]) == [(0, 1)], res
        c.close()
        cons = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "capped", "enable.auto.commit": False})
        cons.assign([TopicPartition("capped", 0, 0), TopicPartition("capped", 1, 0)])
        got = []
        deadline = time.time() + 30
        while len(got) < 10 and time.time() < deadline:
            got += [(m.partition(), m.offset()) for m in cons.consume(10, 0.5) if not m.error()]
        cons.close()
        assert sorted(got) == [(p, o) for p in (0, 1) for o in range(5)], got


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python's module may lack the name


def arrival_of_next_frame(client):
    """Reads one response frame; returns (the kernel's receive time of its first
    bytes in ns, the frame). SO_TIMESTAMPNS must be on before the bytes arrive."""
    head, anc, _, _ = client.sock.recvmsg(4, socket.CMSG_SPACE(16))
    stamps = [struct.unpack("qq", data[:16]) for level, kind, data in anc
              if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS]
    assert len(head) == 4 and stamps, (head, anc)
    body = client.recv_exact(struct.unpack(">i", head)[0])
    return stamps[0][0] * 1000000000 + stamps[0][1], body


def test_a_parked_fetch_is_answered_before_the_produce_that_woke_it():
    """A consumer waiting at the tail gets the appended records before the producer
    gets its acknowledgement: the consumer's wait is the end-to-end latency. The
    order is read from the kernel's receive timestamps of the two responses."""
    with Broker() as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("tail", 1))
        c.recv_frame()
        p = RawClient(b.port)
        for client in (c, p):
            client.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        for round_ in range(3):
            c.request(1, 4, kw.fetch_v4("tail", [(0, round_)], max_wait=20000, min_bytes=1))
            time.sleep(0.3)  # the fetch parks: nothing to read at its offset yet
            p.request(0, 3, kw.produce_v3("tail", 0, kw.record_batch([(b"k", b"v%d" % round_)])))
            produced_at, produced = arrival_of_next_frame(p)
            fetched_at, fetched = arrival_of_next_frame(c)
            assert kw.parse_produce_v3_response(produced)[1] == [("tail", 0, 0, round_)], produced
            assert kw.batch_offsets(kw.parse_fetch_v4_response(fetched)[0][2]) == [(round_, 1)]
            assert fetched_at < produced_at, \
                "round %d: the acknowledgement arrived %d ns before the parked fetch's records" % (
                    round_, fetched_at - produced_at)
        p.close()
        c.close()


def test_acl_apis_answer_security_disabled():
    """Freshet has no authorizer: DescribeAcls, CreateAcls and DeleteAcls are
    served and answer SECURITY_DISABLED, as Kafka's AclApis does without one
    (before, they were not advertised and clients failed with an unsupported
    API)."""
    from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                             KafkaAdminClient, ResourcePattern, ResourcePatternFilter, ResourceType)
    from kafka.errors import SecurityDisabledError
    with Broker() as b:
        versions = api_versions(b.port)
        for key in (29, 30, 31):
            assert versions.get(key) == (0, 3), (key, versions.get(key))
        admin = KafkaAdminClient(bootstrap_servers="127.0.0.1:%d" % b.port, request_timeout_ms=10000)
        try:
            acl = ACL(principal="User:alice", host="*", operation=ACLOperation.READ,
                      permission_type=ACLPermissionType.ALLOW,
                      resource_pattern=ResourcePattern(ResourceType.TOPIC, "t", ACLResourcePatternType.LITERAL))
            created = admin.create_acls([acl, acl])
            assert created["succeeded"] == [] and len(created["failed"]) == 2, created
            # kafka-python hands back the error's class here
            assert all(err is SecurityDisabledError for _, err in created["failed"]), created
            flt = ACLFilter(principal=None, host="*", operation=ACLOperation.ANY,
                            permission_type=ACLPermissionType.ANY,
                            resource_pattern=ResourcePatternFilter(ResourceType.TOPIC, None,
                                                                   ACLResourcePatternType.ANY))
            try:
                admin.describe_acls(flt)
                raise AssertionError("describe_acls did not fail")
            except SecurityDisabledError:
                pass
            deleted = admin.delete_acls([flt])
            assert len(deleted) == 1 and deleted[0][1] == [] and deleted[0][2] is SecurityDisabledError, \
                deleted
        finally:
            admin.close()
        # the wire: DescribeAcls v1 carries the error and its message at the top
        body = struct.pack(">b", 2) + kw.string("t") + struct.pack(">b", 3) + struct.pack(">h", -1) \
            + kw.string("*") + struct.pack(">bb", 1, 1)
        resp = request_once(b.port, 29, 1, body)
        err, = struct.unpack_from(">h", resp, 8)  # correlation, throttle
        msg, _ = kw._read_string(resp, 10)
        assert (err, msg) == (54, "No Authorizer is configured on the broker"), (err, msg)
        assert 0 in api_versions(b.port)  # still serving


if __name__ == "__main__":
    run_tests([
        test_acl_apis_answer_security_disabled,
        test_describe_configs_topic_and_broker,
        test_create_partitions_and_delete_topics,
        test_list_offsets_by_timestamp,
        test_offset_for_leader_epoch_answers_as_kafkas_epoch_cache,
        test_list_offsets_and_fetch_checks_in_kafkas_order,
        test_list_offsets_max_timestamp_and_the_tiered_specials,
        test_list_offsets_v0_lists_segments_by_modification_time,
        test_fetch_long_poll_and_sizes,
        test_fetch_long_poll_and_sizes_follow_kafkas_replica_manager,
        test_the_brokers_fetch_max_bytes_caps_every_response,
        test_a_parked_fetch_is_answered_before_the_produce_that_woke_it,
    ])
