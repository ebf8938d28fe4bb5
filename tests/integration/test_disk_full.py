#!/usr/bin/env python3
"""A full disk: log.dirs is a small tmpfs.  Producing until it fills gives
KAFKA_STORAGE_ERROR; the broker stays up and serves every acknowledged record,
intact; no segment keeps a torn tail (every .log file is whole, CRC-checked
batches to its last byte); CreateTopics on the full disk fails with
KAFKA_STORAGE_ERROR; a stop and a restart while full work (index and snapshot
writes fail, are reported, and recovery rebuilds); once space returns, produce
and CreateTopics succeed without a restart, and a restart serves everything
acknowledged with no recovery truncation.

Needs root (mount -t tmpfs); CI runs as root, so a failing mount fails the
test rather than skipping it."""
import os
import struct
import subprocess
import sys
import tempfile
import shutil
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, api_versions, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402

KAFKA_STORAGE_ERROR = 56
TMPFS_SIZE = "2m"
SEGMENT_BYTES = 256 * 1024


def mount_tmpfs(path, size):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("cannot mount a %s tmpfs on %s (this test needs root): %s"
                             % (size, path, (r.stderr or r.stdout).strip()))


def umount(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


def fill(path):
    """Writes 4 KiB chunks to path until the file system is full; returns the bytes written."""
    n = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        while True:
            try:
                n += os.write(fd, b"\xaa" * 4096)
            except OSError:
                return n
    finally:
        os.close(fd)


def make_batch(seq, nrec, size, base_ts=1700000000000):
    return kw.record_batch([(b"k%d" % (seq * 1000 + i), (b"%08d" % (seq * 1000 + i)) * (size // 8))
                            for i in range(nrec)], base_ts=base_ts)


def produce(c, topic, batch):
    c.request(0, 3, kw.produce_v3(topic, 0, batch, acks=1, timeout=5000))
    _, _, err, base = kw.parse_produce_v3_response(c.recv_frame())[1][0]
    return err, base


def create_topic(c, name):
    c.request(19, 0, kw.create_topics_v0(name, 1))
    return kw.parse_create_topics_v0_response(c.recv_frame())[1][0][1]


def fetch_all(c, topic, end):
    """Every batch of partition 0 from offset 0 to end: {base_offset: batch bytes}."""
    got, off = {}, 0
    while off < end:
        c.request(1, 4, kw.fetch_v4(topic, [(0, off)], max_wait=100, partition_max_bytes=1 << 20))
        err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
        assert err == 0, "fetch at %d: error %d" % (off, err)
        assert hw == end, "high watermark %d, expected %d" % (hw, end)
        pos, progressed = 0, False
        while pos + 61 <= len(recs):
            base, blen = struct.unpack_from(">qi", recs, pos)
            if pos + 12 + blen > len(recs):
                break
            b = recs[pos:pos + 12 + blen]
            count, = struct.unpack_from(">i", b, 57)
            if base >= off:
                got[base] = b
            off = max(off, base + count)
            pos += 12 + blen
            progressed = True
        assert progressed, "fetch at %d returned no whole batch" % off
    return got


def check_acked(c, topic, acked, end):
    """Every acknowledged batch is served byte for byte (but for the broker-set
    base offset and leader epoch), and nothing else is there."""
    got = fetch_all(c, topic, end)
    assert sorted(got) == sorted(acked), "served batches %s != acknowledged %s" % (
        sorted(set(got) ^ set(acked))[:10], len(acked))
    for base, sent in acked.items():
        b = got[base]
        assert len(b) == len(sent) and b[8:12] == sent[8:12] and b[16:] == sent[16:], \
            "batch at offset %d differs from what was acknowledged" % base
        assert kw.crc32c(b[21:]) == struct.unpack_from(">I", b, 17)[0], "bad CRC at offset %d" % base


def check_segments_whole(part_dir):
    """Each .log file is whole batches, CRC-valid, up to its exact end: no torn tail."""
    logs = sorted(f for f in os.listdir(part_dir) if f.endswith(".log"))
    assert logs, "no segment in %s" % part_dir
    for name in logs:
        with open(os.path.join(part_dir, name), "rb") as f:
            data = f.read()
        pos = 0
        while pos < len(data):
            assert pos + 61 <= len(data), "%s: torn batch header at %d of %d" % (name, pos, len(data))
            blen, = struct.unpack_from(">i", data, pos + 8)
            end = pos + 12 + blen
            assert data[pos + 16] == 2 and end <= len(data), "%s: torn batch at %d of %d" % (name, pos, len(data))
            assert kw.crc32c(data[pos + 21:end]) == struct.unpack_from(">I", data, pos + 17)[0], \
                "%s: bad CRC at %d" % (name, pos)
            pos = end
    return logs


def test_disk_full_errors_without_corruption_and_recovers_when_space_returns():
    tmp = tempfile.mkdtemp(prefix="freshet-diskfull-")
    mnt = os.path.join(tmp, "logs")
    os.mkdir(mnt)
    mount_tmpfs(mnt, TMPFS_SIZE)
    b = None
    try:
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"\x55" * (512 * 1024))
        # The broker's own log goes to tmp (not the tmpfs): Broker writes it under data_dir.
        b = Broker(overrides={"log.dirs": mnt, "log.segment.bytes": str(SEGMENT_BYTES),
                              "log.index.interval.bytes": "4096"}, data_dir=tmp)
        b.start()
        c = RawClient(b.port)
        assert create_topic(c, "full") == 0
        part_dir = os.path.join(mnt, "full-0")

        # 1. Produce until the disk is full.  Batch sizes vary so that writes
        #    fail part-way through (short writes) as well as up front.
        acked, end, seq, errors = {}, 0, 0, 0
        while errors < 6 and seq < 2000:
            batch = make_batch(seq, 1 + seq % 7, 700 + (seq * 397) % 3000)
            err, base = produce(c, "full", batch)
            seq += 1
            if err == 0:
                assert base == end, "acknowledged at %d, expected %d" % (base, end)
                acked[base] = batch
                end += struct.unpack_from(">i", batch, 57)[0]
            else:
                assert err == KAFKA_STORAGE_ERROR, "error %d on a full disk" % err
                errors += 1
        assert errors, "the tmpfs never filled up"
        assert len(acked) > 50, "only %d batches fit" % len(acked)
        # Whatever space the undone writes gave back, take it all.
        fill(os.path.join(mnt, "filler2"))

        # 2. Full: the broker is up, refuses writes, serves reads.  Small
        #    batches may still fit in the segment's last, partly used page.
        assert 0 in api_versions(b.port)
        for i in range(200):
            batch = make_batch(9000 + i, 1, 100)
            err, base = produce(c, "full", batch)
            if err:
                break
            assert base == end, (base, end)
            acked[base] = batch
            end += 1
        assert err == KAFKA_STORAGE_ERROR, "produce on a full disk: error %d" % err
        err, _ = produce(c, "full", make_batch(9999, 1, 100))
        assert err == KAFKA_STORAGE_ERROR, "produce on a full disk: error %d" % err
        assert create_topic(c, "while-full") == KAFKA_STORAGE_ERROR
        assert not os.path.exists(os.path.join(mnt, "while-full-0")), "a failed CreateTopics left its directory"
        check_acked(c, "full", acked, end)
        logs = check_segments_whole(part_dir)
        assert len(logs) >= 3, "expected rolls on the way, got %s" % logs
        assert b.proc.poll() is None, "broker died"
        c.close()

        # 3. Stop and start again while still full: index/snapshot writes fail
        #    and are reported; recovery brings everything back.  The records'
        #    timestamps are from 2023: one stamped now is more than segment.ms
        #    after the active segment's first, so it rolls: a roll on the full disk.
        b.stop()
        check_segments_whole(part_dir)
        b.start()
        c = RawClient(b.port)
        check_acked(c, "full", acked, end)
        nlogs = len(check_segments_whole(part_dir))
        err, _ = produce(c, "full", make_batch(9998, 1, 100, base_ts=int(time.time() * 1000)))
        assert err == KAFKA_STORAGE_ERROR, err
        assert len(check_segments_whole(part_dir)) == nlogs + 1, "no roll on the full disk"
        check_acked(c, "full", acked, end)

        # 4. Space returns: produce and CreateTopics work without a restart.
        os.unlink(filler)
        os.unlink(os.path.join(mnt, "filler2"))
        for i in range(20):
            batch = make_batch(5000 + i, 3, 2000)
            err, base = produce(c, "full", batch)
            assert err == 0 and base == end, "produce after freeing space: error %d at %d (expected %d)" % (err, base, end)
            acked[base] = batch
            end += 3
        assert create_topic(c, "after-full") == 0
        err, base = produce(c, "after-full", make_batch(1, 1, 100))
        assert (err, base) == (0, 0), (err, base)
        check_acked(c, "full", acked, end)
        c.close()

        # 5. Restart on the same dir: everything acknowledged, nothing torn.
        b.stop()
        check_segments_whole(part_dir)
        b.start()
        c = RawClient(b.port)
        check_acked(c, "full", acked, end)
        c.close()
        b.stop()
        for n in range(1, b.starts + 1):
            with open(os.path.join(tmp, "broker-%d-%d.log" % (b.port, n)), "rb") as f:
                log = f.read().decode("utf-8", "replace")
            assert "truncat" not in log.lower(), "recovery cut data:\n" + log[-5000:]
    finally:
        if b:
            b.kill()
        umount(mnt)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_disk_full_errors_without_corruption_and_recovers_when_space_returns])
