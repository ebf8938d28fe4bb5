#!/usr/bin/env python3
"""Compatibility with kafka-python (Debian's python3-kafka 2.0.2, pure Python
protocol code): per codec, create a 3-partition topic with KafkaAdminClient,
produce 100,000 keyed records with headers and explicit timestamps, consume
them all back from the beginning with a manually assigned consumer
(group_id=None: the broker has no consumer-group APIs yet), and check every
record, offset, partition and timestamp.

kafka-python picks its protocol versions from the broker's ApiVersions answer
(api_version auto-detection), so this also checks that the answer makes it
choose record-batch (magic v2) produce and fetch versions: headers and zstd
need them.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compat_common as cc  # noqa: E402

from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

CLIENT = "kafka-python"


def broker():
    return cc.Broker(overrides={"auto.create.topics.enable": "false"})


def create_topic(bootstrap, topic, partitions=cc.PARTITIONS):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="freshet-compat-admin", request_timeout_ms=30000)
    try:
        resp = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                   timeout_ms=30000)
        errs = [e for e in getattr(resp, "topic_errors", []) if e[1] != 0]
        assert not errs, "CreateTopics errors: %r" % (errs,)
    finally:
        admin.close()


def produce(bootstrap, topic, codec, n, base_ts, src=CLIENT):
    """Produces records 0..n-1; returns {i: (partition, offset)} from the futures' RecordMetadata."""
    p = KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="freshet-compat-producer",
        compression_type=None if codec == "none" else codec,
        acks="all",
        linger_ms=50,
        batch_size=512 * 1024,
        max_request_size=8 * 1024 * 1024,
        buffer_memory=256 * 1024 * 1024,
        max_block_ms=120000,
        request_timeout_ms=60000,
    )
    delivered = {}
    errors = []
    try:
        assert p.config["api_version"] >= (2, 1, 0), "kafka-python detected api_version %r" % (p.config["api_version"],)

        def ok(i):
            return lambda md: delivered.__setitem__(i, (md.partition, md.offset))

        def bad(i):
            return lambda exc: errors.append((i, exc))

        for i in range(n):
            fut = p.send(topic, key=cc.key_of(i), value=cc.value_of(i, codec), headers=cc.headers_of(i, src),
                         timestamp_ms=base_ts + i)
            fut.add_callback(ok(i))
            fut.add_errback(bad(i))
        p.flush(timeout=180)
    finally:
        p.close(timeout=30)
    assert not errors, "%d delivery errors, first: %r" % (len(errors), errors[:3])
    assert len(delivered) == n, (len(delivered), n)
    return delivered


def consume(bootstrap, topic, n, partitions=cc.PARTITIONS, timeout=180):
    """Reads every partition of topic from the beginning up to the end offsets
    taken first; returns [(partition, offset, key, value, headers, timestamp, ts_type)]."""
    c = KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="freshet-compat-consumer",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="none",
        fetch_max_wait_ms=100,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
        max_poll_records=20000,
    )
    out = []
    try:
        tps = [TopicPartition(topic, part) for part in range(partitions)]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        end = c.end_offsets(tps)
        assert sum(end.values()) == n, "end offsets %r don't add up to %d" % (end, n)
        deadline = time.time() + timeout
        while any(c.position(tp) < end[tp] for tp in tps):
            assert time.time() < deadline, "consume timed out: %d records, positions %r end %r" % (
                len(out), {tp.partition: c.position(tp) for tp in tps}, end)
            for tp, recs in c.poll(timeout_ms=1000, max_records=20000).items():
                for r in recs:
                    kind = {0: "create", 1: "append"}.get(r.timestamp_type)
                    out.append((r.partition, r.offset, r.key, r.value, list(r.headers or []), r.timestamp, kind))
    finally:
        c.close(autocommit=False)
    return out


def roundtrip(codec):
    n = cc.N_RECORDS
    with broker() as b:
        topic = cc.topic_name(CLIENT, codec)
        create_topic(b.bootstrap, topic)
        base_ts = cc.base_timestamp()
        with cc.timed("kafka-python produce %d %s" % (n, codec)):
            delivered = produce(b.bootstrap, topic, codec, n, base_ts)
        with cc.timed("kafka-python consume %d %s" % (n, codec)):
            got = consume(b.bootstrap, topic, n)
        cc.verify(got, n, producer=CLIENT, codec=codec, base_ts=base_ts, delivered=delivered)
        cc.check_stored_codec(b.log_dir, topic, codec, n)


def test_codec_none():
    roundtrip("none")


def test_codec_gzip():
    roundtrip("gzip")


def test_codec_snappy():
    roundtrip("snappy")


def test_codec_lz4():
    roundtrip("lz4")


def test_codec_zstd():
    roundtrip("zstd")


def test_seek_inside_compressed_batches():
    """Seeking to an offset inside a compressed batch: the broker returns the
    whole batch and kafka-python must hand out that offset first."""
    n = 30000
    with broker() as b:
        topic = "compat-kafka-python-seek"
        create_topic(b.bootstrap, topic)
        delivered = produce(b.bootstrap, topic, "gzip", n, cc.base_timestamp())
        where = {v: cc.key_of(i) for i, v in delivered.items()}
        c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=None, enable_auto_commit=False,
                          auto_offset_reset="none", fetch_max_wait_ms=100)
        try:
            for part in range(cc.PARTITIONS):
                batches = [bt for bt in cc.stored_batches(b.log_dir, topic, part) if bt[1] >= 2 and bt[3] & 7 == 1]
                assert batches, "no compressed multi-record batches in p%d" % part
                for (base, last_delta, _m, _a, _c) in batches[:3]:
                    off = base + last_delta // 2 + 1
                    tp = TopicPartition(topic, part)
                    c.assign([tp])
                    c.seek(tp, off)
                    got = []
                    deadline = time.time() + 30
                    while len(got) < 5:
                        assert time.time() < deadline, "timed out reading p%d from %d" % (part, off)
                        for recs in c.poll(timeout_ms=1000, max_records=5 - len(got)).values():
                            got += [(r.offset, r.key) for r in recs]
                    assert got == [(o, where[(part, o)]) for o in range(off, off + 5)], (part, off, got)
        finally:
            c.close(autocommit=False)


if __name__ == "__main__":
    cc.run_tests([test_codec_none, test_codec_gzip, test_codec_snappy, test_codec_lz4, test_codec_zstd,
                  test_seek_inside_compressed_batches])
