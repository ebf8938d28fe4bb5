#!/usr/bin/env python3
"""Incremental fetch sessions (KIP-227) over the wire, as Kafka's FetchManager
keeps them: a full fetch with epoch 0 opens a session; incremental fetches
(epochs 1, 2, ...) name only what changed, read every partition of the
session, long-poll on all of them, and are answered with the partitions that
have records, a changed high watermark or log start, or an error; the ones
that got records go to the back of the session; a stale epoch is
INVALID_FETCH_SESSION_EPOCH, an unknown id FETCH_SESSION_ID_NOT_FOUND; epoch
-1 closes a session, and so does forgetting every partition;
max.incremental.fetch.session.cache.slots bounds the cache.  Fetch v7 is the
first version with sessions (the Java client's; librdkafka, kafkajs and
kafka-python fetch without them)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource  # noqa: E402

FETCH = 1
NONE, UNKNOWN_TOPIC_OR_PARTITION, FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH = 0, 3, 70, 71


def produce(c, topic, partition, value):
    res = kw.produce_now(c, topic, partition, value)
    assert res[2] == 0, res


def fetch(c, topics, **kw_args):
    c.request(FETCH, 7, kw.fetch_v7(topics, **kw_args))
    return kw.parse_fetch_v7_response(c.recv_frame())


def parts_of(answer):
    """{(topic, partition): (error, high_watermark, log_start, [(base offset, count)])}"""
    return {(t, p): (e, hw, ls, kw.batch_offsets(recs)) for t, p, e, hw, ls, recs in answer}


def test_incremental_fetches_answer_what_changed():
    with Broker() as b:
        c, other = RawClient(b.port, timeout=40), RawClient(b.port)
        try:
            kw.create_topic(c, "fs", 3)
            kw.create_topic(c, "gone", 1)
            produce(c, "fs", 0, b"a")
            err, sid, got = fetch(c, [("fs", [(0, 0), (1, 0), (2, 0)]), ("gone", [(0, 0)])], epoch=0)
            assert err == NONE and sid != 0, (err, sid)
            assert parts_of(got) == {("fs", 0): (NONE, 1, 0, [(0, 1)]), ("fs", 1): (NONE, 0, 0, []),
                                     ("fs", 2): (NONE, 0, 0, []), ("gone", 0): (NONE, 0, 0, [])}, got

            # the session remembers the partitions: a fetch naming only fs-0's new offset is
            # answered with none of them (nothing new, no offset changed) once its wait is over
            err, sid1, got = fetch(c, [("fs", [(0, 1)])], session_id=sid, epoch=1, max_wait=200)
            assert (err, sid1, got) == (NONE, sid, []), (err, sid1, got)

            # it long-polls on every partition of the session, not only on the ones it names
            c.request(FETCH, 7, kw.fetch_v7([], session_id=sid, epoch=2, max_wait=30000))
            produce(other, "fs", 2, b"b")
            err, _, got = kw.parse_fetch_v7_response(c.recv_frame())
            assert err == NONE and parts_of(got) == {("fs", 2): (NONE, 1, 0, [(0, 1)])}, got

            err, _, got = fetch(c, [("fs", [(2, 1)])], session_id=sid, epoch=3, max_wait=100)
            assert (err, got) == (NONE, []), got

            # a stale epoch (a resent request) and an unknown id are refused, with no partitions
            assert fetch(c, [], session_id=sid, epoch=3) == (INVALID_FETCH_SESSION_EPOCH, 0, [])
            assert fetch(c, [], session_id=sid ^ 0x5a5a, epoch=1) == (FETCH_SESSION_ID_NOT_FOUND, 0, [])
            # neither moved the session on: epoch 4 is still the one it expects
            err, _, got = fetch(c, [], session_id=sid, epoch=4, max_wait=50)
            assert (err, got) == (NONE, []), (err, got)

            # a forgotten partition is neither read nor waited on...
            err, _, got = fetch(c, [], session_id=sid, epoch=5, forgotten=[("fs", [1])], max_wait=50)
            assert (err, got) == (NONE, []), got
            produce(other, "fs", 1, b"c")
            err, _, got = fetch(c, [], session_id=sid, epoch=6, max_wait=300)
            assert (err, got) == (NONE, []), got
            # ...and named again it is answered in full, as a partition new to the session
            err, _, got = fetch(c, [("fs", [(1, 0)])], session_id=sid, epoch=7)
            assert parts_of(got) == {("fs", 1): (NONE, 1, 0, [(0, 1)])}, got

            # an error is answered every time
            c.request(20, 0, kw.delete_topics_v0(["gone"]))
            c.recv_frame()
            for epoch, moved in ((8, [("fs", [(1, 1)])]), (9, [])):
                err, _, got = fetch(c, moved, session_id=sid, epoch=epoch)
                assert parts_of(got) == {("gone", 0): (UNKNOWN_TOPIC_OR_PARTITION, -1, -1, [])}, (epoch, got)

            # epoch -1 closes the session and fetches without one
            err, sid2, got = fetch(c, [("fs", [(0, 0)])], session_id=sid, epoch=-1)
            assert (err, sid2, [g[:2] for g in got]) == (NONE, 0, [("fs", 0)]), (err, sid2, got)
            assert fetch(c, [], session_id=sid, epoch=10) == (FETCH_SESSION_ID_NOT_FOUND, 0, [])

            # so does forgetting every partition: the request is answered without a session
            err, sid3, _ = fetch(c, [("fs", [(0, 1)])], epoch=0)
            assert err == NONE and sid3 not in (0, sid), sid3
            err, sid4, got = fetch(c, [], session_id=sid3, epoch=1, forgotten=[("fs", [0])])
            assert (err, sid4, got) == (NONE, 0, []), (err, sid4, got)
            assert fetch(c, [], session_id=sid3, epoch=2) == (FETCH_SESSION_ID_NOT_FOUND, 0, [])
        finally:
            c.close()
            other.close()


def test_partitions_that_got_records_go_to_the_back():
    """With room for one partition's batch per response (max_bytes 1: only the first batch goes),
    the partition just served moves behind the others, so they are read first next time."""
    with Broker() as b:
        c = RawClient(b.port)
        try:
            kw.create_topic(c, "rot", 2)
            for v in (b"a0", b"a1", b"a2"):
                produce(c, "rot", 0, v)
            produce(c, "rot", 1, b"b0")
            err, sid, got = fetch(c, [("rot", [(0, 0), (1, 0)])], epoch=0, max_bytes=1)
            assert [(p, kw.batch_offsets(r)) for _, p, _, _, _, r in got] == [(0, [(0, 1)]), (1, [])], got
            # the session keeps the order the full fetch asked: rot-0 first, its next batch served,
            # rot-1 left out
            err, _, got = fetch(c, [("rot", [(0, 1)])], session_id=sid, epoch=1, max_bytes=1)
            assert [(p, kw.batch_offsets(r)) for _, p, _, _, _, r in got] == [(0, [(1, 1)])], got
            # rot-0 went to the back: rot-1 is read first and gets the room, rot-0 waits its turn
            err, _, got = fetch(c, [("rot", [(0, 2)])], session_id=sid, epoch=2, max_bytes=1)
            assert [(p, kw.batch_offsets(r)) for _, p, _, _, _, r in got] == [(1, [(0, 1)])], got
            err, _, got = fetch(c, [("rot", [(1, 1)])], session_id=sid, epoch=3, max_bytes=1)
            assert [(p, kw.batch_offsets(r)) for _, p, _, _, _, r in got] == [(0, [(2, 1)])], got
        finally:
            c.close()


def test_a_parked_fetch_whose_session_is_emptied_meanwhile():
    """A fetch parked on a session that another connection empties (forgetting its last partition,
    which closes it) is answered INVALID_FETCH_SESSION_EPOCH when data wakes it, and what it read is let
    go: the broker's shutdown under LeakSanitizer finds nothing held."""
    with Broker() as b:
        a, c = RawClient(b.port, timeout=40), RawClient(b.port)
        try:
            kw.create_topic(c, "park", 1)
            produce(c, "park", 0, b"a")
            _, sid, _ = fetch(a, [("park", [(0, 0)])], epoch=0)
            a.request(FETCH, 7, kw.fetch_v7([("park", [(0, 1)])], session_id=sid, epoch=1, max_wait=30000))
            err, sid2, got = fetch(c, [], session_id=sid, epoch=2, forgotten=[("park", [0])])
            assert (err, sid2, got) == (NONE, 0, []), (err, sid2, got)
            produce(c, "park", 0, b"b")
            assert kw.parse_fetch_v7_response(a.recv_frame()) == (INVALID_FETCH_SESSION_EPOCH, sid, [])
        finally:
            a.close()
            c.close()
        b.stop()  # checks the exit: a leak report fails it


def test_the_cache_holds_max_incremental_fetch_session_cache_slots():
    """One cache of that many sessions (Kafka 3.8 divides the slots among 8 shards, so there 1 would
    give no session at all; its documentation speaks of the total)."""
    with Broker({"max.incremental.fetch.session.cache.slots": "1"}) as b:
        a, c = RawClient(b.port), RawClient(b.port)
        try:
            kw.create_topic(a, "slots", 1)
            _, sid_a, _ = fetch(a, [("slots", [(0, 0)])], epoch=0)
            # the one slot is taken by a session in use for less than two minutes: no session
            _, sid_b, got = fetch(c, [("slots", [(0, 0)])], epoch=0)
            assert sid_a != 0 and sid_b == 0 and len(got) == 1, (sid_a, sid_b, got)
            assert fetch(a, [], session_id=sid_a, epoch=1) == (NONE, sid_a, [])
            # closing it frees the slot
            fetch(a, [("slots", [(0, 0)])], session_id=sid_a, epoch=-1)
            _, sid_b, _ = fetch(c, [("slots", [(0, 0)])], epoch=0)
            assert sid_b != 0, sid_b
        finally:
            a.close()
            c.close()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        res = ConfigResource(ConfigResource.Type.BROKER, "0")
        described = admin.describe_configs([res])[res].result(30)
        entry = described["max.incremental.fetch.session.cache.slots"]
        assert entry.value == "1" and entry.is_read_only, (entry.value, entry.is_read_only)
    with Broker({"max.incremental.fetch.session.cache.slots": "0"}) as b:
        c = RawClient(b.port)
        try:
            kw.create_topic(c, "off", 1)
            err, sid, got = fetch(c, [("off", [(0, 0)])], epoch=0)
            assert (err, sid, len(got)) == (NONE, 0, 1), (err, sid, got)
        finally:
            c.close()
    try:
        with Broker({"max.incremental.fetch.session.cache.slots": "-1"}):
            raise AssertionError("a broker started with max.incremental.fetch.session.cache.slots=-1")
    except AssertionError as e:
        assert "max.incremental.fetch.session.cache.slots" in str(e) and "at least 0" in str(e), str(e)[-2000:]


if __name__ == "__main__":
    run_tests([test_incremental_fetches_answer_what_changed,
               test_partitions_that_got_records_go_to_the_back,
               test_a_parked_fetch_whose_session_is_emptied_meanwhile,
               test_the_cache_holds_max_incremental_fetch_session_cache_slots])
