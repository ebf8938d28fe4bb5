#!/usr/bin/env python3
"""Compatibility with kcat (Debian's kcat 1.7, on librdkafka): per codec,
produce 100,000 keyed records from a file with `kcat -P`, consume them all
back from the beginning with `kcat -C -J -e` (no -G: the broker has no
consumer-group APIs yet), and check every record, offset and partition.

What kcat can't do, and what is checked instead:
- per-record headers: -H adds the same headers to every record, so each
  record must carry exactly [src=kcat, codec=<codec>];
- per-record timestamps: the producer stamps CreateTime itself, so each
  timestamp must be CreateTime and lie within the produce window;
- delivery reports naming the record: at verbosity 3 kcat prints one
  "Message delivered to partition P (offset O)" line per record, in
  delivery order, without the key. librdkafka delivers in order within a
  partition and partitions keyed records by CRC-32(key) % partitions, so the
  k-th report for partition P belongs to the k-th input record whose key maps
  to P; each record must be consumed at exactly that partition and offset.
As for confluent-kafka, the codec must really be used: no "not compressing
batch" decision by librdkafka, and the stored batches carry the codec.
The topics are created with confluent-kafka's AdminClient (kcat has no admin
mode); kcat -L must then show them with 3 partitions.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compat_common as cc  # noqa: E402
from test_confluent_kafka import create_topic  # noqa: E402

CLIENT = "kcat"
KCAT = os.environ.get("KCAT", "kcat")
DR_LINE = re.compile(r"Message delivered to partition (\d+) \(offset (-?\d+)\)")


def broker():
    return cc.Broker(overrides={"auto.create.topics.enable": "false"})


def kcat_headers(codec):
    return [("src", b"kcat"), ("codec", codec.encode())]


def metadata_partitions(bootstrap, topic):
    r = subprocess.run([KCAT, "-L", "-J", "-b", bootstrap, "-t", topic, "-m", "30"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    md = json.loads(r.stdout)
    (t,) = [t for t in md["topics"] if t["topic"] == topic]
    assert "error" not in t, t
    return sorted(p["partition"] for p in t["partitions"])


def produce(bootstrap, topic, codec, n, workdir):
    """kcat -P from a key<TAB>value file; returns ({i: (partition, offset)}, (t_lo, t_hi))."""
    path = os.path.join(workdir, "%s.in" % topic)
    with open(path, "wb") as f:
        for i in range(n):
            f.write(cc.key_of(i) + b"\t" + cc.value_of(i, codec) + b"\n")
    cmd = [KCAT, "-P", "-b", bootstrap, "-t", topic, "-K", "\\t", "-l", path, "-m", "30",
           "-X", "compression.codec=%s" % codec,
           "-X", "linger.ms=50",
           "-X", "batch.num.messages=10000",
           "-X", "queue.buffering.max.messages=%d" % (n + 1000),
           "-X", "acks=all",
           "-vv", "-d", "msg"]  # -d msg: see check in roundtrip()
    for k, v in kcat_headers(codec):
        cmd += ["-H", "%s=%s" % (k, v.decode())]
    t_lo = int(time.time() * 1000)
    r = subprocess.run(cmd, capture_output=True, timeout=300)
    t_hi = int(time.time() * 1000)
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 0, "kcat -P exited %d:\n%s" % (r.returncode, err[-3000:])
    assert "Delivery failed" not in err and "ERROR" not in err, err[-3000:]
    reports = {}
    for m in DR_LINE.finditer(err):
        reports.setdefault(int(m.group(1)), []).append(int(m.group(2)))
    assert sum(len(v) for v in reports.values()) == n, \
        "%d delivery reports for %d records:\n%s" % (sum(len(v) for v in reports.values()), n, err[-2000:])
    # k-th report for partition P <-> k-th input record whose key hashes to P
    delivered = {}
    cursor = {}
    for i in range(n):
        part = cc.librdkafka_partition(cc.key_of(i))
        k = cursor.get(part, 0)
        cursor[part] = k + 1
        offs = reports.get(part, [])
        delivered[i] = (part, offs[k] if k < len(offs) else None)
    assert cursor == {p: len(v) for p, v in reports.items()}, \
        "records per partition by key hash %r vs delivery reports per partition %r" % (
            cursor, {p: len(v) for p, v in reports.items()})
    return delivered, (t_lo, t_hi), err.splitlines()


def consume(bootstrap, topic, timeout=300):
    """kcat -C -J -e from the beginning of every partition; returns verify() tuples."""
    cmd = [KCAT, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-J", "-q", "-m", "30",
           "-X", "fetch.wait.max.ms=100"]
    r = subprocess.run(cmd, capture_output=True, timeout=timeout)
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 0, "kcat -C exited %d:\n%s" % (r.returncode, err[-3000:])
    assert "ERROR" not in err, err[-3000:]
    out = []
    for line in r.stdout.splitlines():
        m = json.loads(line)
        assert m["topic"] == topic, m
        h = m.get("headers") or []
        hdrs = [(h[j], h[j + 1].encode() if h[j + 1] is not None else None) for j in range(0, len(h), 2)]
        kind = {"create": "create", "logappend": "append"}.get(m.get("tstype"), m.get("tstype"))
        key = m["key"].encode() if m["key"] is not None else None
        value = m["payload"].encode() if m["payload"] is not None else None
        out.append((m["partition"], m["offset"], key, value, hdrs, m["ts"], kind))
    return out


def roundtrip(codec):
    n = cc.N_RECORDS
    with broker() as b, tempfile.TemporaryDirectory(prefix="freshet-kcat-") as work:
        topic = cc.topic_name(CLIENT, codec)
        create_topic(b.bootstrap, topic)
        assert metadata_partitions(b.bootstrap, topic) == list(range(cc.PARTITIONS))
        with cc.timed("kcat produce %d %s" % (n, codec)):
            delivered, window, log_lines = produce(b.bootstrap, topic, codec, n, work)
        with cc.timed("kcat consume %d %s" % (n, codec)):
            got = consume(b.bootstrap, topic)
        cc.verify(got, n, producer=CLIENT, codec=codec, ts_window=window,
                  headers=lambda i: kcat_headers(codec), delivered=delivered)
        assert all(g[6] == "create" for g in got), "kcat records must carry CreateTime"
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


if __name__ == "__main__":
    cc.run_tests([test_codec_none, test_codec_gzip, test_codec_snappy, test_codec_lz4, test_codec_zstd])
