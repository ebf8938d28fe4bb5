#!/usr/bin/env python3
"""The log inspection tools on real data: `freshet dump-log-segments` on the
segments a broker wrote (uncompressed, gzip, snappy, lz4 and zstd batches,
an idempotent producer, headers, a tombstone) with --deep-iteration and
--print-data-log, the index dumps and --index-sanity-check, damaged copies;
`freshet log-dirs --describe` (sizes against the files, --topic-list,
--broker-list, two log dirs) and DescribeLogDirs v1 on the wire."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FRESHET, Broker, RawClient, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
BATCH_RE = re.compile(
    r"^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) baseSequence: (-?\d+) lastSequence: (-?\d+) "
    r"producerId: (-?\d+) producerEpoch: (-?\d+) partitionLeaderEpoch: (\d+) isTransactional: (true|false) "
    r"isControl: (true|false) deleteHorizonMs: OptionalLong.empty position: (\d+) CreateTime: (\d+) "
    r"size: (\d+) magic: 2 compresscodec: (\w+) crc: (\d+) isvalid: (true|false)$")
RECORD_RE = re.compile(
    r"^\| offset: (\d+) CreateTime: (\d+) keySize: (-?\d+) valueSize: (-?\d+) sequence: (-?\d+) "
    r"headerKeys: \[([^\]]*)\]( key: (\S*))?( payload: (.*))?$")


def dump(*args):
    r = subprocess.run([FRESHET, "dump-log-segments"] + list(args), capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def produce_mix(b, topic):
    """Every codec, one flush each (a batch or more per codec), then an idempotent producer's batch with
    headers and a tombstone.  Returns [(key, value, headers)] in offset order."""
    sent = []
    base_ts = 1_700_000_000_000
    for n, codec in enumerate(CODECS):
        p = Producer({"bootstrap.servers": b.bootstrap, "compression.type": codec, "linger.ms": 50})
        for i in range(6):
            k, v = ("%s-k%d" % (codec, i)).encode(), ("%s value %d " % (codec, i) + "y" * 30).encode()
            p.produce(topic, key=k, value=v, timestamp=base_ts + n * 100 + i)
            sent.append((k, v, []))
        assert p.flush(30) == 0
    p = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True, "linger.ms": 50})
    for i in range(3):
        p.produce(topic, key=b"idem-%d" % i, value=b"idempotent %d" % i, headers=[("h1", b"a"), ("h2", b"b")],
                  timestamp=base_ts + 1000 + i)
        sent.append((b"idem-%d" % i, b"idempotent %d" % i, ["h1", "h2"]))
    p.produce(topic, key=b"gone", value=None, timestamp=base_ts + 2000)
    sent.append((b"gone", None, []))
    assert p.flush(30) == 0
    return sent


def parse_dump(out):
    """-> (batches [(fields...)], records {offset: match}) from a .log dump."""
    batches, recs = [], {}
    for line in out.splitlines():
        m = BATCH_RE.match(line)
        if m:
            batches.append(m)
            continue
        m = RECORD_RE.match(line)
        if m:
            recs[int(m.group(1))] = m
    return batches, recs


def make_data(broker_overrides=None):
    """A stopped broker's data dir holding topic "mix" (several segments, indexes written)."""
    overrides = {"log.segment.bytes": "800", "log.index.interval.bytes": "100"}
    overrides.update(broker_overrides or {})
    b = Broker(overrides=overrides)
    b.start()
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic("mix", 1, 1)])["mix"].result(30)
    sent = produce_mix(b, "mix")
    b.stop()
    return b, sent


def test_dump_log_segments_deep_iteration_of_every_codec():
    b, sent = make_data()
    try:
        d = os.path.join(b.log_dir, "mix-0")
        logs = sorted(f for f in os.listdir(d) if f.endswith(".log"))
        assert len(logs) >= 2, logs
        codecs, all_recs, next_offset = set(), {}, 0
        for name in logs:
            path = os.path.join(d, name)
            rc, out, err = dump("--files", path, "--deep-iteration", "--print-data-log")
            assert rc == 0 and err == "", err
            lines = out.splitlines()
            assert lines[0] == "Dumping " + path and lines[1] == "Log starting offset: %d" % int(name[:20]), lines[:2]
            batches, recs = parse_dump(out)
            data = open(path, "rb").read()
            pos = 0
            for m in batches:
                base, last, count = int(m.group(1)), int(m.group(2)), int(m.group(3))
                assert base == next_offset and last == base + count - 1, m.group(0)
                next_offset = last + 1
                assert int(m.group(11)) == pos and m.group(16) == "true", m.group(0)
                size = int(m.group(13))
                assert int(m.group(15)) == kw.crc32c(data[pos + 21:pos + size]), m.group(0)
                codecs.add(m.group(14))
                if int(m.group(6)) >= 0:  # the idempotent producer
                    assert int(m.group(4)) == 0 and int(m.group(5)) == count - 1 and int(m.group(7)) == 0, m.group(0)
                pos += size
            assert pos == len(data), (pos, len(data))
            all_recs.update(recs)
            # the shallow dump has the batch lines only
            rc, shallow, _ = dump("--files", path)
            assert [l for l in shallow.splitlines() if l.startswith("baseOffset")] == [m.group(0) for m in batches]
            assert not any(l.startswith("|") for l in shallow.splitlines())
            # --deep-iteration alone: records without key and payload
            rc, deep, _ = dump("--files", path, "--deep-iteration")
            rec_lines = [l for l in deep.splitlines() if l.startswith("|")]
            assert len(rec_lines) == len(recs) and not any(" payload: " in l for l in rec_lines)
        assert codecs == set(CODECS), codecs
        assert sorted(all_recs) == list(range(len(sent))), sorted(all_recs)
        for off, (k, v, headers) in enumerate(sent):
            m = all_recs[off]
            assert int(m.group(3)) == len(k), m.group(0)
            assert m.group(6) == ",".join(headers), m.group(0)
            if v is None:  # a tombstone: Kafka (DecoderMessageParser since 4.0) prints its key, no payload
                assert int(m.group(4)) == -1 and m.group(8) == k.decode() and m.group(9) is None, m.group(0)
            else:
                assert int(m.group(4)) == len(v) and m.group(8) == k.decode() and m.group(10) == v.decode(), m.group(0)
            idem = k.startswith(b"idem") or k == b"gone"
            assert (int(m.group(5)) >= 0) == idem, m.group(0)
    finally:
        b.cleanup()


def test_dump_indexes_and_sanity_checks():
    b, _ = make_data()
    tmp = tempfile.mkdtemp(prefix="freshet-dump-")
    try:
        d = os.path.join(b.log_dir, "mix-0")
        base = sorted(f for f in os.listdir(d) if f.endswith(".log"))[0][:20]
        log, idx, tix = (os.path.join(d, base + s) for s in (".log", ".index", ".timeindex"))
        _, out, _ = dump("--files", log)
        batches, _ = parse_dump(out)
        by_pos = {int(m.group(11)): m for m in batches}
        by_last = {int(m.group(2)): m for m in batches}

        rc, out, err = dump("--files", ",".join([idx, tix]))
        assert rc == 0 and err == "", err
        lines = out.splitlines()
        assert lines[0] == "Dumping " + idx, lines
        t_at = lines.index("Dumping " + tix)
        entries = [re.match(r"^offset: (\d+) position: (\d+)$", l) for l in lines[1:t_at]]
        assert entries and all(entries), lines[1:t_at]
        for m in entries:  # each entry names the last offset of the batch at its position
            assert int(by_pos[int(m.group(2))].group(2)) == int(m.group(1)), m.group(0)
        tentries = [re.match(r"^timestamp: (\d+) offset: (\d+)$", l) for l in lines[t_at + 1:]]
        assert tentries and all(tentries), lines[t_at + 1:]
        for m in tentries:  # each entry names a batch's last offset and its max timestamp
            assert int(by_last[int(m.group(2))].group(12)) == int(m.group(1)), m.group(0)

        rc, out, err = dump("--files", ",".join([idx, tix]), "--index-sanity-check")
        assert rc == 0, err
        assert out.splitlines() == ["Dumping " + idx, idx + " passed sanity check.",
                                    "Dumping " + tix, tix + " passed sanity check."], out
        rc, out, err = dump("--files", idx, "--verify-index-only")
        assert rc == 0 and out.splitlines() == ["Dumping " + idx] and err == "", (out, err)

        # damaged copies beside a copy of the log
        for f in (log, idx, tix):
            shutil.copy(f, tmp)
        clog, cidx, ctix = (os.path.join(tmp, base + s) for s in (".log", ".index", ".timeindex"))
        with open(cidx, "ab") as f:
            f.write(b"\x01\x02\x03")
        rc, out, err = dump("--files", cidx, "--index-sanity-check")
        assert rc == 1 and "CorruptIndexException" in err and "found %d bytes which is neither positive nor a " \
            "multiple of 8" % (len(entries) * 8 + 3) in err, err
        with open(ctix, "ab") as f:
            f.write(b"\x01")
        rc, out, err = dump("--files", ctix, "--index-sanity-check")
        assert rc == 1 and "Time index file" in err and "multiple of 12" in err, err
        # an entry pointing at the wrong batch: listed on stderr, as Kafka does
        shutil.copy(idx, cidx)
        raw = bytearray(open(cidx, "rb").read())
        struct.pack_into(">i", raw, 4, 0)  # first entry's position -> the first batch
        open(cidx, "wb").write(bytes(raw))
        rc, out, err = dump("--files", cidx)
        first_off = int(entries[0].group(1))
        assert rc == 0 and "Mismatches in :%s" % cidx in err, err
        assert "  Index offset: %d, log offset: %s" % (first_off, batches[0].group(2)) in err, err
        # a torn tail
        with open(clog, "ab") as f:
            f.write(b"\x00" * 7)
        rc, out, err = dump("--files", clog)
        assert out.splitlines()[-1] == "Found 7 invalid bytes at the end of %s.log" % base, out
        # bad usage
        rc, out, err = dump("--deep-iteration")
        assert rc == 1 and 'Missing required argument "[files]"' in err, err
        rc, out, err = dump("--files", os.path.join(tmp, "x.snapshot"))
        assert rc == 0 and "Ignoring unknown file" in err, err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        b.cleanup()


# ---- log-dirs ----

def log_dirs(b, *args):
    r = subprocess.run([FRESHET, "log-dirs", "--bootstrap-server", b.bootstrap] + list(args),
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def file_sizes(log_dir, part):
    d = os.path.join(log_dir, part)
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".log"))


def test_log_dirs_describe():
    tmp = tempfile.mkdtemp(prefix="freshet-logdirs-")
    dirs = [os.path.join(tmp, "d1"), os.path.join(tmp, "d2")]
    try:
        with Broker(data_dir=tmp, overrides={"log.dirs": ",".join(dirs), "log.segment.bytes": "4000"}) as b:
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            for t in ("alpha", "beta"):
                admin.create_topics([NewTopic(t, 2, 1)])[t].result(30)
            p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 5, "batch.size": 2000})
            errors = []
            for i in range(300):
                p.produce("alpha", value=b"a" * (10 + i % 50), partition=i % 2,
                          on_delivery=lambda e, m: e and errors.append(e))
                if i % 3 == 0:
                    p.produce("beta", value=b"b" * 20, partition=1, on_delivery=lambda e, m: e and errors.append(e))
            assert p.flush(30) == 0 and errors == [], errors

            rc, out, err = log_dirs(b, "--describe")
            assert rc == 0, err
            lines = out.splitlines()
            assert lines[0] == "Querying brokers for log directories information", lines
            assert lines[1] == "Received log directory information from brokers 0", lines
            doc = json.loads(lines[2])
            assert lines[2].startswith('{"version":1,"brokers":[{"broker":0,"logDirs":[{"logDir":'), lines[2]
            assert len(doc["brokers"]) == 1 and doc["brokers"][0]["broker"] == 0
            ldirs = doc["brokers"][0]["logDirs"]
            assert sorted(x["logDir"] for x in ldirs) == sorted(dirs), ldirs
            seen = {}
            for ld in ldirs:
                assert ld["error"] is None
                for part in ld["partitions"]:
                    assert part["offsetLag"] == 0 and part["isFuture"] is False
                    assert part["size"] == file_sizes(ld["logDir"], part["partition"]), (part, ld["logDir"])
                    seen[part["partition"]] = part["size"]
            assert {"alpha-0", "alpha-1", "beta-0", "beta-1"} <= set(seen), seen
            assert seen["beta-0"] == 0 and seen["alpha-0"] > 4000 and seen["beta-1"] > 0, seen

            rc, out, _ = log_dirs(b, "--describe", "--topic-list", "beta", "--broker-list", "0")
            parts = [p["partition"] for ld in json.loads(out.splitlines()[2])["brokers"][0]["logDirs"]
                     for p in ld["partitions"]]
            assert sorted(parts) == ["beta-0", "beta-1"], parts

            rc, out, _ = log_dirs(b, "--describe", "--broker-list", "0,5")
            assert rc == 0 and out.splitlines() == [
                "ERROR: The given brokers do not exist from --broker-list: 5. Current existent brokers: 0"], out
            rc, out, err = log_dirs(b)
            assert rc == 1 and 'Missing required argument "[describe]"' in err, err

            # DescribeLogDirs v1 on the wire, for one partition: only that partition, and a topic only
            # with some asked-for partition under it (Kafka's ReplicaManager.describeLogDirs drops the others)
            c = RawClient(b.port)
            body = struct.pack(">i", 1) + kw.string("alpha") + struct.pack(">ii", 1, 1)
            c.request(35, 1, body)
            resp = c.recv_frame()
            c.close()
            off = 8
            n, = struct.unpack_from(">i", resp, off)
            off += 4
            got = {}
            for _ in range(n):
                err, = struct.unpack_from(">h", resp, off)
                path, off = kw._read_string(resp, off + 2)
                tn, = struct.unpack_from(">i", resp, off)
                off += 4
                for _ in range(tn):
                    name, off = kw._read_string(resp, off)
                    pn, = struct.unpack_from(">i", resp, off)
                    off += 4
                    for _ in range(pn):
                        idx, size, lag, fut = struct.unpack_from(">iqq?", resp, off)
                        off += 21
                        got[(name, idx)] = size
                    got.setdefault((name, None), path)
                assert err == 0
            assert [k for k in got if k[1] is not None] == [("alpha", 1)], got
            assert got[("alpha", 1)] == seen["alpha-1"] and ("beta", None) not in got, got
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_console_producer_compresses_only_as_compression_codec_says():
    """ConsoleProducer sets compression.type last, from --compression-codec
    alone ("none" without it): a compression.type among the producer
    properties does not count.  Before, it did.  (The record compresses well:
    librdkafka sends a batch uncompressed when compression saves nothing.)"""
    with Broker() as b:
        def produce(*args):
            r = subprocess.run([FRESHET, "console-producer", "--bootstrap-server", b.bootstrap, "--topic", "codec",
                                "--producer-property", "compression.type=lz4"] + list(args),
                               input="x" * 2000 + "\n", capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
        produce()
        produce("--compression-codec", "zstd")
        path = os.path.join(b.log_dir, "codec-0", "00000000000000000000.log")
        rc, out, err = dump("--files", path)
        assert rc == 0, err
        codecs = [m.group(14) for m in (BATCH_RE.match(l) for l in out.splitlines()) if m]
        assert codecs == ["none", "zstd"], out


if __name__ == "__main__":
    run_tests([
        test_console_producer_compresses_only_as_compression_codec_says,
        test_dump_log_segments_deep_iteration_of_every_codec,
        test_dump_indexes_and_sanity_checks,
        test_log_dirs_describe,
    ])
