#!/usr/bin/env python3
"""Compatibility with confluent-kafka-python (Debian's python3-confluent-kafka,
on librdkafka): per codec, create a 3-partition topic with the AdminClient,
produce 100,000 keyed records with headers and explicit timestamps, consume
them all back from the beginning with a manually assigned consumer, and check
every record, offset, partition and timestamp.

The consumer uses assign() only: the broker has no consumer-group APIs yet.
librdkafka still wants a group.id for a consumer; with assign() and no commits
it must not send any group request, which test_no_group_requests_with_assign
checks from librdkafka's own protocol debug log.

Each codec round trip also checks that the codec really was used: librdkafka
decides from the broker's ApiVersions answer whether to compress at all (see
compat_common.check_librdkafka_compressed), and the stored batches must carry
the codec (the broker keeps batches as produced).
"""
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compat_common as cc  # noqa: E402

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError, Producer,  # noqa: E402
                             TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

CLIENT = "confluent"
GROUP_APIS = ("FindCoordinator", "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup",
              "OffsetCommit", "OffsetFetch", "DescribeGroups", "ListGroups")


def broker():
    return cc.Broker(overrides={"auto.create.topics.enable": "false"})


def create_topic(bootstrap, topic, partitions=cc.PARTITIONS):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                  operation_timeout=30, request_timeout=30)
    futures[topic].result(timeout=60)
    md = admin.list_topics(topic=topic, timeout=30)
    t = md.topics[topic]
    assert t.error is None, t.error
    assert sorted(t.partitions) == list(range(partitions)), t.partitions


def produce(bootstrap, topic, codec, n, base_ts, src=CLIENT, log_lines=None):
    """Produces records 0..n-1; returns {i: (partition, offset)} from the delivery reports.
    librdkafka's log lines go to log_lines when given."""
    extra = {}
    if log_lines is not None:
        # debug=msg: librdkafka's "not compressing" line is a NOTICE only once
        # a day per broker (and never on a host up for less than a day)
        extra["logger"] = _capture_logger("freshet.compat.producer.%s" % topic, log_lines)
        extra["debug"] = "msg"
    p = Producer(dict(extra, **{
        "bootstrap.servers": bootstrap,
        "compression.codec": codec,
        "linger.ms": 50,
        "batch.num.messages": 10000,
        "batch.size": 1000000,
        "queue.buffering.max.messages": 2 * n + 1000,
        "queue.buffering.max.kbytes": 1048576,
        "acks": "all",
        "enable.idempotence": False,
    }))
    delivered = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append((msg.key(), err))
        else:
            delivered[cc.index_of_key(msg.key())] = (msg.partition(), msg.offset())

    for i in range(n):
        args = dict(key=cc.key_of(i), value=cc.value_of(i, codec), headers=cc.headers_of(i, src),
                    timestamp=base_ts + i, on_delivery=on_delivery)
        while True:
            try:
                p.produce(topic, **args)
                break
            except BufferError:
                p.poll(0.05)
        if i % 5000 == 0:
            p.poll(0)
    left = p.flush(120)
    assert left == 0, "%d records still undelivered after flush" % left
    assert not errors, "%d delivery errors, first: %r" % (len(errors), errors[:3])
    assert len(delivered) == n, (len(delivered), n)
    return delivered


def consume(bootstrap, topic, n, partitions=cc.PARTITIONS, timeout=180, extra_conf=None):
    """Reads every partition of topic from the beginning to its end; returns
    [(partition, offset, key, value, headers, timestamp, ts_type)]."""
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": "freshet-compat-unused",  # required by the library; no group API is used
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "error",
        "fetch.wait.max.ms": 100,
    }
    conf.update(extra_conf or {})
    c = Consumer(conf)
    out = []
    try:
        c.assign([TopicPartition(topic, part, OFFSET_BEGINNING) for part in range(partitions)])
        at_end = set()
        deadline = time.time() + timeout
        while len(at_end) < partitions:
            assert time.time() < deadline, "consume timed out: %d records, at end %r" % (len(out), sorted(at_end))
            for m in c.consume(num_messages=10000, timeout=1.0):
                err = m.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        at_end.add(m.partition())
                        continue
                    raise AssertionError("consumer error on %s [%s]: %s" % (m.topic(), m.partition(), err))
                at_end.discard(m.partition())
                ts_type, ts = m.timestamp()
                kind = {1: "create", 2: "append"}.get(ts_type)
                out.append((m.partition(), m.offset(), m.key(), m.value(), m.headers() or [], ts, kind))
    finally:
        c.close()
    return out


def roundtrip(codec):
    n = cc.N_RECORDS
    with broker() as b:
        topic = cc.topic_name(CLIENT, codec)
        create_topic(b.bootstrap, topic)
        base_ts = cc.base_timestamp()
        log_lines = []
        with cc.timed("confluent produce %d %s" % (n, codec)):
            delivered = produce(b.bootstrap, topic, codec, n, base_ts, log_lines=log_lines)
        with cc.timed("confluent consume %d %s" % (n, codec)):
            got = consume(b.bootstrap, topic, n)
        cc.verify(got, n, producer=CLIENT, codec=codec, base_ts=base_ts, delivered=delivered)
        stored = cc.check_librdkafka_compressed(b.port, log_lines, codec)
        cc.check_stored_codec(b.log_dir, topic, stored, n)


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


def middle_offsets(log_dir, topic, partition, how_many=3):
    """Offsets strictly inside stored compressed multi-record batches of a partition."""
    out = []
    for (base, last_delta, _magic, attrs, _count) in cc.stored_batches(log_dir, topic, partition):
        if last_delta >= 2 and attrs & 7:
            out.append(base + last_delta // 2 + 1)
        if len(out) == how_many:
            break
    return out


def consume_from(bootstrap, topic, partition, offset, count, extra_conf=None):
    """Up to count records of one partition from offset on."""
    conf = {"bootstrap.servers": bootstrap, "group.id": "freshet-compat-unused", "enable.auto.commit": False,
            "enable.auto.offset.store": False, "auto.offset.reset": "error"}
    conf.update(extra_conf or {})
    c = Consumer(conf)
    out = []
    try:
        c.assign([TopicPartition(topic, partition, offset)])
        deadline = time.time() + 60
        while len(out) < count:
            assert time.time() < deadline, "timed out reading p%d from %d: %d records" % (partition, offset, len(out))
            for m in c.consume(num_messages=count - len(out), timeout=1.0):
                assert m.error() is None, m.error()
                out.append((m.offset(), m.key()))
    finally:
        c.close()
    return out


def test_fetch_inside_compressed_batches_and_small_fetch_sizes():
    """Starting at an offset in the middle of a compressed batch returns that
    record first (the broker sends the whole batch, the client skips the
    head); and a fetch size smaller than one batch still makes progress
    (KIP-74: the first batch is returned whole even when it is bigger)."""
    n = 30000
    with broker() as b:
        topic = "compat-confluent-midbatch"
        create_topic(b.bootstrap, topic)
        base_ts = cc.base_timestamp()
        delivered = produce(b.bootstrap, topic, "zstd", n, base_ts)  # the codec librdkafka 2.0.2 compresses with here
        where = {v: cc.key_of(i) for i, v in delivered.items()}
        small = {"fetch.max.bytes": 1024, "max.partition.fetch.bytes": 1024, "message.max.bytes": 1000}
        for part in range(cc.PARTITIONS):
            mids = middle_offsets(b.log_dir, topic, part)
            assert mids, "no multi-record batches stored in p%d: %r" % (part, cc.stored_batches(b.log_dir, topic, part)[:5])
            for off in mids:
                got = consume_from(b.bootstrap, topic, part, off, 5)
                assert got == [(o, where[(part, o)]) for o in range(off, off + 5)], (part, off, got)
            got = consume_from(b.bootstrap, topic, part, 0, 2000, extra_conf=small)
            assert got == [(o, where[(part, o)]) for o in range(0, 2000)], (part, got[:5])


def test_offsets_for_times():
    """ListOffsets by timestamp: the earliest offset whose timestamp is >= the
    target, -1 (end) past the last one."""
    n = 20000
    with broker() as b:
        topic = "compat-confluent-times"
        create_topic(b.bootstrap, topic)
        base_ts = cc.base_timestamp()
        delivered = produce(b.bootstrap, topic, "gzip", n, base_ts)
        by_part = {}
        for i, (part, off) in delivered.items():
            by_part.setdefault(part, []).append((off, i))
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "freshet-compat-unused", "enable.auto.commit": False})
        try:
            for part, recs in sorted(by_part.items()):
                recs.sort()
                idx = [i for _, i in recs]
                cases = [(base_ts - 1000, 0), (base_ts + idx[0], 0), (base_ts + idx[-1] + 1, -1)]
                for k in (len(idx) // 3, len(idx) // 2, len(idx) - 1):
                    cases.append((base_ts + idx[k], recs[k][0]))
                    if idx[k] - idx[k - 1] > 1:  # a timestamp between two records -> the later one
                        cases.append((base_ts + idx[k] - 1, recs[k][0]))
                for ts, want in cases:  # one per request: librdkafka merges duplicate partitions
                    (tp,) = c.offsets_for_times([TopicPartition(topic, part, ts)], timeout=30)
                    assert tp.error is None, tp.error
                    assert tp.offset == want, "p%d ts=%d (base+%d): got offset %d want %d" % (part, ts, ts - base_ts, tp.offset, want)
        finally:
            c.close()


def test_restart_then_consume():
    """Everything acknowledged is there, unchanged, after a broker restart."""
    n = cc.N_RECORDS
    with broker() as b:
        topic = "compat-confluent-restart"
        create_topic(b.bootstrap, topic)
        base_ts = cc.base_timestamp()
        delivered = produce(b.bootstrap, topic, "zstd", n, base_ts)
        b.restart()
        got = consume(b.bootstrap, topic, n)
        cc.verify(got, n, producer=CLIENT, codec="zstd", what="confluent/zstd after restart", base_ts=base_ts, delivered=delivered)


def test_admin_client_topic_lifecycle():
    """AdminClient: create with configs, describe them, refuse a duplicate,
    add partitions (and use the new one), delete."""
    from confluent_kafka.admin import ConfigResource, NewPartitions
    with broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        topic = "compat-confluent-admin"
        fs = admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1,
                                           config={"cleanup.policy": "compact", "retention.ms": "12345"})],
                                 request_timeout=30)
        fs[topic].result(timeout=60)
        dup = admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)], request_timeout=30)
        try:
            dup[topic].result(timeout=60)
            raise AssertionError("creating an existing topic succeeded")
        except Exception as e:  # KafkaException(TOPIC_ALREADY_EXISTS)
            err = e.args[0] if e.args else None
            assert getattr(err, "code", lambda: None)() == KafkaError.TOPIC_ALREADY_EXISTS, e
        res = ConfigResource(ConfigResource.Type.TOPIC, topic)
        configs = admin.describe_configs([res], request_timeout=30)[res].result(timeout=60)
        assert configs["cleanup.policy"].value == "compact", configs["cleanup.policy"]
        assert configs["retention.ms"].value == "12345", configs["retention.ms"]
        assert "segment.bytes" in configs, sorted(configs)
        admin.create_partitions([NewPartitions(topic, 5)], request_timeout=30)[topic].result(timeout=60)
        md = admin.list_topics(topic=topic, timeout=30)
        assert sorted(md.topics[topic].partitions) == [0, 1, 2, 3, 4], md.topics[topic].partitions
        p = Producer({"bootstrap.servers": b.bootstrap, "topic.metadata.refresh.interval.ms": 1000})
        got = []
        p.produce(topic, key=b"k", value=b"on-partition-4", partition=4,
                  on_delivery=lambda err, m: got.append((err, m.partition(), m.offset())))
        assert p.flush(30) == 0 and got == [(None, 4, 0)], got
        recs = consume_from(b.bootstrap, topic, 4, 0, 1)
        assert recs == [(0, b"k")], recs
        admin.delete_topics([topic], request_timeout=30)[topic].result(timeout=60)
        deadline = time.time() + 30
        while topic in admin.list_topics(timeout=30).topics:
            assert time.time() < deadline, "deleted topic still listed"
            time.sleep(0.2)
        admin = p = None  # closed before the broker stops: no "Disconnected" noise


class _Capture(logging.Handler):
    def __init__(self, lines=None):
        super().__init__(logging.DEBUG)
        self.lines = [] if lines is None else lines

    def emit(self, record):
        self.lines.append(record.getMessage())


def _capture_logger(name, lines):
    log = logging.getLogger(name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.handlers[:] = [_Capture(lines)]
    return log


def test_no_group_requests_with_assign():
    """A group.id-carrying consumer that only assign()s must not talk to a
    group coordinator (the broker doesn't have one yet); librdkafka's protocol
    debug log lists every request it sends."""
    n = 1000
    with broker() as b:
        topic = "compat-confluent-nogroup"
        create_topic(b.bootstrap, topic)
        base_ts = cc.base_timestamp()
        delivered = produce(b.bootstrap, topic, "none", n, base_ts)
        cap = _Capture()
        log = _capture_logger("freshet.compat.rdkafka", cap.lines)
        got = consume(b.bootstrap, topic, n, extra_conf={"debug": "protocol,cgrp", "logger": log})
        cc.verify(got, n, producer=CLIENT, codec="none", base_ts=base_ts, delivered=delivered)
        sent = [ln for ln in cap.lines if "Sent " in ln and "Request" in ln]
        assert any("Sent FetchRequest" in ln for ln in sent), "protocol debug log not captured:\n" + "\n".join(cap.lines[:50])
        # Once the broker has a group coordinator, librdkafka may look it up
        # for the group.id (FindCoordinator); anything beyond that is a use of
        # the group the test didn't ask for.
        allowed = ("FindCoordinator",) if cc.FIND_COORDINATOR in cc.api_versions(b.port) else ()
        group = [ln for ln in sent if any("Sent %sRequest" % api in ln for api in GROUP_APIS if api not in allowed)]
        assert not group, "consumer sent group requests:\n" + "\n".join(group[:10])


if __name__ == "__main__":
    cc.run_tests([test_codec_none, test_codec_gzip, test_codec_snappy, test_codec_lz4, test_codec_zstd,
                  test_no_group_requests_with_assign, test_fetch_inside_compressed_batches_and_small_fetch_sizes,
                  test_offsets_for_times, test_restart_then_consume, test_admin_client_topic_lifecycle])
