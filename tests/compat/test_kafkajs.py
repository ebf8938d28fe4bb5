#!/usr/bin/env python3
"""Compatibility with kafkajs 2.x (npm, pinned in tests/compat/node): per codec,
create a 3-partition topic with kafkajs's admin client, produce 100,000 keyed
records with headers and explicit timestamps, consume them all back from the
beginning with kafkajs's own fetch path, and check every record, offset,
partition and timestamp. The kafkajs side is tests/compat/node/roundtrip.js.

Codecs: gzip is kafkajs's own; snappy (kafkajs-snappy on snappyjs), lz4
(lz4js) and zstd (zstd-codec, zstd compiled to JS/wasm) are pure-JS packages
plugged into kafkajs's codec table, so nothing needs a native build.

Cross-client: the lz4 and gzip topics kafkajs produced are also consumed with
confluent-kafka (librdkafka), and records confluent-kafka produced with snappy
and zstd are consumed with kafkajs.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compat_common as cc  # noqa: E402
import test_confluent_kafka as ck  # noqa: E402

CLIENT = "kafkajs"
NODE_DIR = os.path.join(cc.HERE, "node")
SCRIPT = os.path.join(NODE_DIR, "roundtrip.js")
NODE = os.environ.get("NODE", "node")


def broker():
    return cc.Broker(overrides={"auto.create.topics.enable": "false"})


def ensure_node_modules():
    """The suite runs `npm ci` before the tests; do it here too when the
    modules are missing (a by-hand run), from the committed lock file."""
    if os.path.isdir(os.path.join(NODE_DIR, "node_modules", "kafkajs")):
        return
    assert shutil.which("npm"), "npm not found and tests/compat/node/node_modules missing"
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True,
                   timeout=600)


def node(*args, timeout=300):
    ensure_node_modules()
    r = subprocess.run([NODE, SCRIPT] + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, "node roundtrip.js %s exited %d:\n%s\n%s" % (
        " ".join(map(str, args)), r.returncode, r.stdout[-3000:], r.stderr[-5000:])
    if r.stderr.strip():
        print("  " + r.stderr.strip().splitlines()[-1], flush=True)
    return r


def create_topic(bootstrap, topic, partitions=cc.PARTITIONS):
    node("create", "--bootstrap", bootstrap, "--topic", topic, "--partitions", partitions)


def produce(bootstrap, topic, codec, n, base_ts, workdir):
    out = os.path.join(workdir, topic + ".delivered")
    node("produce", "--bootstrap", bootstrap, "--topic", topic, "--codec", codec, "--count", n,
         "--base-ts", base_ts, "--out", out)
    delivered = {}
    with open(out) as f:
        for line in f:
            i, p, o = map(int, line.split())
            delivered[i] = (p, o)
    assert len(delivered) == n, (len(delivered), n)
    return delivered


def consume(bootstrap, topic, workdir):
    out = os.path.join(workdir, topic + ".consumed")
    node("consume", "--bootstrap", bootstrap, "--topic", topic, "--out", out)
    b64 = base64.b64decode
    got = []
    with open(out) as f:
        for line in f:
            m = json.loads(line)
            got.append((m["p"], int(m["o"]),
                        None if m["k"] is None else b64(m["k"]),
                        None if m["v"] is None else b64(m["v"]),
                        [(k, None if v is None else b64(v)) for k, v in m["h"]],
                        int(m["ts"]),
                        {0: "create", 1: "append"}.get(m["tt"])))
    return got


def roundtrip(codec, cross_consume=False):
    n = cc.N_RECORDS
    with broker() as b, tempfile.TemporaryDirectory(prefix="freshet-kafkajs-") as work:
        topic = cc.topic_name(CLIENT, codec)
        create_topic(b.bootstrap, topic)
        base_ts = cc.base_timestamp()
        with cc.timed("kafkajs produce %d %s" % (n, codec)):
            delivered = produce(b.bootstrap, topic, codec, n, base_ts, work)
        with cc.timed("kafkajs consume %d %s" % (n, codec)):
            got = consume(b.bootstrap, topic, work)
        cc.verify(got, n, producer=CLIENT, codec=codec, base_ts=base_ts, delivered=delivered)
        cc.check_stored_codec(b.log_dir, topic, codec, n)
        if cross_consume:
            with cc.timed("confluent consume %d kafkajs/%s" % (n, codec)):
                got = ck.consume(b.bootstrap, topic, n)
            cc.verify(got, n, producer=CLIENT, codec=codec, what="kafkajs->confluent/%s" % codec,
                      base_ts=base_ts, delivered=delivered)


def test_codec_none():
    roundtrip("none")


def test_codec_gzip():
    roundtrip("gzip", cross_consume=True)


def test_codec_snappy():
    roundtrip("snappy")


def test_codec_lz4():
    roundtrip("lz4", cross_consume=True)


def test_codec_zstd():
    roundtrip("zstd")


def test_confluent_produces_kafkajs_consumes():
    """librdkafka's zstd and snappy batches, read by kafkajs's decoder."""
    n = 20000
    with broker() as b, tempfile.TemporaryDirectory(prefix="freshet-kafkajs-") as work:
        for codec in ("zstd", "snappy"):
            topic = "compat-confluent-to-kafkajs-" + codec
            ck.create_topic(b.bootstrap, topic)
            base_ts = cc.base_timestamp()
            log_lines = []
            delivered = ck.produce(b.bootstrap, topic, codec, n, base_ts, log_lines=log_lines)
            got = consume(b.bootstrap, topic, work)
            cc.verify(got, n, producer=ck.CLIENT, codec=codec, what="confluent->kafkajs/%s" % codec,
                      base_ts=base_ts, delivered=delivered)
            # else kafkajs decoded no librdkafka batch of that codec
            cc.check_stored_codec(b.log_dir, topic, cc.check_librdkafka_compressed(b.port, log_lines, codec), n)


if __name__ == "__main__":
    cc.run_tests([test_codec_none, test_codec_gzip, test_codec_snappy, test_codec_lz4, test_codec_zstd,
                  test_confluent_produces_kafkajs_consumes])
