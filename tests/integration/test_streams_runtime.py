#!/usr/bin/env python3
"""The streams runtime (fr_streams_t) against a real broker, with a
processor-API topology: streams_testapp passthrough copies every record to
the output topic and counts records per key in the store "seen".

  - start-up errors: a missing source topic and processing.guarantee=
    exactly_once_v2 fail with clear messages (and exit 1, not a crash);
  - states: REBALANCING -> RUNNING, and PENDING_SHUTDOWN -> NOT_RUNNING on a
    clean close (SIGTERM handled by the application's main thread);
  - two stream threads split the tasks; every record reaches the output
    exactly once when nothing crashes;
  - the changelog topic is created compacted and holds the store's content;
  - interactive queries answer from the store; after state.dir is deleted
    the store is restored from the changelog and queries give the same
    answers, and processing continues from there;
  - wall-clock punctuation, and the uncaught-error policy (ERROR, exit 1);
  - freshet.state.store.map.bytes bounds each task's store: past it, ERROR
    with a message naming the key;
  - window stores (streams_testapp windowcount): compact,delete changelog,
    window fetch through interactive queries.
"""
import collections
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "streams", "apps"))
from harness import Broker, run_tests  # noqa: E402
import streams_helpers as sh  # noqa: E402

FAST = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "3"}


def run_app_expecting_failure(b, tmp, *extra):
    app = sh.require_testapp()
    cmd = [app, "passthrough", "--bootstrap", b.bootstrap, "--app-id", "bad-app", "--input", "no-such-topic",
           "--output", "out", "--state-dir", os.path.join(tmp, "state")]
    for kv in extra:
        cmd += ["--set", kv]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, **sh.SAN_ENV))
    assert "Sanitizer" not in p.stderr and "runtime error:" not in p.stderr, p.stderr
    return p


def test_startup_errors():
    tmp = tempfile.mkdtemp(prefix="freshet-rt-")
    try:
        with Broker(FAST) as b:
            p = run_app_expecting_failure(b, tmp)
            assert p.returncode == 1, (p.returncode, p.stderr)
            assert "source topic no-such-topic is missing" in p.stderr, p.stderr
            p = run_app_expecting_failure(b, tmp, "processing.guarantee=exactly_once_v2")
            assert p.returncode in (1, 2), (p.returncode, p.stderr)
            assert "exactly_once_v2" in p.stderr and "transactions" in p.stderr, p.stderr
            p = run_app_expecting_failure(b, tmp, "no.such.setting=1")
            assert p.returncode in (1, 2) and "no.such.setting" in p.stderr, p.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def wait_seen(app, keys, expected, timeout=60):
    def check():
        wrong = []
        for k in keys:
            got = app.get("seen", k)
            if got != ("VALUE", expected):
                wrong.append((k, got))
        return not wrong, wrong[:5]
    sh.wait_until(check, timeout, "store 'seen' to hold %d for every key" % expected, interval=0.5)


def test_passthrough_threads_iq_and_restore():
    tmp = tempfile.mkdtemp(prefix="freshet-rt-")
    state = os.path.join(tmp, "state")
    apps = []
    try:
        with Broker(FAST) as b:
            app_id = "passthrough"
            sh.create_topics(b.bootstrap, {"pt-input": 6, "pt-output": 6})
            keys = ["k%03d" % i for i in range(300)]

            def start():
                a = sh.StreamsApp("passthrough", b.bootstrap, app_id, "pt-input", "pt-output", state, threads=2,
                                  commit_ms=200, log_dir=tmp, name="app%d" % len(apps))
                apps.append(a)
                return a.start()

            a = start()
            a.wait_state("RUNNING", 60)
            assert a.states[0] == "REBALANCING", a.states
            log = a.read_log()
            for th in (1, 2):
                assert "passthrough-StreamThread-%d] created task" % th in log, "thread %d got no task:\n%s" % (
                    th, log[-5000:])

            records = [(k, "%s-v%d" % (k, i)) for i in range(10) for k in keys]
            sh.produce(b.bootstrap, "pt-input", records)
            wait_seen(a, keys, 10)

            out = sh.read_all(b.bootstrap, "pt-output")
            got = collections.Counter((k.decode(), v.decode()) for _, _, k, v in out)
            assert got == collections.Counter(records), "output differs: %d records, want %d" % (
                len(out), len(records))
            assert a.get("seen", "nope") == ("MISSING", None)
            assert a.get("no-such-store", "k000") == ("ERROR", "INVALID_ARG")
            # Ranges run over every local task: each key once, ascending within a task.
            every = a.range("seen")
            assert len(every) == len(keys) and dict(every) == {k: 10 for k in keys}, every[:20]
            some = a.range("seen", "k010", "k019")
            assert sorted(some) == [("k%03d" % i, 10) for i in range(10, 20)], some
            assert a.range("seen", "k299", "k2999") == [("k299", 10)]
            assert a.range("no-such-store") == ("ERROR", "INVALID_ARG")

            changelog = "%s-seen-changelog" % app_id
            assert sh.list_topics(b.bootstrap).get(changelog) == 6
            assert sh.topic_configs(b.bootstrap, changelog).get("cleanup.policy") == "compact"
            assert sh.latest_longs(b.bootstrap, changelog) == {k: 10 for k in keys}

            a.stop()
            for s in ("PENDING_SHUTDOWN", "NOT_RUNNING"):
                assert s in a.states, a.states

            # state.dir deleted: the store comes back from the changelog.
            shutil.rmtree(state)
            a = start()
            a.wait_state("RUNNING", 60)
            assert "restoring task 0_" in a.read_log(), a.tail()
            wait_seen(a, keys, 10, timeout=10)
            sh.produce(b.bootstrap, "pt-input", [(k, "again") for k in keys])
            wait_seen(a, keys, 11)
            a.stop()

            # Restart with the state kept: nothing to restore past the checkpoint.
            a = start()
            a.wait_state("RUNNING", 60)
            wait_seen(a, keys, 11, timeout=10)
            log = a.read_log()
            assert "created task 0_" in log, log[-5000:]
            assert "restoring task" not in log and "restored" not in log, log[-5000:]
            a.stop()
    finally:
        for x in apps:
            x.ensure_dead()
        shutil.rmtree(tmp, ignore_errors=True)


def test_wall_clock_punctuation_and_uncaught_error():
    """Wall-clock punctuators fire from the thread loop; a task error stops
    the client in ERROR with the cause, and the process is not killed by it."""
    tmp = tempfile.mkdtemp(prefix="freshet-rt-")
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"pu-input": 3, "pu-output": 3})
            a = sh.StreamsApp("passthrough", b.bootstrap, "punctuate", "pu-input", "pu-output",
                              os.path.join(tmp, "state"), commit_ms=200, log_dir=tmp, args=["--punctuate-ms", "100"])
            a.start()
            try:
                a.wait_state("RUNNING", 60)

                def ticks():
                    keys = {k.decode() for _, _, k, _ in sh.read_all(b.bootstrap, "pu-output")}
                    return keys >= {"tick-0", "tick-1", "tick-2"}, sorted(keys)
                sh.wait_until(ticks, 30, "a wall-clock tick from every task", interval=0.5)

                sh.produce(b.bootstrap, "pu-input", [("x", "fine"), ("x", "poison")])
                rc = a.wait_exit(60)
                assert rc == 1, (rc, a.tail())
                assert "ERROR" in a.states, a.states
                log = a.read_log()
                assert "the application failed" in log and "failed processing pu-input" in log, log[-5000:]
            finally:
                a.ensure_dead()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_state_past_the_map_size_fails_the_application():
    """freshet.state.store.map.bytes reaches every task's store: with 1 MiB,
    a few MB of distinct keys fill it, and the application stops in ERROR
    with a message naming the key, instead of growing without bound."""
    tmp = tempfile.mkdtemp(prefix="freshet-rt-")
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"full-input": 1, "full-output": 1})
            a = sh.StreamsApp("passthrough", b.bootstrap, "full", "full-input", "full-output",
                              os.path.join(tmp, "state"), commit_ms=200, log_dir=tmp,
                              args=["--set", "freshet.state.store.map.bytes=1048576"])
            a.start()
            try:
                a.wait_state("RUNNING", 60)
                sh.produce(b.bootstrap, "full-input", [("%08d" % i + "k" * 392, "v") for i in range(8000)])
                rc = a.wait_exit(60)
                assert rc == 1, (rc, a.tail())
                assert "ERROR" in a.states, a.states
                assert "raise freshet.state.store.map.bytes" in a.read_log(), a.tail()
            finally:
                a.ensure_dead()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

def test_window_store_queries():
    """A windowed count: its changelog is compact,delete; window fetch through
    interactive queries gives each window's count and latest timestamp."""
    tmp = tempfile.mkdtemp(prefix="freshet-rt-")
    try:
        with Broker(FAST) as b:
            sh.create_topics(b.bootstrap, {"wi-input": 2, "wi-output": 2})
            a = sh.StreamsApp("windowcount", b.bootstrap, "windows", "wi-input", "wi-output",
                              os.path.join(tmp, "state"), commit_ms=200, log_dir=tmp)
            a.start()
            try:
                a.wait_state("RUNNING", 60)
                base = 1700000000000 - 1700000000000 % 60000
                recs = [("a", "x", base + 1), ("a", "x", base + 2000), ("b", "x", base + 5),
                        ("a", "x", base + 59999), ("a", "x", base + 60000), ("a", "x", base + 61000)]
                sh.produce(b.bootstrap, "wi-input", recs)
                want = {"a": [(base, base + 59999, 3), (base + 60000, base + 61000, 2)], "b": [(base, base + 5, 1)]}
                for key, windows in want.items():
                    sh.wait_until(lambda: (lambda got: (got == windows, got))(
                        a.window_get("wcounts", key, 0, base * 2)), 30, "windows of %s" % key, interval=0.3)
                assert a.window_get("wcounts", "a", base + 1, base * 2) == want["a"][1:]
                assert a.window_get("wcounts", "zz", 0, base * 2) == []
                cfg = sh.topic_configs(b.bootstrap, "windows-wcounts-changelog")
                assert cfg.get("cleanup.policy") == "compact,delete", cfg
                a.stop()
            finally:
                a.ensure_dead()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sh.require_testapp()
    run_tests([test_startup_errors, test_passthrough_threads_iq_and_restore,
               test_wall_clock_punctuation_and_uncaught_error, test_state_past_the_map_size_fails_the_application,
               test_window_store_queries])
