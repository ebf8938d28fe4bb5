#!/usr/bin/env python3
"""Kafka's WordCount on the streams runtime, against a real broker.

1,000,000 words drawn from 10,000 distinct ones go through streams_testapp
wordcount (lines -> words -> groupBy(word) through a repartition topic ->
count in an LMDB store backed by a compacted changelog -> output topic of
8-byte big-endian longs).  The output topic's latest value per key must
equal the exact counts, through:

  1. two instances splitting the tasks;
  2. kill -9 of one instance once it is idle (everything it processed is
     committed), the other taking over its tasks and restoring their stores
     from the changelogs, while more input arrives;
  3. a clean restart of the killed instance (its stale state dir catches up
     from the changelog tail the other one wrote), more input;
  4. a clean stop of both, state.dir deleted, one instance restoring every
     store from the changelogs: interactive queries and the output after more
     input show the full counts.

What at-least-once promises for counts: a record is reflected in the store,
changelog and output before its offset is committed, so a count is never
short; an instance killed with uncommitted work leaves records that are
processed again, and those count twice.  Exact final counts after a kill -9
are therefore asserted where the killed instance had committed its work
(phase 2, the case a clean handoff must get right), and test_kill_under_load
asserts the at-least-once bound (no count below the truth, some above only
if a kill landed between commits).
"""
import collections
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "streams", "apps"))
from harness import Broker, run_tests  # noqa: E402
import streams_helpers as sh  # noqa: E402

FAST = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "3"}
WORDS = ["w%04d" % i for i in range(10000)]
PARTITIONS = 4


def lines_of(rng, nwords, counts, per_line=10):
    out = []
    for _ in range(nwords // per_line):
        ws = [WORDS[rng.randrange(len(WORDS))] for _ in range(per_line)]
        counts.update(ws)
        out.append((None, " ".join(ws)))
    return out


def wait_counts(bootstrap, topic, expected, timeout=240):
    def check():
        got = sh.latest_longs(bootstrap, topic)
        wrong = [(w, got.get(w), n) for w, n in expected.items() if got.get(w) != n]
        extra = [w for w in got if w not in expected]
        return not wrong and not extra, (len(wrong), wrong[:5], extra[:5])
    return sh.wait_until(check, timeout, "exact word counts in %s" % topic, interval=2)


def wait_committed(bootstrap, app_id, topics, timeout=120):
    sh.wait_until(lambda: (lambda lag: (lag == 0, lag))(sh.committed_lag(bootstrap, app_id, topics)), timeout,
                  "group %s to commit every input offset" % app_id)


def test_wordcount_handoff_and_restore():
    rng = random.Random(6)
    counts = collections.Counter()
    tmp = tempfile.mkdtemp(prefix="freshet-wc-")
    apps = []
    try:
        with Broker(FAST) as b:
            app_id = "wordcount"
            sh.create_topics(b.bootstrap, {"wc-input": PARTITIONS})
            sh.create_topics(b.bootstrap, {"wc-output": PARTITIONS}, {"cleanup.policy": "compact"})
            repartition = "%s-words-repartition" % app_id
            changelog = "%s-counts-changelog" % app_id

            def app(name, state=None):
                a = sh.StreamsApp("wordcount", b.bootstrap, app_id, "wc-input", "wc-output",
                                  os.path.join(tmp, "state-" + (state or name)), commit_ms=500, log_dir=tmp,
                                  name=name, extra={"repartition.purge.interval.ms": "1000"})
                apps.append(a)
                return a

            t0 = time.time()
            sh.produce(b.bootstrap, "wc-input", lines_of(rng, 400000, counts))
            a, bb = app("a").start(), app("b").start()
            a.wait_state("RUNNING", 60)
            bb.wait_state("RUNNING", 60)

            # Internal topics: created with the input's partition count; the changelog compacted.
            topics = sh.list_topics(b.bootstrap)
            assert topics.get(repartition) == PARTITIONS and topics.get(changelog) == PARTITIONS, topics
            assert sh.topic_configs(b.bootstrap, changelog).get("cleanup.policy") == "compact"

            # 1. two instances share the work, counts exact.
            wait_counts(b.bootstrap, "wc-output", counts)
            wait_committed(b.bootstrap, app_id, ["wc-input", repartition])
            for x in (a, bb):
                assert "created task 1_" in x.read_log(), "%s got no counting task:\n%s" % (x.name, x.tail())
            # Interactive queries: each key is answered by exactly one instance.
            for w in WORDS[:50]:
                answers = [x.get("counts", w) for x in (a, bb)]
                values = [v for k, v in answers if k == "VALUE"]
                assert values == [counts[w]], (w, answers, counts[w])
                assert sum(1 for k, v in answers if k == "ERROR" and v == "NOT_LEADER_OR_FOLLOWER") == 1, answers
            print("phase 1: %.1fs" % (time.time() - t0), flush=True)

            # 2. kill -9 of an idle, fully committed instance; the other takes over.
            bb.kill()
            sh.produce(b.bootstrap, "wc-input", lines_of(rng, 400000, counts))
            wait_counts(b.bootstrap, "wc-output", counts)
            assert "restored" in a.read_log() or "restoring task" in a.read_log(), a.tail()
            print("phase 2: %.1fs" % (time.time() - t0), flush=True)

            # 3. clean restart of the killed instance with its stale state dir.
            bb = app("b2", state="b").start()
            bb.wait_state("RUNNING", 90)
            wait_committed(b.bootstrap, app_id, ["wc-input", repartition])
            sh.produce(b.bootstrap, "wc-input", lines_of(rng, 100000, counts))
            wait_counts(b.bootstrap, "wc-output", counts)
            wait_committed(b.bootstrap, app_id, ["wc-input", repartition])
            # Consumed repartition records are purged (DeleteRecords) after commits.
            sh.wait_until(lambda: (lambda lw: (all(v > 0 for v in lw.values()), lw))(
                sh.low_watermarks(b.bootstrap, repartition)), 30, "repartition records to be purged")
            a.stop()
            bb.stop()
            print("phase 3: %.1fs" % (time.time() - t0), flush=True)

            # 4. state.dir deleted: everything restores from the changelog.
            shutil.rmtree(os.path.join(tmp, "state-a"))
            c = app("c", state="a").start()
            c.wait_state("RUNNING", 120)
            log = c.read_log()
            assert "restoring task 1_" in log, log[-5000:]
            for w in rng.sample(WORDS, 200):
                got = c.get("counts", w)
                assert got == ("VALUE", counts[w]) or (counts[w] == 0 and got[0] == "MISSING"), (w, got, counts[w])
            sh.produce(b.bootstrap, "wc-input", lines_of(rng, 100000, counts))
            wait_counts(b.bootstrap, "wc-output", counts)
            assert sum(counts.values()) == 1000000 and len(counts) == 10000, (sum(counts.values()), len(counts))
            c.stop()
            print("phase 4: %.1fs" % (time.time() - t0), flush=True)
    finally:
        for x in apps:
            x.ensure_dead()
        shutil.rmtree(tmp, ignore_errors=True)


def test_kill_under_load():
    """kill -9 while records flow: at-least-once means no count is ever short."""
    rng = random.Random(7)
    counts = collections.Counter()
    tmp = tempfile.mkdtemp(prefix="freshet-wc-kill-")
    apps = []
    try:
        with Broker(FAST) as b:
            app_id = "wordcount-kill"
            sh.create_topics(b.bootstrap, {"wck-input": PARTITIONS})
            sh.create_topics(b.bootstrap, {"wck-output": PARTITIONS}, {"cleanup.policy": "compact"})

            def app(name, state):
                a = sh.StreamsApp("wordcount", b.bootstrap, app_id, "wck-input", "wck-output",
                                  os.path.join(tmp, state), commit_ms=1000, log_dir=tmp, name=name)
                apps.append(a)
                return a.start()

            a, bb = app("a", "sa"), app("b", "sb")
            a.wait_state("RUNNING", 60)
            bb.wait_state("RUNNING", 60)
            # Records flow in chunks; b dies between two of them, with work in flight.
            for chunk in range(10):
                sh.produce(b.bootstrap, "wck-input", lines_of(rng, 15000, counts))
                time.sleep(0.2)
                if chunk == 4:
                    bb.kill()
            b2 = app("b2", "sb")
            b2.wait_state("RUNNING", 90)

            def at_least():
                got = sh.latest_longs(b.bootstrap, "wck-output")
                short = [(w, got.get(w), n) for w, n in counts.items() if got.get(w, 0) < n]
                return not short, (len(short), short[:5])
            sh.wait_until(at_least, 240, "every count to reach at least the truth", interval=2)
            wait_committed(b.bootstrap, app_id, ["wck-input", "%s-words-repartition" % app_id])
            got = sh.latest_longs(b.bootstrap, "wck-output")
            over = sum(got[w] - n for w, n in counts.items())
            print("after kill -9 under load: %d words counted again (at-least-once)" % over, flush=True)
            assert set(got) == set(counts)
            a.stop()
            b2.stop()
    finally:
        for x in apps:
            x.ensure_dead()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sh.require_testapp()
    run_tests([test_wordcount_handoff_and_restore, test_kill_under_load])
