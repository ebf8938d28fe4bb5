"""Shared pieces of the third-party client compatibility tests.

Every compat test produces N keyed records with one client and consumes them
back (with the same or another client). The record contents are a pure
function of the record number, so the checker needs only the consumed records
and what the producer's delivery reports said:

  key       b"key-%07d" % i                       (distinct, encodes i)
  value     b"val-%07d|<codec>|" + filler(i)       (encodes i, 16..90 bytes,
                                                    compressible but varied)
  headers   [("idx", b"<i>"), ("src", b"<client>")]  (where the client can
                                                    set per-record headers)
  timestamp base_ts + i  (ms, CreateTime)          (where the client can set it)
"""
import glob
import os
import struct
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from harness import Broker, api_versions, run_tests  # noqa: E402,F401

N_RECORDS = int(os.environ.get("FRESHET_COMPAT_RECORDS", "100000"))
PARTITIONS = 3
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def topic_name(client, codec):
    return "compat-%s-%s" % (client, codec)


def base_timestamp():
    """A CreateTime base one hour in the past, so base_ts + i stays well
    behind the broker's clock and well inside any retention."""
    return int(time.time() * 1000) - 3600 * 1000


def key_of(i):
    return b"key-%07d" % i


def value_of(i, codec):
    filler = (b"%08x" % ((i * 2654435761) & 0xFFFFFFFF)) * (i % 9)
    return b"val-%07d|%s|" % (i, codec.encode()) + filler


def headers_of(i, client):
    return [("idx", str(i).encode()), ("src", client.encode())]


def index_of_key(key):
    if not isinstance(key, (bytes, bytearray)) or not key.startswith(b"key-"):
        raise ValueError("unexpected key %r" % (key,))
    return int(key[4:])


def librdkafka_partition(key, partition_count=PARTITIONS):
    """librdkafka's default partitioner (consistent_random) for a non-empty
    key: CRC-32 (zlib's) of the key modulo the partition count."""
    return (zlib.crc32(key) & 0xFFFFFFFF) % partition_count


class Problems:
    """Collects mismatches, keeping the first few of each kind for the message."""

    def __init__(self, what):
        self.what = what
        self.counts = {}
        self.samples = []

    def add(self, kind, detail):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.counts[kind] <= 3:
            self.samples.append("%s: %s" % (kind, detail))

    def check(self):
        if self.counts:
            raise AssertionError("%s: %s\n  %s" % (
                self.what,
                ", ".join("%d x %s" % (c, k) for k, c in sorted(self.counts.items())),
                "\n  ".join(self.samples)))


def verify(consumed, n, *, producer, codec, what=None, base_ts=None, ts_window=None,
           headers=None, delivered=None, delivered_partition=None, partitions=PARTITIONS):
    """Checks consumed records against what was produced.

    consumed: iterable of (partition, offset, key, value, headers, timestamp, ts_type)
      where headers is a list of (str name, bytes value) in wire order and
      ts_type is "create", "append" or None when the client doesn't tell.
    producer: the producing client's name (the "src" header and value codec tag).
    base_ts: record i must carry timestamp base_ts + i (CreateTime);
    ts_window: (lo, hi) instead, for producers that can't set timestamps.
    headers: callable i -> expected header list (default headers_of(i, producer)).
    delivered: dict i -> (partition, offset) from the producer's delivery
      reports; delivered_partition: callable i -> partition instead.
    """
    what = what or "%s/%s" % (producer, codec)
    p = Problems(what)
    expect_headers = headers or (lambda i: headers_of(i, producer))
    seen = {}
    offsets = {}
    count = 0
    for (part, off, key, value, hdrs, ts, ts_type) in consumed:
        count += 1
        try:
            i = index_of_key(key)
        except ValueError as e:
            p.add("bad key", "p%d@%d %s" % (part, off, e))
            continue
        if not 0 <= i < n:
            p.add("key out of range", "p%d@%d i=%d" % (part, off, i))
            continue
        if i in seen:
            p.add("duplicate record", "i=%d at p%d@%d and p%d@%d" % ((i,) + seen[i] + (part, off)))
            continue
        seen[i] = (part, off)
        offsets.setdefault(part, []).append(off)
        want_value = value_of(i, codec)
        if bytes(value) != want_value:
            p.add("value mismatch", "i=%d p%d@%d got %r want %r" % (i, part, off, value, want_value))
        want_h = expect_headers(i)
        got_h = [(k if isinstance(k, str) else k.decode(), bytes(v) if v is not None else None) for k, v in (hdrs or [])]
        if got_h != want_h:
            p.add("headers mismatch", "i=%d p%d@%d got %r want %r" % (i, part, off, got_h, want_h))
        if base_ts is not None:
            if ts != base_ts + i:
                p.add("timestamp mismatch", "i=%d p%d@%d got %r want %r" % (i, part, off, ts, base_ts + i))
            if ts_type not in (None, "create"):
                p.add("timestamp type", "i=%d p%d@%d got %r want CreateTime" % (i, part, off, ts_type))
        elif ts_window is not None:
            lo, hi = ts_window
            if ts is None or not lo <= ts <= hi:
                p.add("timestamp outside produce window", "i=%d p%d@%d ts=%r window=[%d, %d]" % (i, part, off, ts, lo, hi))
        if delivered is not None:
            d = delivered.get(i)
            if d is None:
                p.add("no delivery report", "i=%d" % i)
            elif d[0] != part or (d[1] is not None and d[1] != off):
                p.add("not where the delivery report said", "i=%d reported p%d@%s consumed p%d@%d" % (i, d[0], d[1], part, off))
        if delivered_partition is not None and delivered_partition(i) != part:
            p.add("not in the delivered partition", "i=%d expected p%d consumed p%d" % (i, delivered_partition(i), part))
    if len(seen) != n:
        missing = [i for i in range(n) if i not in seen]
        if missing:
            p.add("missing records", "%d missing, first %r" % (len(missing), missing[:10]))
    for part, offs in sorted(offsets.items()):
        if not 0 <= part < partitions:
            p.add("bad partition", "p%d" % part)
        if offs != list(range(len(offs))):
            bad = next(k for k, o in enumerate(offs) if o != k)
            p.add("offsets not 0..n-1 strictly increasing", "p%d: position %d has offset %d (neighbours %r)" % (part, bad, offs[bad], offs[max(0, bad - 2):bad + 3]))
    if len(offsets) != partitions and n >= 100:
        p.add("records not spread over all partitions", "partitions used: %r" % sorted(offsets))
    p.check()
    return count


CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def stored_batches(log_dir, topic, partition):
    """Walks the batch headers of <log_dir>/<topic>-<partition>/*.log:
    [(base_offset, last_offset_delta, magic, attributes, record_count)]."""
    out = []
    for path in sorted(glob.glob(os.path.join(log_dir, "%s-%d" % (topic, partition), "*.log"))):
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 61 <= len(data):
            base, length = struct.unpack_from(">qi", data, pos)
            if length <= 0:
                break
            magic = data[pos + 16]
            attributes, last_delta = struct.unpack_from(">hi", data, pos + 21)
            count = struct.unpack_from(">i", data, pos + 57)[0]
            out.append((base, last_delta, magic, attributes, count))
            pos += 12 + length
    return out


def check_stored_codec(log_dir, topic, codec, n, partitions=PARTITIONS):
    """The broker keeps batches as produced: every stored batch is magic v2,
    carries the producer's codec in its attributes, and together they hold
    offsets 0..end-1 of each partition, n records in all. Producers may send
    a tiny batch uncompressed when compressing doesn't pay off (librdkafka
    does), so batches of fewer than 10 records may say "none"."""
    p = Problems("%s on disk" % topic)
    total = 0
    for part in range(partitions):
        batches = stored_batches(log_dir, topic, part)
        if not batches:
            p.add("no batches", "p%d" % part)
        expect_base = 0
        for (base, last_delta, magic, attributes, count) in batches:
            if magic != 2:
                p.add("magic", "p%d batch @%d magic %d" % (part, base, magic))
            if attributes & 7 != CODEC_IDS[codec] and not (attributes & 7 == 0 and count < 10):
                p.add("stored codec is not the configured one", "p%d batch @%d attributes 0x%x, producer configured %s" % (part, base, attributes, codec))
            if base != expect_base or last_delta != count - 1:
                p.add("batch offsets", "p%d batch @%d (+%d, %d records), expected base %d" % (part, base, last_delta, count, expect_base))
            expect_base = base + last_delta + 1
            total += count
    if total != n:
        p.add("record count", "%d stored, %d produced" % (total, n))
    p.check()


FIND_COORDINATOR = 10


def check_librdkafka_compressed(port, log_lines, codec):
    """librdkafka decides from the broker's ApiVersions answer whether the
    broker can take a codec; when it thinks not, it sends the batch
    uncompressed and says only, as a debug "msg" line (a NOTICE at most once
    a day): "Broker does not support compression type X: not compressing
    batch". That must not happen, with one exception: librdkafka 2.0.2 gates
    lz4 on FindCoordinator v0 being advertised (its "LZ4" feature, from
    0.8.2-era brokers), and the broker has no group coordinator yet. Until it
    advertises FindCoordinator, lz4 batches from librdkafka go uncompressed;
    once it does, they must be lz4.

    Returns the codec the stored batches must carry."""
    refused = [ln for ln in log_lines if "does not support compression" in ln]
    if codec == "lz4" and FIND_COORDINATOR not in api_versions(port):
        print("  note: librdkafka sent lz4 batches uncompressed: the broker doesn't advertise FindCoordinator "
              "yet (librdkafka's LZ4 feature depends on it)", flush=True)
        return "none" if refused else codec
    assert not refused, "librdkafka did not compress (%s) because of the broker's ApiVersions answer:\n  %s" % (
        codec, "\n  ".join(refused[:3]))
    return codec


def timed(label):
    """with timed("produce"): ... prints how long the block took."""
    class _T:
        def __enter__(self):
            self.t = time.time()
            return self

        def __exit__(self, *exc):
            print("  %-40s %.1fs" % (label, time.time() - self.t), flush=True)
            return False
    return _T()
