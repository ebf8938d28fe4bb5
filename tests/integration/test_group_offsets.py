#!/usr/bin/env python3
"""Committed offsets and what happens to a group's state around them, over
the raw protocol: a deleted topic's offsets and the groups it leaves empty,
offset retention (Kafka's removeExpiredOffsets and a commit's own
retention_time_ms), OffsetDelete's group rules and the metadata size limit,
each across a broker restart where it matters (split from test_groups)."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, run_tests, wait_for  # noqa: E402
import kafka_wire as kw  # noqa: E402
from group_wire import FAST, call, describe_groups_v3, join_v4, list_groups, parse_join_v4  # noqa: E402

INVALID_GROUP_ID, REBALANCE_IN_PROGRESS, NON_EMPTY_GROUP, GROUP_SUBSCRIBED_TO_TOPIC = 24, 27, 68, 86


def group_records(bootstrap):
    """{group: [value or None, ...]}: the group metadata records (key version 2) in __consumer_offsets."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "records-reader", "enable.partition.eof": True,
                  "enable.auto.commit": False})
    c.assign([TopicPartition("__consumer_offsets", p, 0) for p in range(int(FAST["offsets.topic.num.partitions"]))])
    out, at_end, deadline = {}, set(), time.time() + 30
    while len(at_end) < int(FAST["offsets.topic.num.partitions"]) and time.time() < deadline:
        m = c.poll(1)
        if m is None:
            continue
        if m.error():
            assert m.error().code() == KafkaError._PARTITION_EOF, m.error()
            at_end.add(m.partition())
        elif struct.unpack_from(">h", m.key())[0] == 2:
            name, _ = kw._read_string(m.key(), 2)
            out.setdefault(name, []).append(m.value())
    c.close()
    assert len(at_end) == int(FAST["offsets.topic.num.partitions"]), at_end
    return out


def test_offsets_of_deleted_topics_are_dropped_and_groups_survive_restart():
    """A deleted topic's offsets are dropped, and with them every Empty group
    left without offsets, at once (Kafka's handleDeletedPartitions runs its
    cleanupGroupMetadata): Dead, unlisted, and after a restart still gone.
    Only a group that had a generation gets a group tombstone; one that only
    stored offsets (generation 0) never wrote metadata and gets none, as in
    Kafka.  Before, such groups stayed listed until the next offset-retention
    check (up to 10 minutes), and generation-0 groups got a tombstone."""
    b = Broker(coordinator=True, overrides=FAST)
    try:
        b.start()
        c = RawClient(b.port)
        call(c, 19, 0, kw.create_topics_v0("gone", 1))
        call(c, 19, 0, kw.create_topics_v0("kept", 1))
        res = kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2("g", -1, "", [("gone", 0, 3), ("kept", 0, 4)])))
        assert set(res.values()) == {0}, res
        res = kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2("only-gone", -1, "", [("gone", 0, 1)])))
        assert set(res.values()) == {0}, res
        # a consumer group whose member committed and left: Empty, in generation 2
        m = RawClient(b.port)
        err, gen, _, _, mid, _ = kw.parse_join_group_v0_response(call(m, 11, 0, kw.join_group_v0("left", topics=["gone"])))
        assert err == 0 and kw.parse_sync_group_v0_response(call(m, 14, 0, kw.sync_group_v0("left", gen, mid, [(mid, b"")])))[0] == 0
        assert kw.parse_offset_commit_v2_response(call(m, 8, 2, kw.offset_commit_v2("left", gen, mid, [("gone", 0, 2)]))) == {("gone", 0): 0}
        assert kw.parse_error_only_v0(call(m, 13, 0, kw.string("left") + kw.string(mid))) == 0
        m.close()
        assert describe_groups_v3(c, ["left"], False)["left"][1] == "Empty"
        assert kw.parse_delete_topics_v0_response(call(c, 20, 0, kw.delete_topics_v0(["gone"])))[1] == [("gone", 0)]
        got = kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("g", "gone", [0])))
        assert got == {("gone", 0): (-1, 0)}, got
        states = describe_groups_v3(c, ["g", "only-gone", "left"], False)
        assert [states[g][1] for g in ("g", "only-gone", "left")] == ["Empty", "Dead", "Dead"], states
        listed = list_groups(c)
        assert "g" in listed and "only-gone" not in listed and "left" not in listed, listed
        # DeleteGroups of a generation-0 group writes no group tombstone either
        call(c, 8, 2, kw.offset_commit_v2("admin-only", -1, "", [("kept", 0, 1)]))
        resp = call(c, 42, 0, struct.pack(">i", 1) + kw.string("admin-only"))
        assert resp[8:] == struct.pack(">i", 1) + kw.string("admin-only") + struct.pack(">h", 0), resp
        records = group_records(b.bootstrap)
        assert "only-gone" not in records and "admin-only" not in records, records
        assert records["left"][-1] is None and all(records["left"][:-1]), records
        err, gen, _, _, m, _ = kw.parse_join_group_v0_response(call(c, 11, 0, kw.join_group_v0("live", topics=["kept"])))
        assert err == 0
        # group metadata is written when the leader's assignment makes the group Stable (as in Kafka)
        assert kw.parse_sync_group_v0_response(call(c, 14, 0, kw.sync_group_v0("live", gen, m, [(m, b"a")])))[0] == 0
        c.close()
        b.restart()
        c = RawClient(b.port)
        got = kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("g", "kept", [0])))
        assert got == {("kept", 0): (4, 0)}, got
        got = kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("g", "gone", [0])))
        assert got == {("gone", 0): (-1, 0)}, got
        groups = kw.parse_describe_groups_v0_response(call(c, 15, 0, kw.describe_groups_v0(
            ["g", "live", "nope", "left", "only-gone", "admin-only"])))
        assert groups["g"][1] == "Empty", groups
        # the deleted groups stay deleted: the one with a generation by its tombstone, the two
        # that only stored offsets because the loader makes no group of offsets all deleted
        assert [groups[g][1] for g in ("nope", "left", "only-gone", "admin-only")] == ["Dead"] * 4, groups
        listed = list_groups(c)
        assert not {"left", "only-gone", "admin-only"} & set(listed), listed
        # the member of "live" survived the restart in the group's metadata and may heartbeat on
        assert groups["live"][1] == "Stable" and groups["live"][4] == [m], groups
        assert kw.parse_error_only_v0(call(c, 12, 0, kw.heartbeat_v0("live", gen, m))) in (0, REBALANCE_IN_PROGRESS)
        c.close()
    finally:
        b.stop()
        b.cleanup()


def test_offsets_of_empty_groups_expire_after_retention():
    """Kafka's GroupMetadata.removeExpiredOffsets, with a one-minute retention:
    a simple consumer's group loses each offset a retention after its commit;
    a group whose members left counts from when it became Empty, so a later
    commit (an admin reset) does not extend it; a Stable consumer group loses
    the offsets of topics its generation does not subscribe to, and keeps the
    others.  Before, the last two kept theirs for longer (from the later
    commit) or for good."""
    with Broker(coordinator=True, overrides=dict(FAST, **{"offsets.retention.minutes": "1",
                                        "offsets.retention.check.interval.ms": "1000"})) as b:
        c = RawClient(b.port)
        call(c, 19, 0, kw.create_topics_v0("t", 1))
        call(c, 19, 0, kw.create_topics_v0("u", 1))
        start = time.time()
        call(c, 8, 2, kw.offset_commit_v2("old", -1, "", [("t", 0, 9)]))
        assert kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("old", "t", [0]))) == {("t", 0): (9, 0)}
        # a consumer group that stays (subscribed to t), and one whose member leaves at once
        groups = {}
        for g in ("stays", "emptied"):
            m = RawClient(b.port)
            err, _, mid, _ = parse_join_v4(call(m, 11, 4, join_v4(g, session=10000)))
            err, gen, mid, _ = parse_join_v4(call(m, 11, 4, join_v4(g, mid, session=10000)))
            assert err == 0 and kw.parse_sync_group_v0_response(
                call(m, 14, 0, kw.sync_group_v0(g, gen, mid, [(mid, b"")])))[0] == 0
            assert kw.parse_offset_commit_v2_response(call(m, 8, 2, kw.offset_commit_v2(
                g, gen, mid, [("t", 0, 3), ("u", 0, 4)]))) == {("t", 0): 0, ("u", 0): 0}
            groups[g] = (m, gen, mid)
        m, _gen, mid = groups["emptied"]
        assert kw.parse_error_only_v0(call(m, 13, 0, kw.string("emptied") + kw.string(mid))) == 0
        m, gen, mid = groups["stays"]

        def fetch(g, topic):
            return kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1(g, topic, [0])))[(topic, 0)][0]
        while time.time() < start + 30:  # then an admin commit to the emptied group
            assert kw.parse_error_only_v0(call(m, 12, 0, kw.heartbeat_v0("stays", gen, mid))) == 0
            time.sleep(1)
        call(c, 8, 2, kw.offset_commit_v2("emptied", -1, "", [("t", 0, 7)]))
        deadline = start + 90
        while time.time() < deadline:
            assert kw.parse_error_only_v0(call(m, 12, 0, kw.heartbeat_v0("stays", gen, mid))) == 0
            got = (fetch("old", "t"), fetch("emptied", "t"), fetch("stays", "u"))
            if got == (-1, -1, -1):
                break
            time.sleep(1)
        assert got == (-1, -1, -1), "offsets not expired: %s" % (got,)
        assert time.time() < start + 75, "the emptied group's offset lived on past a retention from emptying"
        assert fetch("stays", "t") == 3  # the subscribed topic's stays
        got = {("t", 0): (-1, 0)}
        m.close()
        groups["emptied"][0].close()
        # left without offsets, the empty group is deleted (Kafka's cleanupGroupMetadata): Dead, and
        # not listed, also after a restart (its offsets' tombstones: a generation-0 group gets no
        # group tombstone, and the loader makes no group of offsets all deleted)
        wait_for(lambda: describe_groups_v3(c, ["old"], False)["old"][1] == "Dead", "the empty group's deletion")
        assert "old" not in list_groups(c)
        c.close()
        b.restart()
        c = RawClient(b.port)
        assert describe_groups_v3(c, ["old"], False)["old"][1] == "Dead" and "old" not in list_groups(c)
        c.close()


def test_a_commits_own_retention_time_expires_it():
    """OffsetCommit v2-v4's retention_time_ms gives the offsets their own
    expiry (Kafka's commitOffsets: now + retention; removeExpiredOffsets
    honours it), stored in the v1 value that carries it and read back after a
    restart; -1 leaves them to offsets.retention.minutes.  Before, the field
    was ignored."""
    with Broker(coordinator=True, overrides=dict(FAST, **{"offsets.retention.check.interval.ms": "500"})) as b:
        c = RawClient(b.port)
        call(c, 19, 0, kw.create_topics_v0("t", 1))

        def commit(group, offset, retention_ms):
            assert kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2(
                group, -1, "", [("t", 0, offset)], retention_ms=retention_ms))) == {("t", 0): 0}

        def fetch(group):
            return kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1(group, "t", [0])))[("t", 0)][0]
        commit("brief", 42, 2000)
        commit("kept", 7, 600000)
        commit("default", 9, -1)
        commit("forever", 5, 2 ** 63 - 1)  # saturates, where now + retention would overflow
        assert (fetch("brief"), fetch("kept"), fetch("default")) == (42, 7, 9)
        wait_for(lambda: fetch("brief") == -1, "the offset with a 2 s retention to expire", timeout=15)
        c.close()
        b.restart()
        c = RawClient(b.port)
        assert (fetch("brief"), fetch("kept"), fetch("default"), fetch("forever")) == (-1, 7, 9, 5)
        c.close()


def offset_delete_v0(group, topics):
    """topics: {name: [partitions]}"""
    body = kw.string(group) + struct.pack(">i", len(topics))
    for name, parts in topics.items():
        body += kw.string(name) + struct.pack(">i", len(parts)) + b"".join(struct.pack(">i", p) for p in parts)
    return body


def parse_offset_delete_v0(resp):
    """-> (top-level error, {(topic, partition): error})"""
    err, _throttle, n = struct.unpack_from(">hii", resp, 4)
    off, out = 14, {}
    for _ in range(n):
        name, off = kw._read_string(resp, off)
        pn, = struct.unpack_from(">i", resp, off)
        off += 4
        for _ in range(pn):
            p, e = struct.unpack_from(">ih", resp, off)
            off += 6
            out[(name, p)] = e
    return err, out


def test_offset_delete_follows_kafkas_group_rules():
    """ClassicGroup.validateOffsetDelete and isSubscribedToTopic: a group with
    members that is not a consumer group keeps every offset (NON_EMPTY_GROUP);
    a consumer group whose members' topics are not known yet (its first
    rebalance) counts as subscribed to every topic."""
    with Broker(coordinator=True, overrides=dict(FAST, **{"group.initial.rebalance.delay.ms": "3000"})) as b:
        c = RawClient(b.port)
        call(c, 19, 0, kw.create_topics_v0("t", 1))
        call(c, 19, 0, kw.create_topics_v0("other", 1))
        for g in ("workers", "fresh"):
            assert kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2(g, -1, "", [("t", 0, 5)]))) \
                == {("t", 0): 0}
        # a Connect-style group: a member of protocol type "connect" joins (the first join waits out the delay)
        body = kw.join_group_v0("workers").replace(kw.string("consumer"), kw.string("connect"))
        err, gen, _proto, _leader, member, _members = kw.parse_join_group_v0_response(call(c, 11, 0, body))
        assert err == 0, err
        assert parse_offset_delete_v0(call(c, 47, 0, offset_delete_v0("workers", {"t": [0]}))) == (NON_EMPTY_GROUP, {})
        assert kw.parse_sync_group_v0_response(call(c, 14, 0, kw.sync_group_v0("workers", gen, member, [])))[0] == 0
        assert parse_offset_delete_v0(call(c, 47, 0, offset_delete_v0("workers", {"t": [0]}))) == (NON_EMPTY_GROUP, {})
        assert kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("workers", "t", [0])))[("t", 0)] \
            == (5, 0)
        # a consumer group in its first rebalance: its member subscribes to "other" only, but no
        # protocol is chosen yet, so the coordinator cannot know that
        joiner = RawClient(b.port)
        joiner.request(11, 0, kw.join_group_v0("fresh", topics=("other",)))  # parked for the delay
        time.sleep(0.5)
        assert parse_offset_delete_v0(call(c, 47, 0, offset_delete_v0("fresh", {"t": [0]}))) \
            == (0, {("t", 0): GROUP_SUBSCRIBED_TO_TOPIC})
        err, gen, _proto, _leader, member, _members = kw.parse_join_group_v0_response(joiner.recv_frame())
        assert err == 0, err
        # once the generation is chosen its topics are known: "t" is not among them
        assert parse_offset_delete_v0(call(c, 47, 0, offset_delete_v0("fresh", {"t": [0]}))) == (0, {("t", 0): 0})
        assert parse_offset_delete_v0(call(c, 47, 0, offset_delete_v0("fresh", {"other": [0]}))) \
            == (0, {("other", 0): GROUP_SUBSCRIBED_TO_TOPIC})
        assert kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("fresh", "t", [0])))[("t", 0)] \
            == (-1, 0)
        joiner.close()
        # a group named "" (a simple consumer's commits make one) is no OffsetDelete target:
        # Kafka's isValidGroupId wants a name for it
        assert kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2("", -1, "", [("t", 0, 1)]))) \
            == {("t", 0): 0}
        assert parse_offset_delete_v0(call(c, 47, 0, offset_delete_v0("", {"t": [0]})))[0] == INVALID_GROUP_ID
        c.close()


def test_commit_metadata_is_limited_in_java_chars():
    """offset.metadata.max.bytes (4096) is compared with the metadata string's
    Java length (GroupMetadataManager.validateOffsetMetadataLength), so 3000
    e-acutes (6000 bytes) pass and a character outside the BMP counts two.
    Before, the limit counted UTF-8 bytes and refused the e-acutes."""
    OFFSET_METADATA_TOO_LARGE = 12
    with Broker(coordinator=True, overrides=FAST) as b:
        c = RawClient(b.port)
        call(c, 19, 0, kw.create_topics_v0("t", 1))

        def commit(md):
            return kw.parse_offset_commit_v2_response(
                call(c, 8, 2, kw.offset_commit_v2("md", -1, "", [("t", 0, 5, md)])))[("t", 0)]
        assert commit("\u00e9" * 3000) == 0
        assert commit("a" * 4096) == 0
        assert commit("\U0001F600" * 2048) == 0  # 4096 UTF-16 units
        assert commit("a" * 4097) == OFFSET_METADATA_TOO_LARGE
        assert commit("\u00e9" * 4097) == OFFSET_METADATA_TOO_LARGE
        assert commit("\U0001F600" * 2048 + "a") == OFFSET_METADATA_TOO_LARGE
        c.close()


if __name__ == "__main__":
    run_tests([
        test_offsets_of_deleted_topics_are_dropped_and_groups_survive_restart,
        test_offsets_of_empty_groups_expire_after_retention,
        test_a_commits_own_retention_time_expires_it,
        test_offset_delete_follows_kafkas_group_rules,
        test_commit_metadata_is_limited_in_java_chars,
    ])
