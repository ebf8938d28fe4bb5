#!/usr/bin/env python3
"""Fetch v13-v17 (KIP-516): topics named by id, as the Java client does
against a broker that offers those versions.  An id the broker does not know
(never made, deleted, or the zero id) is UNKNOWN_TOPIC_ID on each of its
partitions; a fetch session made by a v13+ fetch keeps ids, and an
incremental fetch of the other kind than its session is refused with
FETCH_SESSION_TOPIC_ID_ERROR, the session left as it was (Kafka's
FetchManager.newContext)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, answered, api_versions, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402

FETCH = 1
NONE, UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, FETCH_SESSION_TOPIC_ID_ERROR = 0, 3, 100, 106


def topic_id(b, topic):
    """The topic's id as a client learns it: from Metadata v12."""
    c = RawClient(b.port)
    try:
        c.request(3, 12, kw.metadata_by_id(12, [(bytes(16), topic)]), flexible=True)
        [(err, name, tid, _)] = kw.parse_metadata_v10_plus(12, c.recv_frame())[1]
    finally:
        c.close()
    assert (err, name) == (NONE, topic) and tid != bytes(16), (err, name, tid)
    return tid


def produce(c, topic, partition, value):
    res = kw.produce_now(c, topic, partition, value)
    assert res[2] == 0, res


def fetch(c, topics, version=13, **kw_args):
    c.request(FETCH, version, kw.fetch_flexible(topics, version=version, **kw_args), flexible=True)
    return kw.parse_fetch_flexible_response(c.recv_frame(), version)


def parts_of(answer):
    """{(topic id, partition): (error, high_watermark, log_start, [(base offset, count)])}"""
    return {(t, p): (e, hw, ls, kw.batch_offsets(recs)) for t, p, e, hw, ls, recs in answer}


def test_fetch_names_topics_by_id():
    with Broker() as b:
        assert api_versions(b.port)[FETCH] == (4, 17), api_versions(b.port)[FETCH]
        c = RawClient(b.port)
        try:
            kw.create_topic(c, "by-id", 2)
            kw.create_topic(c, "other", 1)
            produce(c, "by-id", 0, b"a")
            produce(c, "by-id", 0, b"b")
            produce(c, "other", 0, b"c")
            tid, other = topic_id(b, "by-id"), topic_id(b, "other")
            stranger = bytes(range(1, 17))
            for v in (13, 14, 15, 16, 17):
                err, sid, got = fetch(c, [(tid, [(0, 1), (1, 0), (7, 0)]), (other, [(0, 0)]),
                                          (stranger, [(0, 0)]), (bytes(16), [(3, 0)])], version=v)
                assert (err, sid) == (NONE, 0), (v, err, sid)
                # in the request's order, each topic answered under its id
                assert [(t, p) for t, p, *_ in got] == [(tid, 0), (tid, 1), (tid, 7), (other, 0),
                                                        (stranger, 0), (bytes(16), 3)], (v, got)
                assert parts_of(got) == {
                    (tid, 0): (NONE, 2, 0, [(1, 1)]), (tid, 1): (NONE, 0, 0, []),
                    (tid, 7): (UNKNOWN_TOPIC_OR_PARTITION, -1, -1, []), (other, 0): (NONE, 1, 0, [(0, 1)]),
                    (stranger, 0): (UNKNOWN_TOPIC_ID, -1, -1, []),
                    (bytes(16), 3): (UNKNOWN_TOPIC_ID, -1, -1, [])}, (v, got)

            # a deleted topic's id is unknown from then on, also once a topic of its name is back
            c.request(20, 0, kw.delete_topics_v0(["other"]))
            c.recv_frame()
            kw.create_topic(c, "other", 1)
            assert topic_id(b, "other") != other
            err, _, got = fetch(c, [(other, [(0, 0)])])
            assert parts_of(got) == {(other, 0): (UNKNOWN_TOPIC_ID, -1, -1, [])}, got
            # the versions before 13 still name topics
            err, _, got = fetch(c, [("by-id", [(0, 0)])], version=12)
            assert [(t, p, e, kw.batch_offsets(r)) for t, p, e, _, _, r in got] == [
                ("by-id", 0, NONE, [(0, 1), (1, 1)])], got
        finally:
            c.close()


def test_sessions_keep_topic_ids():
    with Broker() as b:
        c, other = RawClient(b.port, timeout=40), RawClient(b.port)
        try:
            kw.create_topic(c, "s1", 2)
            kw.create_topic(c, "s2", 1)
            produce(c, "s1", 0, b"a")
            t1, t2 = topic_id(b, "s1"), topic_id(b, "s2")
            err, sid, got = fetch(c, [(t1, [(0, 0), (1, 0)]), (t2, [(0, 0)])], epoch=0, version=16)
            assert err == NONE and sid != 0, (err, sid)
            assert parts_of(got) == {(t1, 0): (NONE, 1, 0, [(0, 1)]), (t1, 1): (NONE, 0, 0, []),
                                     (t2, 0): (NONE, 0, 0, [])}, got

            # incremental: nothing changed, nothing answered; a long poll wakes on a partition
            # the request does not name, answered under its id
            err, sid1, got = fetch(c, [(t1, [(0, 1)])], session_id=sid, epoch=1, max_wait=100, version=16)
            assert (err, sid1, got) == (NONE, sid, []), (err, sid1, got)
            c.request(FETCH, 16, kw.fetch_flexible([], version=16, session_id=sid, epoch=2, max_wait=30000),
                      flexible=True)
            produce(other, "s2", 0, b"b")
            err, _, got = kw.parse_fetch_flexible_response(c.recv_frame(), 16)
            assert (err, parts_of(got)) == (NONE, {(t2, 0): (NONE, 1, 0, [(0, 1)])}), (err, got)

            # a fetch before v13 cannot use a session keyed by ids, nor the other way round; the
            # session is left as it was (epoch 3 is still the one it expects)
            assert fetch(c, [], session_id=sid, epoch=3, version=12) == (FETCH_SESSION_TOPIC_ID_ERROR, 0, [])
            # forgetting by id
            err, _, got = fetch(c, [(t2, [(0, 1)])], session_id=sid, epoch=3, forgotten=[(t1, [1])],
                                max_wait=50, version=16)
            assert (err, got) == (NONE, []), (err, got)
            produce(other, "s1", 1, b"c")
            err, _, got = fetch(c, [], session_id=sid, epoch=4, max_wait=300, version=16)
            assert (err, got) == (NONE, []), got

            # a topic deleted under the session is answered UNKNOWN_TOPIC_ID on every fetch
            c.request(20, 0, kw.delete_topics_v0(["s2"]))
            c.recv_frame()
            for epoch in (5, 6):
                err, _, got = fetch(c, [], session_id=sid, epoch=epoch, version=16)
                assert (err, parts_of(got)) == (NONE, {(t2, 0): (UNKNOWN_TOPIC_ID, -1, -1, [])}), (epoch, got)

            # a session made before v13 refuses a v13 fetch the same way
            _, sid12, _ = fetch(c, [("s1", [(0, 1)])], epoch=0, version=12)
            assert sid12 not in (0, sid), sid12
            assert fetch(c, [], session_id=sid12, epoch=1) == (FETCH_SESSION_TOPIC_ID_ERROR, 0, [])
            assert fetch(c, [], session_id=sid12, epoch=1, max_wait=50, version=12) == (NONE, sid12, [])
        finally:
            c.close()
            other.close()


def test_a_topic_deleted_under_a_parked_fetch_ends_its_wait():
    """Kafka's DelayedFetch completes at once when a partition it waits on goes away; a partition
    that was never there does not end the wait (test_admin_and_fetch).  By name and by id."""
    with Broker() as b:
        c, admin = RawClient(b.port, timeout=90), RawClient(b.port)
        try:
            for v in (12, 16):
                kw.create_topic(admin, "stays", 1)
                kw.create_topic(admin, "goes", 1)
                key = (lambda t: topic_id(b, t)) if v >= 13 else (lambda t: t)
                stays, goes = key("stays"), key("goes")
                c.request(FETCH, v, kw.fetch_flexible([(stays, [(0, 0)]), (goes, [(0, 0)])], version=v,
                                                      max_wait=60000), flexible=True)
                assert not answered(c, 0.5), v  # parked: nothing to read
                admin.request(20, 0, kw.delete_topics_v0(["goes"]))
                admin.recv_frame()
                assert answered(c, 20), "a parked fetch outlived its deleted topic (v%d)" % v
                err, _, got = kw.parse_fetch_flexible_response(c.recv_frame(), v)
                gone = UNKNOWN_TOPIC_ID if v >= 13 else UNKNOWN_TOPIC_OR_PARTITION
                assert (err, parts_of(got)) == (NONE, {(stays, 0): (NONE, 0, 0, []), (goes, 0): (gone, -1, -1, [])}), \
                    (v, got)
                admin.request(20, 0, kw.delete_topics_v0(["stays"]))
                admin.recv_frame()
        finally:
            c.close()
            admin.close()


if __name__ == "__main__":
    run_tests([test_fetch_names_topics_by_id, test_sessions_keep_topic_ids,
               test_a_topic_deleted_under_a_parked_fetch_ends_its_wait])
