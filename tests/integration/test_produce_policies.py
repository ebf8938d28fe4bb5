#!/usr/bin/env python3
"""What a topic's settings make of a Produce, as in Kafka: a compacted topic
refuses records without a key (INVALID_RECORD, naming every such record), a
LogAppendTime topic stores the broker's time in every batch, and a
compression.type other than "producer" stores batches re-compressed with
that codec at the topic's compression.<codec>.level.  zstd needs Produce v7 and, from a zstd topic, Fetch v10.  Each setting is read from the topic's overrides, else the
broker's config, and follows AlterConfigs.  The stored bytes are read back
from the segment files (codec, timestamp type, CRC) and through
librdkafka with check.crcs.  Whatever the topic, the records inside
compressed batches are checked, and a CreateTime batch is stored with its
records' largest timestamp as its maxTimestamp.  A CreateTime topic refuses
records whose timestamps are further from the broker's clock than its
message.timestamp.before / after.max.ms (or difference.max.ms) allow
(INVALID_TIMESTAMP, naming every such record); a LogAppendTime topic refuses a
batch that says LogAppendTime itself, and a CreateTime topic refuses such a
batch's records that have no timestamp."""
import glob
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, request_once, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka import (TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, Consumer, KafkaError,  # noqa: E402
                             Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402

INVALID_RECORD = 87
INVALID_TIMESTAMP = 32
MESSAGE_TOO_LARGE = 10
CORRUPT_MESSAGE = 2
UNKNOWN_SERVER_ERROR = -1
CODECS = {"uncompressed": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def create(b, topic, config=None):
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config=config or {})])[topic].result(30)


def alter(b, topic, config):
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    res = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config=config)
    admin.alter_configs([res])[res].result(30)


def produce(b, topic, records, **conf):
    """records: (key, value, timestamp or None).  -> delivery reports as
    (error code or None, timestamp type, timestamp), in order."""
    reports = []

    def on_delivery(err, msg):
        reports.append((err.code() if err else None,) + msg.timestamp())

    p = Producer(dict({"bootstrap.servers": b.bootstrap, "linger.ms": 50}, **conf))
    for k, v, ts in records:
        if ts is None:
            p.produce(topic, key=k, value=v, partition=0, on_delivery=on_delivery)
        else:
            p.produce(topic, key=k, value=v, partition=0, timestamp=ts, on_delivery=on_delivery)
    assert p.flush(30) == 0
    assert len(reports) == len(records), reports
    return reports


def consume(b, topic, n):
    """-> [(offset, key, value, timestamp type, timestamp)] of the first n records."""
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "policies-%f" % time.time(),
                  "enable.auto.commit": False, "check.crcs": True})
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.time() + 30
    try:
        while len(got) < n and time.time() < deadline:
            for m in c.consume(n, 0.5):
                assert not m.error(), m.error()
                got.append((m.offset(), m.key(), m.value()) + m.timestamp())
    finally:
        c.close()
    assert len(got) == n, got
    return got


def stored_batches(b, topic):
    """Every batch in the partition's segment files: (codec, log append time?, max timestamp,
    records count), after checking each one's CRC."""
    out = []
    for path in sorted(glob.glob(os.path.join(b.log_dir, "%s-0" % topic, "*.log"))):
        data = open(path, "rb").read()
        off = 0
        while off + 61 <= len(data):
            length, = struct.unpack_from(">i", data, off + 8)
            batch = data[off:off + 12 + length]
            crc, attributes = struct.unpack_from(">Ih", batch, 17)
            assert kw.crc32c(batch[21:]) == crc, "bad CRC in %s at %d" % (path, off)
            max_ts, = struct.unpack_from(">q", batch, 35)
            count, = struct.unpack_from(">i", batch, 57)
            out.append((attributes & 7, bool(attributes & 8), max_ts, count))
            off += 12 + length
    return out


def test_a_compacted_topic_refuses_records_without_a_key():
    with Broker() as b:
        create(b, "keyed", {"cleanup.policy": "compact"})
        c = RawClient(b.port)
        # two records of an uncompressed batch have no key: the whole batch is refused, both
        # named, with Kafka's messages
        c.request(0, 8, kw.produce_v8("keyed", 0, kw.record_batch([(b"k1", b"v1"), (None, b"v2"), (None, b"v3")])))
        [(_, _, err, base, _, errors, msg)] = kw.parse_produce_v8_response(c.recv_frame())
        assert err == INVALID_RECORD and base == -1, (err, base)
        why = "Compacted topic cannot accept message without key in topic partition keyed-0"
        assert errors == [(1, why), (2, why)], errors
        assert msg == ("One or more records have been rejected due to 2 record errors in total, and only showing "
                       "the first three errors at most: [RecordError(batchIndex=1, message='%s'), "
                       "RecordError(batchIndex=2, message='%s')]" % (why, why)), msg
        # keys and tombstones are taken, and the refused batch left nothing behind
        c.request(0, 8, kw.produce_v8("keyed", 0, kw.record_batch([(b"k1", b"v1"), (b"k2", None)])))
        [(_, _, err, base, _, errors, _)] = kw.parse_produce_v8_response(c.recv_frame())
        assert (err, base, errors) == (0, 0, []), (err, base, errors)
        c.close()

        # inside compressed batches too, which are decompressed to see the keys
        for codec in ("lz4", "gzip", "zstd"):
            reports = produce(b, "keyed", [(b"k3", b"v3", None)], **{"compression.type": codec})
            assert reports[0][0] is None, reports
            reports = produce(b, "keyed", [(None, b"v%d" % i, None) for i in range(20)],
                              **{"compression.type": codec})
            assert {r[0] for r in reports} == {KafkaError.INVALID_RECORD}, (codec, reports)
        got = consume(b, "keyed", 5)
        assert [(o, k) for o, k, _, _, _ in got] == [(0, b"k1"), (1, b"k2"), (2, b"k3"), (3, b"k3"), (4, b"k3")]

        # a topic that becomes compacted refuses them from then on; the broker's policy counts too
        create(b, "later")
        assert produce(b, "later", [(None, b"v", None)])[0][0] is None
        alter(b, "later", {"cleanup.policy": "compact,delete"})
        assert produce(b, "later", [(None, b"v", None)])[0][0] == KafkaError.INVALID_RECORD
    with Broker(overrides={"log.cleanup.policy": "compact"}) as b:
        create(b, "default-policy")
        assert produce(b, "default-policy", [(None, b"v", None)])[0][0] == KafkaError.INVALID_RECORD
        create(b, "delete-policy", {"cleanup.policy": "delete"})
        assert produce(b, "delete-policy", [(None, b"v", None)])[0][0] is None


def test_min_insync_replicas_is_capped_at_the_replication_factor():
    """Kafka 3.7+ (KAFKA-15583) takes min(min.insync.replicas, replicas): on one broker every
    partition has one replica, so acks=all is taken even where the setting says 2, as Kafka takes
    it for a topic of replication factor 1 (before 3.7, NOT_ENOUGH_REPLICAS)."""
    with Broker(overrides={"min.insync.replicas": "3"}) as b:
        create(b, "isr2", {"min.insync.replicas": "2"})
        create(b, "isr_default", {})
        c = RawClient(b.port)
        for topic in ("isr2", "isr_default"):
            c.request(0, 8, kw.produce_v8(topic, 0, kw.record_batch([(b"k", b"v")]), acks=-1))
            [(_, _, err, base, _, _, _)] = kw.parse_produce_v8_response(c.recv_frame())
            assert (err, base) == (0, 0), (topic, err, base)
        c.close()


def test_log_append_time_replaces_the_producers_timestamps():
    old = 1000000  # 1970: a producer clock far off
    with Broker(overrides={"log.message.timestamp.type": "LogAppendTime"}) as b:
        create(b, "broker-default")
        create(b, "create-time", {"message.timestamp.type": "CreateTime"})
        stamped = []
        for codec in ("none", "lz4"):
            while stamped and int(time.time() * 1000) <= stamped[-1][1]:
                time.sleep(0.005)  # the second request gets a later millisecond than the first
            before = int(time.time() * 1000)
            reports = produce(b, "broker-default", [(b"k", b"v%d" % i, old + i) for i in range(10)],
                              **{"compression.type": codec})
            after = int(time.time() * 1000)
            # the producer learns the append time from the response
            for err, ts_type, ts in reports:
                assert err is None and ts_type == TIMESTAMP_LOG_APPEND_TIME and before - 1000 <= ts <= after + 1000, \
                    (reports, before, after)
            stamped.append((min(ts for _, _, ts in reports), max(ts for _, _, ts in reports)))
        got = consume(b, "broker-default", 20)
        assert all(t == TIMESTAMP_LOG_APPEND_TIME and t_ms >= before - 10000 for _, _, _, t, t_ms in got), got
        batches = stored_batches(b, "broker-default")
        assert sum(n for _, _, _, n in batches) == 20 and all(lat for _, lat, _, _ in batches), batches
        # ListOffsets by time sees the append times, not the producer's
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "lookup"})
        [tp] = c.offsets_for_times([TopicPartition("broker-default", 0, old + 5)], 10)
        assert tp.offset == 0, tp
        [tp] = c.offsets_for_times([TopicPartition("broker-default", 0, stamped[0][1] + 1)], 10)
        assert stamped[1][0] > stamped[0][1] and tp.offset == 10, (stamped, tp)
        c.close()

        # a topic's own CreateTime wins over the broker's default, until AlterConfigs says otherwise
        produce(b, "create-time", [(b"k", b"v", old)])
        alter(b, "create-time", {"message.timestamp.type": "LogAppendTime"})
        [(err, ts_type, ts)] = produce(b, "create-time", [(b"k", b"v", old)])
        assert err is None and ts_type == TIMESTAMP_LOG_APPEND_TIME and ts > old, (err, ts_type, ts)
        got = consume(b, "create-time", 2)
        assert got[0][3:] == (TIMESTAMP_CREATE_TIME, old) and got[1][3] == TIMESTAMP_LOG_APPEND_TIME, got
        assert [lat for _, lat, _, _ in stored_batches(b, "create-time")] == [False, True]


def test_compression_type_recompresses_what_is_stored():
    values = [b"value-%d-" % i + b"x" * 300 for i in range(50)]
    with Broker(overrides={"compression.type": "gzip"}) as b:
        create(b, "broker-default")
        targets = {"broker-default": 1, "as-produced": None}
        create(b, "as-produced", {"compression.type": "producer"})
        for name, codec in CODECS.items():
            create(b, "to-" + name, {"compression.type": name})
            targets["to-" + name] = codec
        for topic, codec in targets.items():
            sent = []
            for producer_codec in ("none", "lz4", "zstd"):
                conf = {"compression.type": producer_codec, "enable.idempotence": True}
                reports = produce(b, topic, [(b"k%d" % i, v, None) for i, v in enumerate(values)], **conf)
                assert all(r[0] is None for r in reports), (topic, producer_codec, reports)
                sent += values
            got = consume(b, topic, len(sent))
            assert [v for _, _, v, _, _ in got] == sent and [o for o, _, _, _, _ in got] == list(range(len(sent)))
            codecs = [c for c, _, _, _ in stored_batches(b, topic)]
            if codec is None:
                assert sorted(set(codecs)) == [0, 3, 4], (topic, codecs)
            else:
                assert set(codecs) == {codec}, (topic, codecs)

        # limits apply to what is stored: decompressed, this batch is past max.message.bytes
        create(b, "small", {"compression.type": "uncompressed", "max.message.bytes": "4000"})
        [(err, _, _)] = produce(b, "small", [(b"k", b"y" * 20000, None)], **{"compression.type": "lz4"})
        assert err == KafkaError.MSG_SIZE_TOO_LARGE, err
        alter(b, "small", {"compression.type": "producer", "max.message.bytes": "4000"})
        [(err, _, _)] = produce(b, "small", [(b"k", b"y" * 20000, None)], **{"compression.type": "lz4"})
        assert err is None, err


def stored_bytes(b, topic):
    """The partition's segment files' total size."""
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(b.log_dir, "%s-0" % topic, "*.log")))


def test_compression_levels_follow_the_topic():
    """KIP-390: compression.gzip.level, compression.lz4.level and
    compression.zstd.level set how hard the broker compresses what it
    re-compresses (topic override, else the broker's, else Kafka's -1, 9 and
    3), within Kafka's ranges."""
    words = [b"w%03dx" % (i * 7919 % 1000) for i in range(1000)]
    values = [b" ".join(words[(i * 31 + j * 17) % 1000] for j in range(60)) for i in range(300)]
    # one uncompressed batch, the same bytes for every topic, so only the broker's codec and level differ
    batch = kw.record_batch([(b"k%d" % i, v) for i, v in enumerate(values)], base_ts=int(time.time() * 1000))

    def produce_batch(b, topic):
        return kw.parse_produce_v8_response(request_once(b.port, 0, 8, kw.produce_v8(topic, 0, batch)))

    with Broker(overrides={"compression.zstd.level": "19"}) as b:
        topics = {"zstd-1": {"compression.type": "zstd", "compression.zstd.level": "1"},
                  "zstd-broker": {"compression.type": "zstd"},  # the broker's 19
                  "zstd-19": {"compression.type": "zstd", "compression.zstd.level": "19"},
                  "gzip-1": {"compression.type": "gzip", "compression.gzip.level": "1"},
                  "gzip-9": {"compression.type": "gzip", "compression.gzip.level": "9"},
                  "lz4-fast": {"compression.type": "lz4"},  # Kafka's 9: lz4's fast compressor
                  "lz4-12": {"compression.type": "lz4", "compression.lz4.level": "12"}}
        sizes = {}
        for topic, config in topics.items():
            create(b, topic, config)
            res = produce_batch(b, topic)
            assert res[0][2] == 0, (topic, res)
            assert [v for _, _, v, _, _ in consume(b, topic, len(values))] == values
            assert len(stored_batches(b, topic)) == 1, topic
            sizes[topic] = stored_bytes(b, topic)
        assert sizes["zstd-19"] < sizes["zstd-1"] and sizes["zstd-broker"] == sizes["zstd-19"], sizes
        assert sizes["gzip-9"] < sizes["gzip-1"] and sizes["lz4-12"] < sizes["lz4-fast"], sizes
        # AlterConfigs changes the level of what comes next
        alter(b, "zstd-1", {"compression.type": "zstd", "compression.zstd.level": "19"})
        produce_batch(b, "zstd-1")
        assert stored_bytes(b, "zstd-1") - sizes["zstd-1"] == sizes["zstd-19"], sizes

        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for key, value, why in [("compression.gzip.level", "0", "Value must be between 1 and 9 or equal to -1"),
                                ("compression.lz4.level", "18", "Value must be no more than 17"),
                                ("compression.zstd.level", "-131073", "Value must be at least -131072")]:
            f = admin.create_topics([NewTopic("bad-level", 1, 1, config={key: value})])["bad-level"]
            try:
                f.result(30)
                raise AssertionError("%s=%s was accepted" % (key, value))
            except Exception as e:  # KafkaException(INVALID_CONFIG)
                err = e.args[0]
                assert err.code() == KafkaError.INVALID_CONFIG, e
                assert err.str() == "Invalid value %s for configuration %s: %s" % (value, key, why), err.str()
        res = ConfigResource(ConfigResource.Type.TOPIC, "lz4-fast")
        described = admin.describe_configs([res])[res].result(30)
        assert {k: described[k].value for k in ("compression.gzip.level", "compression.lz4.level",
                                                 "compression.zstd.level")} == {
            "compression.gzip.level": "-1", "compression.lz4.level": "9", "compression.zstd.level": "19"}, described


UNSUPPORTED_COMPRESSION_TYPE = 76


def test_zstd_needs_produce_v7_and_fetch_v10():
    """As in Kafka (KIP-110): a Produce before v7 carrying a zstd batch is refused
    with UNSUPPORTED_COMPRESSION_TYPE and nothing is stored; v7 takes the same bytes.
    A Fetch before v10 from a topic whose compression.type is zstd gets the same
    error; from a topic that keeps what producers send it gets the batch as stored
    (Kafka decides by the topic's setting, not by the batches)."""
    with Broker() as b:
        create(b, "as-sent")
        create(b, "zstd-topic", {"compression.type": "zstd"})
        zbatch = kw.record_batch([(b"k", b"v" * 100)], zstd=True)
        plain = kw.record_batch([(b"k", b"plain")])
        c = RawClient(b.port)
        try:
            # (Produce v3-v8 requests share v3's layout)
            c.request(0, 3, kw.produce_v3("as-sent", 0, zbatch))
            _, res = kw.parse_produce_v3_response(c.recv_frame())
            assert res == [("as-sent", 0, UNSUPPORTED_COMPRESSION_TYPE, -1)], res
            c.request(0, 6, kw.produce_v3("as-sent", 0, zbatch))
            res = kw.parse_produce_v5_response(c.recv_frame())
            assert res == [("as-sent", 0, UNSUPPORTED_COMPRESSION_TYPE, -1)], res
            # nothing was stored: the log is still empty
            c.request(1, 4, kw.fetch_v4("as-sent", [(0, 0)], max_wait=0))
            err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
            assert (err, hw, recs) == (0, 0, b""), (err, hw, recs)
            c.request(0, 7, kw.produce_v3("as-sent", 0, zbatch))
            res = kw.parse_produce_v5_response(c.recv_frame())
            assert res == [("as-sent", 0, 0, 0)], res
            c.request(1, 4, kw.fetch_v4("as-sent", [(0, 0)], max_wait=0))
            err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
            assert (err, hw) == (0, 1) and recs[21:23] == zbatch[21:23], (err, hw, recs[:30])

            # a zstd topic: an uncompressed batch is stored as zstd, which Fetch v4 may not get
            c.request(0, 3, kw.produce_v3("zstd-topic", 0, plain))
            _, res = kw.parse_produce_v3_response(c.recv_frame())
            assert res == [("zstd-topic", 0, 0, 0)], res
            assert [codec for codec, _, _, _ in stored_batches(b, "zstd-topic")] == [CODECS["zstd"]]
            c.request(1, 4, kw.fetch_v4("zstd-topic", [(0, 0)], max_wait=0))
            err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
            assert (err, hw, recs) == (UNSUPPORTED_COMPRESSION_TYPE, -1, b""), (err, hw, recs)
        finally:
            c.close()
        # librdkafka fetches with v10 or later and reads it
        assert [(o, k, v) for o, k, v, _, _ in consume(b, "zstd-topic", 1)] == [(0, b"k", b"plain")]


def with_records_section(batch, section):
    """The batch with its records section replaced and its CRC made right again."""
    after_crc = batch[21:61] + section  # attributes .. recordsCount, then the records
    return struct.pack(">qiibI", 0, 9 + len(after_crc), -1, 2, kw.crc32c(after_crc)) + after_crc


def miscounted(codec, records, count, fix_crc=True):
    """A batch of records compressed with codec whose header claims count records
    (lastOffsetDelta count - 1, recordsCount count), its CRC made right again unless
    fix_crc is false."""
    batch = kw.record_batch(records, **{codec: True})
    header = batch[21:23] + struct.pack(">i", count - 1) + batch[27:57] + struct.pack(">i", count)
    if not fix_crc:
        return batch[:21] + header + batch[61:]
    return with_records_section(batch[:21] + header, batch[61:])


def test_the_records_inside_compressed_batches_are_checked():
    """As Kafka's LogValidator does: a compressed batch whose CRC holds but whose
    records break the rules an uncompressed batch is held to is refused with
    INVALID_RECORD, one that does not decompress with UNKNOWN_SERVER_ERROR
    (Kafka's codec throws; before, CORRUPT_MESSAGE, which producers retry), an
    lz4 frame of dependent blocks too (Kafka's Lz4BlockInputStream refuses
    them; before, stored), and nothing of either is stored.  With
    freshet.produce.validate.compressed.records set to false, such batches are
    checked by header and CRC only."""
    three = [(b"k%d" % i, b"v%d" % i) for i in range(3)]
    codecs = ("gzip", "snappy", "lz4", "zstd")
    with Broker() as b:
        create(b, "checked")
        c = RawClient(b.port)

        def send(batch):
            c.request(0, 8, kw.produce_v8("checked", 0, batch))
            [(_, _, err, base, _, _, msg)] = kw.parse_produce_v8_response(c.recv_frame())
            return err, base, msg

        stored = []
        for codec in codecs:
            flag = {codec: True}
            good = [(codec.encode(), b"good")]
            assert send(kw.record_batch(good, **flag))[:2] == (0, len(stored)), codec
            stored += good
            # the third record repeats the second's offset delta
            err, base, msg = send(kw.record_batch(three, offset_deltas=[0, 1, 1], **flag))
            assert (err, base) == (INVALID_RECORD, -1), (codec, err, base)
            assert "offset delta" in msg and "checked-0" in msg, (codec, msg)
            # the header says three records (lastOffsetDelta 2, recordsCount 3), the section holds two
            err, base, msg = send(miscounted(codec, three[:2], 3, fix_crc=False))
            assert err == CORRUPT_MESSAGE, (codec, err)  # the CRC covers the count
            err, base, msg = send(miscounted(codec, three[:2], 3))
            assert (err, base) == (INVALID_RECORD, -1), (codec, err, base, msg)
            # bytes the codec cannot read
            err, base, msg = send(with_records_section(kw.record_batch(three, **flag), b"\xff" * 16))
            assert (err, base) == (UNKNOWN_SERVER_ERROR, -1), (codec, err, base, msg)
            assert "checked-0" in msg, msg
        err, base, msg = send(kw.record_batch([(b"k", b"v" * 100000)], lz4=True, lz4_linked=True))
        assert (err, base) == (UNKNOWN_SERVER_ERROR, -1) and "dependent blocks" in msg, (err, base, msg)
        # only the good batches are there, and librdkafka reads them with its CRC checks on
        assert send(kw.record_batch([(b"last", b"good")]))[:2] == (0, len(stored))
        got = consume(b, "checked", len(stored) + 1)
        assert [(k, v) for _, k, v, _, _ in got] == stored + [(b"last", b"good")], got
        c.close()

    with Broker(overrides={"freshet.produce.validate.compressed.records": "false"}) as b:
        create(b, "trusted")
        c = RawClient(b.port)
        for n, codec in enumerate(codecs):
            c.request(0, 8, kw.produce_v8("trusted", 0, kw.record_batch(three, offset_deltas=[0, 1, 1],
                                                                        **{codec: True})))
            [(_, _, err, base, _, _, _)] = kw.parse_produce_v8_response(c.recv_frame())
            assert (err, base) == (0, 6 * n), (codec, err, base)
            # the miscounted batch passes the header's own checks: only the walk refused it above
            c.request(0, 8, kw.produce_v8("trusted", 0, miscounted(codec, three[:2], 3)))
            [(_, _, err, base, _, _, _)] = kw.parse_produce_v8_response(c.recv_frame())
            assert (err, base) == (0, 6 * n + 3), (codec, err, base)
        # uncompressed batches are still walked
        c.request(0, 8, kw.produce_v8("trusted", 0, kw.record_batch(three, offset_deltas=[0, 1, 1])))
        [(_, _, err, _, _, _, _)] = kw.parse_produce_v8_response(c.recv_frame())
        assert err == INVALID_RECORD, err
        c.close()


def test_a_batch_is_given_its_records_largest_timestamp():
    """As Kafka's LogValidator does on a CreateTime topic: whatever maxTimestamp a
    client writes in a batch's header, the broker stores its records' largest
    timestamp there (the CRC made right again), compressed or not.  So
    ListOffsets by time finds records by the times they carry."""
    t = int(time.time() * 1000) - 3600 * 1000
    three = [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]
    deltas = [0, 3000, 1000]
    # (codec, base timestamp, what the header claims): too low, too high, the base, right
    cases = [({}, t, t), ({"gzip": True}, t + 10000, t + 99999), ({"lz4": True}, t + 20000, t + 20000),
             ({}, t + 30000, t + 33000)]
    with Broker() as b:
        create(b, "stamped")
        c = RawClient(b.port)
        for n, (flag, base, claim) in enumerate(cases):
            batch = kw.record_batch(three, base_ts=base, ts_deltas=deltas, max_ts=claim, **flag)
            c.request(0, 8, kw.produce_v8("stamped", 0, batch))
            [(_, _, err, off, _, _, _)] = kw.parse_produce_v8_response(c.recv_frame())
            assert (err, off) == (0, 3 * n), (n, err, off)
        stored = [(codec, lat, max_ts) for codec, lat, max_ts, _ in stored_batches(b, "stamped")]
        assert stored == [(0, False, t + 3000), (1, False, t + 13000), (3, False, t + 23000),
                          (0, False, t + 33000)], stored
        # the first record at or after a time: each batch's second record
        for n in range(len(cases)):
            c.request(2, 1, kw.list_offsets_v1("stamped", [(0, t + 10000 * n + 2000)]))
            got = kw.parse_list_offsets_v1_response(c.recv_frame())[0]
            assert got == (0, t + 10000 * n + 3000, 3 * n + 1), (n, got)
        c.close()
        got = consume(b, "stamped", 3 * len(cases))
        assert [ts for *_, ts in got] == [t + 10000 * n + d for n in range(len(cases)) for d in deltas], got


def test_timestamps_outside_a_topics_bounds_are_refused():
    hour = 3600 * 1000
    with Broker(overrides={"log.message.timestamp.difference.max.ms": str(hour)}) as b:
        create(b, "bounded")
        create(b, "loose", {"message.timestamp.before.max.ms": str(24 * hour)})
        create(b, "stamped", {"message.timestamp.type": "LogAppendTime"})
        now = int(time.time() * 1000)
        # the broker's difference bounds both sides, in every codec
        for codec in ("none", "lz4", "zstd"):
            conf = {"compression.type": codec}
            assert [r[0] for r in produce(b, "bounded", [(b"k", b"now", None)], **conf)] == [None]
            for off in (-2 * hour, 2 * hour):
                reports = produce(b, "bounded", [(b"k", b"out", now + off)], **conf)
                assert [r[0] for r in reports] == [KafkaError.INVALID_TIMESTAMP], (codec, off, reports)
        # a batch with one record out is refused whole; the record is named, with the bounds it missed
        c = RawClient(b.port)
        c.request(0, 8, kw.produce_v8("bounded", 0, kw.record_batch(
            [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")], base_ts=now, ts_deltas=[0, -2 * hour, 5])))
        [(_, _, err, base, _, errors, msg)] = kw.parse_produce_v8_response(c.recv_frame())
        assert (err, base) == (INVALID_TIMESTAMP, -1), (err, base)
        assert msg == "One or more records have been rejected due to invalid timestamp", msg
        [(index, why)] = errors
        lo, hi = [int(x) for x in why.split("[")[1].rstrip("]").split(", ")]
        assert index == 1 and why.startswith("Timestamp %d of message with offset 1 is out of range" % (now - 2 * hour)), \
            errors
        assert hi - lo == 2 * hour and now <= lo + hour <= now + 60000, (lo, hi, now)
        assert [v for _, _, v, _, _ in consume(b, "bounded", 3)] == [b"now"] * 3
        c.request(2, 1, kw.list_offsets_v1("bounded", [(0, -1)]))
        assert kw.parse_list_offsets_v1_response(c.recv_frame())[0][2] == 3  # nothing after them
        # a LogAppendTime topic stamps any time, but refuses a batch that already says LogAppendTime
        c.request(0, 8, kw.produce_v8("stamped", 0, kw.record_batch([(b"a", b"1")], base_ts=1000)))
        [(_, _, err, base, lat, _, _)] = kw.parse_produce_v8_response(c.recv_frame())
        assert err == 0 and lat >= now, (err, lat)
        c.request(0, 8, kw.produce_v8("stamped", 0, kw.record_batch([(b"a", b"1")], base_ts=now, log_append_time=True)))
        [(_, _, err, _, _, errors, msg)] = kw.parse_produce_v8_response(c.recv_frame())
        assert err == INVALID_TIMESTAMP and [e[0] for e in errors] == [0], (err, errors, msg)
        assert errors[0][1].startswith("Invalid timestamp type in message DefaultRecord(offset=0, timestamp=%d, "
                                        "key=1 bytes, value=1 bytes)" % now) and "LogAppendTime" in errors[0][1], errors
        # a CreateTime topic takes a batch that says LogAppendTime, but not one of its records without a timestamp
        c.request(0, 8, kw.produce_v8("bounded", 0, kw.record_batch([(b"a", b"1"), (b"b", b"22")], base_ts=now,
                                                                    ts_deltas=[0, -now - 1], log_append_time=True)))
        [(_, _, err, base, _, errors, msg)] = kw.parse_produce_v8_response(c.recv_frame())
        assert (err, base) == (INVALID_TIMESTAMP, -1), (err, base, errors, msg)
        assert msg == "One or more records have been rejected due to invalid timestamp", msg
        assert errors == [(1, "Invalid timestamp type in message DefaultRecord(offset=1, timestamp=-1, key=1 bytes, "
                              "value=2 bytes). Producer should not set timestamp type to LogAppendTime.")], errors
        c.request(0, 8, kw.produce_v8("bounded", 0, kw.record_batch([(b"a", b"1")], base_ts=now,
                                                                    log_append_time=True)))
        [(_, _, err, base, _, _, _)] = kw.parse_produce_v8_response(c.recv_frame())
        assert (err, base) == (0, 3), (err, base)
        c.close()

        # a topic's own bound wins over the broker's; the other side stays the broker's
        assert produce(b, "loose", [(b"k", b"old", now - 2 * hour)])[0][0] is None
        assert produce(b, "loose", [(b"k", b"ahead", now + 2 * hour)])[0][0] == KafkaError.INVALID_TIMESTAMP
        alter(b, "loose", {"message.timestamp.before.max.ms": str(24 * hour),
                           "message.timestamp.after.max.ms": str(24 * hour)})
        assert produce(b, "loose", [(b"k", b"ahead", now + 2 * hour)])[0][0] is None
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        res = ConfigResource(ConfigResource.Type.TOPIC, "loose")
        entries = admin.describe_configs([res])[res].result(30)
        assert entries["message.timestamp.after.max.ms"].value == str(24 * hour), entries
        assert entries["message.timestamp.difference.max.ms"].value == str(hour), entries


if __name__ == "__main__":
    run_tests([
        test_a_compacted_topic_refuses_records_without_a_key,
        test_min_insync_replicas_is_capped_at_the_replication_factor,
        test_log_append_time_replaces_the_producers_timestamps,
        test_compression_type_recompresses_what_is_stored,
        test_compression_levels_follow_the_topic,
        test_zstd_needs_produce_v7_and_fetch_v10,
        test_the_records_inside_compressed_batches_are_checked,
        test_a_batch_is_given_its_records_largest_timestamp,
        test_timestamps_outside_a_topics_bounds_are_refused,
    ])
