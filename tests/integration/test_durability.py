#!/usr/bin/env python3
"""kill -9 the broker while a librdkafka producer runs (acks=1 and acks=all);
after a restart every record the producer saw acknowledged is readable at its
acknowledged offset, with its value."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, run_tests  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS = 3


def create_topic(bootstrap, name):
    admin = AdminClient({"bootstrap.servers": bootstrap})  # must outlive the future
    admin.create_topics([NewTopic(name, PARTITIONS, 1)])[name].result(30)


def read_all(bootstrap, topic, ends):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    # Records in flight at the kill may be in the log without an ack: read each
    # partition up to its acknowledged end, not up to a total count.
    got = {}
    reached = {p: 0 for p in ends}
    deadline = time.time() + 120
    while any(reached[p] < ends[p] for p in ends) and time.time() < deadline:
        for m in c.consume(1000, 1.0):
            assert not m.error(), m.error()
            got[(m.partition(), m.offset())] = m.value()
            reached[m.partition()] = max(reached.get(m.partition(), 0), m.offset() + 1)
    c.close()
    return got


def kill_during_produce(acks):
    b = Broker()
    try:
        b.start()
        topic = "dur-%s" % acks.replace("-", "m")
        create_topic(b.bootstrap, topic)
        acked = {}
        lock = threading.Lock()

        def on_delivery(err, msg):
            if err is None:
                with lock:
                    acked[(msg.partition(), msg.offset())] = msg.value()

        p = Producer({"bootstrap.servers": b.bootstrap, "acks": acks, "linger.ms": 2,
                      "message.timeout.ms": 5000, "retries": 0, "queue.buffering.max.messages": 200000})
        killed = False
        i = 0
        start = time.time()
        while time.time() - start < 60:
            try:
                p.produce(topic, value=b"value-%08d" % i, key=b"k%d" % (i % 97), on_delivery=on_delivery)
                i += 1
            except BufferError:
                p.poll(0.05)
            p.poll(0)
            if not killed and len(acked) >= 30000:
                b.kill()
                killed = True
                kill_time = time.time()
            if killed and time.time() - kill_time > 1:
                break
        p.flush(15)
        assert killed, "producer never reached 30000 acknowledgements (%d)" % len(acked)
        assert len(acked) >= 30000
        b.start()
        offsets_by_partition = {}
        for (part, off) in acked:
            offsets_by_partition[part] = max(offsets_by_partition.get(part, -1), off + 1)
        got = read_all(b.bootstrap, topic, offsets_by_partition)
        missing = sorted(k for k in acked if got.get(k) != acked[k])
        if missing:
            ends = {part: max(o for (pp, o) in got if pp == part) + 1 if any(pp == part for (pp, _) in got) else 0
                    for part in range(PARTITIONS)}
            raise AssertionError("%d acknowledged records lost or changed, e.g. %s; acked ends %s, readable ends %s\n%s"
                                 % (len(missing), missing[:5], offsets_by_partition, ends, b.log()[-4000:]))
        print("acks=%s: %d acknowledged, all readable after kill -9" % (acks, len(acked)))
    finally:
        b.stop(check=False) if b.proc and b.proc.poll() is None else None
        b.cleanup()


def test_kill9_acks_1():
    kill_during_produce("1")


def test_kill9_acks_all():
    kill_during_produce("all")


if __name__ == "__main__":
    run_tests([test_kill9_acks_1, test_kill9_acks_all])
