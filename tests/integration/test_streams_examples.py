#!/usr/bin/env python3
"""examples/streams/wordcount (Kafka's WordCountDemo) against a real broker:
a small text goes into streams-plaintext-input and the latest count per word
in streams-wordcount-output must be exact; SIGTERM must close the app
cleanly (exit 0, state NOT_RUNNING logged).

The binary is found next to FRESHET_BIN: <build>/examples/streams/wordcount
(the freshet binary sits at the top of the build tree).  Words follow Java's
split("\\\\W+") on the lowercased line: runs of [a-z0-9_], any other byte
(UTF-8 included) separates; empty words are dropped (see wordcount.c).
"""
import collections
import os
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


def expected_counts(lines):
    counts = collections.Counter()
    for line in lines:
        counts.update(w.decode() for w in re.split(rb"\W+", line.lower()) if w)
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
                assert "" not in got and "caf" in got, got
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


if __name__ == "__main__":
    run_tests([test_wordcount_example_counts_exactly])
