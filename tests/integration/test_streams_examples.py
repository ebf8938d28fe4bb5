#!/usr/bin/env python3
"""The examples of examples/streams against a real broker, each stopped with
SIGTERM, which must close it cleanly (exit 0, NOT_RUNNING logged, no
sanitizer report):

  wordcount          Kafka's WordCountDemo: the latest count per word is exact;
  pageview_windowed  counts per page per 1-minute window from records with
                     chosen timestamps; a record later than the grace is dropped;
  enrichment_join    orders left-joined with customers: exact enriched values.

The binary is found next to FRESHET_BIN: <build>/examples/streams/wordcount
(the freshet binary sits at the top of the build tree).  Words follow Java's
split("\\\\W+") on the lowercased line: runs of [a-z0-9_], any other byte
(UTF-8 included) separates; as in Java, a leading separator gives a leading
empty word, trailing empty strings are removed and an empty line is [""]:
the empty word is counted like the others, under the empty key.
"""
import collections
import json
import os
import struct
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "streams", "apps"))
from harness import FRESHET, Broker, run_tests  # noqa: E402
import streams_helpers as sh  # noqa: E402

FAST = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "3"}


def example_path(name):
    return os.path.join(os.path.dirname(os.path.abspath(FRESHET)), "examples", "streams", name)


def run_example(name, bootstrap, tmp, check, timeout=120):
    """Starts the example, waits until check() returns (ok, detail) with ok,
    stops it with SIGTERM and checks the clean close."""
    exe = example_path(name)
    assert os.path.exists(exe), "examples not built: %s" % exe
    logpath = os.path.join(tmp, name + ".log")
    with open(logpath, "w+") as log:
        app = subprocess.Popen([exe, "--bootstrap-server", bootstrap, "--state-dir", os.path.join(tmp, "state"),
                                "--set", "commit.interval.ms=200"],
                               stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, **sh.SAN_ENV))
        try:
            def guarded():
                assert app.poll() is None, "%s exited early" % name
                return check()
            sh.wait_until(guarded, timeout, "%s output" % name, interval=1)
        finally:
            if app.poll() is None:
                app.send_signal(signal.SIGTERM)
            rc = app.wait(60)
        log.seek(0)
        text = log.read()
    assert rc == 0, text[-4000:]
    assert "state PENDING_SHUTDOWN -> NOT_RUNNING" in text, text[-4000:]
    assert "AddressSanitizer" not in text and "LeakSanitizer" not in text, text[-4000:]
    return text


def produce_at(bootstrap, topic, records):
    """records: (key, value, timestamp ms), produced in order to partition 0."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap})
    for k, v, ts in records:
        p.produce(topic, key=k, value=v, partition=0, timestamp=ts)
    assert p.flush(30) == 0


def java_split(line):
    """Java's line.split("\\W+"): bytes patterns' \W is ASCII, as Java's."""
    parts = re.split(rb"\W+", line)
    if len(parts) == 1:
        return parts  # no match: the line itself ([b""] for an empty line)
    while parts and parts[-1] == b"":
        parts.pop()  # trailing empty strings are removed (limit 0)
    return parts


def expected_counts(lines):
    counts = collections.Counter()
    for line in lines:
        counts.update(w.decode() for w in java_split(line.lower()))
    return counts


def test_wordcount_example_counts_exactly():
    wordcount = example_path("wordcount")
    assert os.path.exists(wordcount), "examples not built: %s" % wordcount
    lines = [b"all streams lead to kafka", b"hello kafka streams", b"join kafka summit",
             b"  Hello, World! hello_world x2", "\u00c9T\u00c9 caf\u00e9".encode(), b"", b"...",
             b"KAFKA Kafka kafka"]
    lines += [("w%d w%d common" % (i % 7, i % 3)).encode() for i in range(200)]
    expected = expected_counts(lines)
    tmp = tempfile.mkdtemp(prefix="freshet-ex-")
    log = open(os.path.join(tmp, "wordcount.log"), "w+")
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"streams-plaintext-input": 2})
            sh.create_topics(b.bootstrap, {"streams-wordcount-output": 2}, {"cleanup.policy": "compact"})
            sh.produce(b.bootstrap, "streams-plaintext-input", [(None, v) for v in lines])
            app = subprocess.Popen([wordcount, "--bootstrap-server", b.bootstrap, "--state-dir", tmp,
                                    "--set", "commit.interval.ms=200"],
                                   stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, **sh.SAN_ENV))
            try:
                def check():
                    assert app.poll() is None, "wordcount exited early"
                    got = sh.latest_longs(b.bootstrap, "streams-wordcount-output")
                    return got == dict(expected), (len(got), len(expected))
                sh.wait_until(check, 120, "exact counts in streams-wordcount-output", interval=1)
                got = sh.latest_longs(b.bootstrap, "streams-wordcount-output")
                assert got["kafka"] == 6 and got["hello"] == 2 and got["hello_world"] == 1 and got["t"] == 1, got
                # "" from the empty line, "  Hello, ..." and "\u00c9T\u00c9 ..."; "..." yields nothing.
                assert got[""] == 3 and "caf" in got, got
            finally:
                if app.poll() is None:
                    app.send_signal(signal.SIGTERM)
                rc = app.wait(60)
            log.seek(0)
            text = log.read()
            assert rc == 0, text[-4000:]
            assert "state PENDING_SHUTDOWN -> NOT_RUNNING" in text, text[-4000:]
            assert "ERROR" not in text and "AddressSanitizer" not in text, text[-4000:]
    finally:
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_pageview_windowed_example():
    t0 = (int(time.time() * 1000) // 60000 - 10) * 60000  # a minute boundary, ten minutes ago
    views = [(b"alice", b"/a", t0 + 1000), (b"bob", b"/a", t0 + 30000), (b"carol", b'{"page": "/b"}', t0 + 59000),
             (b"alice", b"/a", t0 + 61000), (b"dave", b"/x", t0 + 200000),
             (b"late", b"/a", t0 + 10000),  # window [t0, t0+60s) closed at t0+70s: dropped
             (b"erin", b'{"ref": 1}', t0 + 200001)]  # no page: filtered out
    expected = {("/a", t0): 2, ("/b", t0): 1, ("/a", t0 + 60000): 1, ("/x", t0 + 180000): 1}
    tmp = tempfile.mkdtemp(prefix="freshet-ex-")
    try:
        with Broker(FAST) as b:
            # The output topic is left to the example, which creates what is missing.
            sh.create_topics(b.bootstrap, {"streams-pageviews": 1})
            produce_at(b.bootstrap, "streams-pageviews", views)

            def check():
                got = {}
                for _, _, k, v in sorted(sh.read_all(b.bootstrap, "streams-pageviews-per-minute")):
                    got[(k[:-8].decode(), struct.unpack(">q", k[-8:])[0])] = struct.unpack(">q", v)[0]
                # Every input and repartition offset committed: the late record has been seen too.
                lag = sh.committed_lag(b.bootstrap, "streams-pageview-windowed",
                                       ["streams-pageviews", "streams-pageview-windowed-views-by-page-repartition"])
                return got == expected and lag == 0, (got, lag)
            text = run_example("pageview_windowed", b.bootstrap, tmp, check)
            assert "/a [" in text and ") 2" in text, text[-3000:]
            assert "created topic streams-pageviews-per-minute" in text, text[-3000:]
            assert "created topic streams-pageviews\n" not in text, text[-3000:]  # it existed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_enrichment_join_example():
    tmp = tempfile.mkdtemp(prefix="freshet-ex-")
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"streams-customers": 2, "streams-orders": 2, "streams-orders-enriched": 2})
            sh.produce(b.bootstrap, "streams-customers", [(b"c1", b'{"name":"Alice","tier":"gold"}'),
                                                          (b"c2", b'{"name":"Bob"}')])
            time.sleep(0.5)  # orders are later in record time, so the table has its rows first
            sh.produce(b.bootstrap, "streams-orders", [
                (b"o1", b'{"customer":"c1","item":"book","amount":12.5}'),
                (b"o2", b'{"customer":"c2","item":"pen"}'),
                (b"o3", b'{"customer":"c9","item":"ink"}'),
                (b"o4", b"not json"),            # logged and skipped
                (b"o5", b'{"item":"nobody"}')])  # no customer: null key, dropped
            expected = {
                "o1": ("c1", {"name": "Alice", "tier": "gold"}),
                "o2": ("c2", {"name": "Bob"}),
                "o3": ("c9", None)}

            def check():
                got = {}
                for _, _, k, v in sh.read_all(b.bootstrap, "streams-orders-enriched"):
                    doc = json.loads(v)
                    order_id = [o for o, (c, _) in expected.items() if c == k.decode()]
                    got[order_id[0] if order_id else k.decode()] = (k.decode(), doc["customer"])
                return got == expected, got
            run_example("enrichment_join", b.bootstrap, tmp, check)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_wordcount_example_counts_exactly, test_pageview_windowed_example, test_enrichment_join_example])
