#!/usr/bin/env python3
"""Recovery points and the clean shutdown file, as Kafka keeps them.

A rolled segment is fsynced at once and the log dir's
recovery-point-offset-checkpoint then passes it; a clean stop leaves
.kafka_cleanshutdown, and the next start skips recovery and removes the file;
after a kill -9 every segment past the checkpointed recovery point is scanned
in full, so a bad batch in the middle of an older segment is found: the log
ends just before it, the later segments are deleted, and every record before
it still reads back.  A failed fsync (the LD_PRELOAD shim fsync_fault.c)
holds the recovery point where it was and makes the stop unclean.  The
producer snapshot a roll writes is fsynced by the roll's flush, and a close
fsyncs its snapshot and the active segment's indexes, as Kafka's are."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, run_tests, wait_for  # noqa: E402
from shim_broker import ShimBroker  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

MARKER = ".kafka_cleanshutdown"
CHECKPOINT = "recovery-point-offset-checkpoint"


def value(i):
    return (b"record-%06d-" % i).ljust(100, b"x")


def create_topic(bootstrap, name):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, 1, 1, config={"segment.bytes": "20000"})])[name].result(30)


def produce(bootstrap, topic, first, count):
    """count records from value(first) on, ten to a request, each request acknowledged before the next."""
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "1"})
    offsets = {}

    def on_delivery(err, msg):
        assert err is None, err
        offsets[msg.value()] = msg.offset()

    for i in range(first, first + count):
        p.produce(topic, value=value(i), on_delivery=on_delivery)
        if (i + 1) % 10 == 0:
            assert p.flush(30) == 0
    assert p.flush(30) == 0
    return offsets


def read_checkpoint(log_dir):
    path = os.path.join(log_dir, CHECKPOINT)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        lines = f.read().split("\n")
    assert lines[0] == "0", lines
    n = int(lines[1])
    entries = {}
    for line in lines[2:2 + n]:
        topic, part, off = line.split(" ")
        entries[(topic, int(part))] = int(off)
    return entries


def segment_bases(part_dir):
    return sorted(int(n[:-4]) for n in os.listdir(part_dir) if n.endswith(".log"))


def batches(path):
    """(position, base offset, records) of each batch in a segment file."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 61 <= len(data):
        base, length = struct.unpack(">qi", data[pos:pos + 12])
        records = struct.unpack(">i", data[pos + 57:pos + 61])[0]
        out.append((pos, base, records))
        pos += 12 + length
    return out


def damage_second_batch(path):
    """Flips a byte of the records of a segment file's second batch, under its
    CRC -> (that batch's base offset, its record count)."""
    pos, base, records = batches(path)[1]
    with open(path, "r+b") as f:
        f.seek(pos + 61 + 2)
        byte = f.read(1)
        f.seek(pos + 61 + 2)
        f.write(bytes([byte[0] ^ 0x20]))
    return base, records


def read_from(bootstrap, topic, start):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, 0), 10)
        c.assign([TopicPartition(topic, 0, start)])
        got = {}
        deadline = time.time() + 60
        while len(got) < high - start and time.time() < deadline:
            for m in c.consume(1000, 1.0):
                assert not m.error(), m.error()
                got[m.offset()] = m.value()
        return high, got
    finally:
        c.close()


def test_rolled_segments_are_flushed_and_checkpointed():
    # Kafka's default flush policy never fsyncs on its own: only the roll's flush moves the
    # recovery point, and a pass (every second here) writes it to the checkpoint.
    with Broker({"log.retention.check.interval.ms": "1000"}) as b:
        create_topic(b.bootstrap, "rolled")
        produce(b.bootstrap, "rolled", 0, 600)
        part_dir = os.path.join(b.log_dir, "rolled-0")
        bases = segment_bases(part_dir)
        assert len(bases) >= 3, bases
        wait_for(lambda: read_checkpoint(b.log_dir).get(("rolled", 0), -1) >= bases[-1],
                 "the recovery point past the last rolled segment (%d)" % bases[-1],
                 timeout=30)
        assert read_checkpoint(b.log_dir)[("rolled", 0)] <= 600
        assert not os.path.exists(os.path.join(b.log_dir, MARKER))


def test_producer_snapshots_and_the_active_indexes_are_fsynced():
    # A snapshot whose rename reached the disk and whose bytes did not is found corrupt at the next
    # start and replayed past: slower, not wrong.  Kafka still fsyncs it (UnifiedLog.roll's
    # flush-log task, ProducerStateManager.takeSnapshot at close), and so does Freshet; and its
    # shutdown flushes each log, the active segment's indexes included, before the close.
    with ShimBroker({}) as b:
        create_topic(b.bootstrap, "snap")
        produce(b.bootstrap, "snap", 0, 600)
        part_dir = os.path.realpath(os.path.join(b.log_dir, "snap-0"))
        rolled = segment_bases(part_dir)[1:]
        assert len(rolled) >= 2, rolled
        # a snapshot at every roll; the flush that roll asks for syncs the newest one (rolls that
        # come faster than flushes leave the older ones, which the newest makes redundant)
        path = os.path.join(part_dir, "%020d.snapshot" % rolled[-1])
        wait_for(lambda: path in b.file_syncs(), "an fsync of " + path, timeout=30)
        active = os.path.join(part_dir, "%020d" % segment_bases(part_dir)[-1])
        assert active + ".index" not in b.file_syncs()  # an active segment's indexes wait for its roll...
        b.stop()
        # ...or for the close, which a clean stop's next start trusts them from (no scan)
        closing = os.path.join(part_dir, "%020d.snapshot" % 600)
        syncs = b.file_syncs()
        assert os.path.exists(closing) and closing + ".tmp" in syncs, (closing, syncs[-5:])
        assert active + ".index" in syncs and active + ".timeindex" in syncs, (active, syncs[-5:])
        assert os.path.exists(os.path.join(b.log_dir, MARKER))


def test_a_crash_rescans_from_the_recovery_point():
    # No pass writes a checkpoint while the test runs (the first would come after 30 s), so after
    # the restart the checkpoint keeps the clean stop's recovery points: what a crash before the
    # next checkpoint leaves on disk.
    b = Broker({"log.retention.check.interval.ms": "600000", "log.cleaner.enable": "false"})
    try:
        b.start()
        create_topic(b.bootstrap, "crash")
        assert produce(b.bootstrap, "crash", 0, 1000)[value(999)] == 999
        b.stop()
        marker = os.path.join(b.log_dir, MARKER)
        assert os.path.exists(marker), os.listdir(b.log_dir)
        assert read_checkpoint(b.log_dir)[("crash", 0)] == 1000

        b.start()
        assert not os.path.exists(marker), "the clean shutdown file outlived the start"
        assert "Skipping recovery of the logs" in b.log(), b.log()[-3000:]
        assert produce(b.bootstrap, "crash", 1000, 1000)[value(1999)] == 1999
        b.kill()
        assert not os.path.exists(marker)

        part_dir = os.path.join(b.log_dir, "crash-0")
        bases = segment_bases(part_dir)
        unflushed = [x for x in bases if x >= 1000]
        assert len(unflushed) >= 4, bases
        victim = unflushed[1]  # an older segment, with later ones, all past the recovery point
        path = os.path.join(part_dir, "%020d.log" % victim)
        bad_offset, records = damage_second_batch(path)
        assert records >= 1 and bad_offset > victim

        b.start()
        log = b.log()
        assert "Recovering the logs in" in log, log[-3000:]
        assert "unflushed older segment(s) from the recovery point 1000" in log, log[-3000:]
        assert "corrupt or torn batch" in log, log[-3000:]
        high, got = read_from(b.bootstrap, "crash", 0)
        assert high == bad_offset, (high, bad_offset)
        assert sorted(got) == list(range(bad_offset)), "offsets read: %d of %d" % (len(got), bad_offset)
        assert all(got[i] == value(i) for i in range(bad_offset)), "a record before the damage changed"
        later = [x for x in segment_bases(part_dir) if x > victim]
        assert later == [bad_offset], "segments after the damage remain: %s (want only a new one at %d)" % (
            later, bad_offset)
        assert produce(b.bootstrap, "crash", 5000, 1)[value(5000)] == bad_offset
        b.stop()
    finally:
        b.cleanup()


def test_what_a_crash_left_in_the_page_cache_is_fsynced_at_start():
    # A kill -9 keeps the page cache: records no flush covered are found by recovery, and are
    # fsynced before the broker serves them (an idempotent retry of one is then answered as a
    # duplicate of records on disk).  The recovery point moves to the log end with no new append.
    b = Broker({"log.retention.check.interval.ms": "500", "log.cleaner.enable": "false"})
    try:
        b.start()
        create_topic(b.bootstrap, "cached")
        assert produce(b.bootstrap, "cached", 0, 50)[value(49)] == 49  # one segment: no roll, no fsync
        time.sleep(1.2)
        assert read_checkpoint(b.log_dir).get(("cached", 0), 0) == 0, read_checkpoint(b.log_dir)
        b.kill()
        b.start()
        wait_for(lambda: read_checkpoint(b.log_dir).get(("cached", 0)) == 50, "the recovery point at the log end",
                 timeout=15)
        high, got = read_from(b.bootstrap, "cached", 0)
        assert high == 50 and all(got[i] == value(i) for i in range(50))
        b.stop()
    finally:
        b.cleanup()


def test_a_cut_keeps_the_idempotent_producers():
    # Recovery cuts the log at a bad batch and starts a new segment after it.  That roll wrote a
    # producer snapshot before any producer was loaded, and the empty snapshot was then taken as
    # the newest: a retry of a batch still on disk was stored a second time.  Now the producers are
    # replayed from an older snapshot, and the retry is a duplicate.
    b = Broker({"log.retention.check.interval.ms": "600000", "log.cleaner.enable": "false"})
    try:
        b.start()
        create_topic(b.bootstrap, "idem")
        c = RawClient(b.port)
        batch = kw.idempotent_batches(c, "idem", value, 5000, acks=1)

        def send(seq):
            c.request(0, 3, batch(seq))
            return kw.parse_produce_v3_response(c.recv_frame())[1][0][2:]
        assert [send(seq) for seq in range(400)] == [(0, seq) for seq in range(400)]
        c.close()
        b.kill()
        part_dir = os.path.join(b.log_dir, "idem-0")
        bases = segment_bases(part_dir)
        assert len(bases) >= 4, bases
        path = os.path.join(part_dir, "%020d.log" % bases[2])
        bad_offset, _ = damage_second_batch(path)
        b.start()
        assert "corrupt or torn batch" in b.log(), b.log()[-3000:]
        c = RawClient(b.port)
        assert send(bad_offset - 1) == (0, bad_offset - 1)  # on disk still: a duplicate, not stored again
        c.close()
        high, got = read_from(b.bootstrap, "idem", 0)
        assert high == bad_offset, (high, bad_offset)
        b.stop()
    finally:
        b.cleanup()


def test_a_failed_fsync_holds_the_recovery_point_and_the_clean_shutdown_file():
    # The kernel may drop the pages an fsync failed to write, and a later fsync that succeeds says
    # nothing of them: from the failure on, the recovery point stays, and the stop is not clean.
    def produce_one(c):
        c.request(0, 3, kw.produce_v3("held", 0, kw.record_batch([(b"k", b"v")]), acks=1, timeout=5000))
        return kw.parse_produce_v3_response(c.recv_frame())[1][0][2]

    with ShimBroker({"log.flush.interval.messages": "1", "log.retention.check.interval.ms": "500"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("held", 1))
        c.recv_frame()
        assert [produce_one(c) for _ in range(3)] == [0, 0, 0]
        wait_for(lambda: read_checkpoint(b.log_dir).get(("held", 0)) == 3, "the recovery point at 3")
        open(b.flag, "w").close()
        assert produce_one(c) == 56  # KAFKA_STORAGE_ERROR: its fsync failed
        os.unlink(b.flag)
        assert produce_one(c) == 0  # the next fsync succeeds, and this record is acknowledged
        time.sleep(1.5)  # three pass periods: each writes the checkpoint when it changed
        assert read_checkpoint(b.log_dir)[("held", 0)] == 3, read_checkpoint(b.log_dir)
        c.close()
        b.stop()
        assert not os.path.exists(os.path.join(b.log_dir, MARKER)), "a clean shutdown file after a failed fsync"
        assert read_checkpoint(b.log_dir)[("held", 0)] == 3
        b.start()
        assert "from their recovery points: the broker did not stop cleanly" in b.log(), b.log()[-3000:]


if __name__ == "__main__":
    run_tests([test_rolled_segments_are_flushed_and_checkpointed, test_producer_snapshots_and_the_active_indexes_are_fsynced,
               test_a_crash_rescans_from_the_recovery_point,
               test_what_a_crash_left_in_the_page_cache_is_fsynced_at_start, test_a_cut_keeps_the_idempotent_producers,
               test_a_failed_fsync_holds_the_recovery_point_and_the_clean_shutdown_file])
