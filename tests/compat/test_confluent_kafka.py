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


def produce(bootstrap, topic, codec, n, base_ts, src=CLIENT):
    """Produces records 0..n-1; returns {i: (partition, offset)} from the delivery reports."""
    p = Producer({
        "bootstrap.servers": bootstrap,
        "compression.codec": codec,
        "linger.ms": 50,
        "batch.num.messages": 10000,
        "batch.size": 1000000,
        "queue.buffering.max.messages": 2 * n + 1000,
        "queue.buffering.max.kbytes": 1048576,
        "acks": "all",
        "enable.idempotence": False,
    })
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
        with cc.timed("confluent produce %d %s" % (n, codec)):
            delivered = produce(b.bootstrap, topic, codec, n, base_ts)
        with cc.timed("confluent consume %d %s" % (n, codec)):
            got = consume(b.bootstrap, topic, n)
        cc.verify(got, n, producer=CLIENT, codec=codec, base_ts=base_ts, delivered=delivered)


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


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


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
        log = logging.getLogger("freshet.compat.rdkafka")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        log.addHandler(cap)
        got = consume(b.bootstrap, topic, n, extra_conf={"debug": "protocol,cgrp", "logger": log})
        time.sleep(0)
        cc.verify(got, n, producer=CLIENT, codec="none", base_ts=base_ts, delivered=delivered)
        sent = [ln for ln in cap.lines if "Sent " in ln and "Request" in ln]
        assert any("Sent FetchRequest" in ln for ln in sent), "protocol debug log not captured:\n" + "\n".join(cap.lines[:50])
        group = [ln for ln in sent if any("Sent %sRequest" % api in ln for api in GROUP_APIS)]
        assert not group, "consumer sent group requests:\n" + "\n".join(group[:10])


if __name__ == "__main__":
    cc.run_tests([test_codec_none, test_codec_gzip, test_codec_snappy, test_codec_lz4, test_codec_zstd,
                  test_no_group_requests_with_assign])
