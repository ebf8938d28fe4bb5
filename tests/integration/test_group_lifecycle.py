#!/usr/bin/env python3
"""The group coordinator's lifecycle as Kafka's: __consumer_offsets deleted
and made again, groups reloaded with their members, group.max.size,
ListGroups' state filter, and members that never send their SyncGroup."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, answered, run_tests, wait_for  # noqa: E402
import kafka_wire as kw  # noqa: E402
from group_wire import FAST, await_coordinator, call, first_member, join_v4, parse_join_v4  # noqa: E402


def list_groups_flexible(c, states, types=None):
    """ListGroups v4 with a states filter, or v5 with a types filter too
    -> [(group id, state)], or [(group id, state, type)] at v5 (flexible:
    compact strings and arrays, one-byte lengths are enough here)"""
    def strings(items):
        return bytes([len(items) + 1]) + b"".join(bytes([len(s) + 1]) + s.encode() for s in items)
    version = 4 if types is None else 5
    body = strings(states) + (b"" if types is None else strings(types)) + b"\x00"
    c.request(16, version, body, flexible=True)
    resp = c.recv_frame()
    assert struct.unpack_from(">h", resp, 9)[0] == 0, resp  # correlation, header tags, throttle, error
    off, out = 12, []
    for _ in range(resp[11] - 1):
        fields = []
        for _f in range(3 if version == 4 else 4):  # group id, protocol type, state (, type)
            n = resp[off] - 1
            fields.append(resp[off + 1:off + 1 + n].decode())
            off += 1 + n
        off += 1  # the entry's tagged fields
        out.append((fields[0], fields[2]) + tuple(fields[3:]))
    return out


def test_list_groups_matches_states_as_kafka_does():
    """GroupMetadataManager.listGroups: a state filter is trimmed and compared
    without regard to case.  v5's types filter (KIP-848): every group here is
    "classic", as every group of Kafka's classic coordinator; a type is
    matched without regard to case but not trimmed (Group.GroupType.parse)."""
    with Broker(coordinator=True, overrides=FAST) as b:
        c = RawClient(b.port)
        gen, member = first_member(c, "g")
        assert kw.parse_sync_group_v0_response(call(c, 14, 0, kw.sync_group_v0("g", gen, member, [])))[0] == 0
        assert list_groups_flexible(c, ["Stable"]) == [("g", "Stable")]
        assert list_groups_flexible(c, ["stable"]) == [("g", "Stable")]
        assert list_groups_flexible(c, [" STABLE "]) == [("g", "Stable")]
        assert list_groups_flexible(c, ["empty", "dead"]) == []
        assert list_groups_flexible(c, ["Stabl"]) == []
        for types in ([], ["classic"], ["CLASSIC"], ["consumer", "Classic"]):
            assert list_groups_flexible(c, [], types) == [("g", "Stable", "classic")], types
        for types in (["consumer"], ["share"], [" classic"], ["classics"]):
            assert list_groups_flexible(c, [], types) == [], types
        assert list_groups_flexible(c, ["Empty"], ["classic"]) == []
        c.close()


def test_a_session_expires_at_its_deadline():
    """Kafka's heartbeat purgatory removes a member when its session timeout has
    passed since its last heartbeat, to the millisecond; a client may wait out the
    timeout and count on it (librdkafka's 0081 test sleeps the session timeout,
    then deletes the group).  Freshet looked only on its 100 ms tick, so up to a
    tick late (55-80 ms in that test).  Three groups whose members last beat 35 ms
    apart, so that their deadlines share a tick's round, each asked about 30 ms
    after its deadline: the tick alone would be in time for all three about one
    time in forty, a timer for the first deadline alone about one in eight."""
    overrides = dict(FAST, **{"group.min.session.timeout.ms": "500"})
    with Broker(coordinator=True, overrides=overrides) as b:
        c = RawClient(b.port)
        call(c, 19, 0, kw.create_topics_v0("t", 1))
        members = []
        for i in range(3):
            group = "expiry-%d" % i
            await_coordinator(c, group)
            err, gen, _p, _l, member, _m = kw.parse_join_group_v0_response(
                call(c, 11, 0, kw.join_group_v0(group, session_timeout=1000)))
            assert err == 0, err
            assert kw.parse_sync_group_v0_response(call(c, 14, 0, kw.sync_group_v0(group, gen, member, [])))[0] == 0
            members.append((group, gen, member))
        beats = []
        for group, gen, member in members:
            assert kw.parse_error_only_v0(call(c, 12, 0, kw.heartbeat_v0(group, gen, member))) == 0
            beats.append(time.monotonic())  # the broker's deadline is at most a second after this
            time.sleep(0.035)
        still_there = []
        for (group, _gen, _member), beat in zip(members, beats):
            time.sleep(max(0.0, beat + 1.030 - time.monotonic()))
            got = kw.parse_describe_groups_v0_response(call(c, 15, 0, kw.describe_groups_v0([group])))[group]
            if got[4]:
                still_there.append((group, got[1], round(time.monotonic() - beat, 3)))
        assert not still_there, still_there
        c.close()


def find_coordinator_v1(c, group):
    """FindCoordinator v1 for a group -> (error, node id)"""
    resp = call(c, 10, 1, kw.string(group) + b"\x00")
    err, = struct.unpack_from(">h", resp, 8)  # correlation, throttle
    _msg, off = kw._read_string(resp, 10)
    node, = struct.unpack_from(">i", resp, off)
    return err, node


def sync_group_v5_error(c, group, protocol):
    """SyncGroup v5 (flexible) with protocol type and name both null or both
    set, and no assignments -> its error code"""
    def compact(v):
        return b"\x00" if v is None else bytes([len(v) + 1]) + v.encode()
    ptype = None if protocol is None else "consumer"
    body = (compact(group) + struct.pack(">i", 1) + compact("m") + compact(None) + compact(ptype) + compact(protocol)
            + b"\x01" + b"\x00")  # no assignments, no tagged fields
    c.request(14, 5, body, flexible=True)
    return struct.unpack_from(">h", c.recv_frame(), 9)[0]  # correlation, header tags, throttle


def delete_groups_v0(c, groups):
    """DeleteGroups v0 -> [(group, error)]"""
    resp = call(c, 42, 0, struct.pack(">i", len(groups)) + b"".join(kw.string(g) for g in groups))
    n, = struct.unpack_from(">i", resp, 8)  # after the correlation id and throttle time
    off, out = 12, []
    for _ in range(n):
        g, off = kw._read_string(resp, off)
        out.append((g, struct.unpack_from(">h", resp, off)[0]))
        off += 2
    return out


def test_a_waiting_join_hears_not_coordinator_when_the_offsets_topic_goes():
    """A JoinGroup parked in the first rebalance's delay is answered
    NOT_COORDINATOR when __consumer_offsets is deleted, as Kafka's
    onGroupUnloaded completes pending joins (was UNKNOWN_MEMBER_ID)."""
    NOT_COORDINATOR = 16
    with Broker(coordinator=True, overrides=dict(FAST, **{"group.initial.rebalance.delay.ms": "5000"})) as b:
        c, admin = RawClient(b.port), RawClient(b.port)
        call(admin, 19, 0, kw.create_topics_v0("t", 1))
        c.request(11, 0, kw.join_group_v0("g"))
        time.sleep(0.3)
        assert not answered(c, 0), "the join did not wait for the initial rebalance delay"
        assert kw.parse_delete_topics_v0_response(call(admin, 20, 0, kw.delete_topics_v0(["__consumer_offsets"])))[1] \
            == [("__consumer_offsets", 0)]
        assert answered(c, 3), "the waiting join was not answered when its coordinator went"
        assert kw.parse_join_group_v0_response(c.recv_frame())[0] == NOT_COORDINATOR
        c.close()
        admin.close()


def test_the_offsets_topic_is_made_when_a_client_first_needs_a_coordinator():
    """As in Kafka, __consumer_offsets does not exist until the first
    FindCoordinator for a group (not even after a restart), and until then
    every group request answers NOT_COORDINATOR in its own shape (Kafka's
    validateGroupStatus when the broker leads no offsets partition), after
    the INVALID_GROUP_ID check (and SyncGroup v5's protocol check, which
    KafkaApis makes first).  Before, the topic was made at start-up."""
    NOT_COORDINATOR, INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE = 16, 24, 15
    INCONSISTENT_GROUP_PROTOCOL, GROUP_ID_NOT_FOUND = 23, 69
    with Broker(overrides=dict(FAST, **{"offsets.topic.num.partitions": "3"})) as b:
        def offsets_dirs():
            return sorted(n for n in os.listdir(b.log_dir) if n.startswith("__consumer_offsets"))
        c = RawClient(b.port)
        call(c, 19, 0, kw.create_topics_v0("t", 1))
        b.restart()
        c = RawClient(b.port)
        assert offsets_dirs() == []
        _, topics = kw.parse_metadata_v1_response(call(c, 3, 1, kw.metadata_v1(None)))
        assert sorted(topics) == ["t"], topics
        assert kw.parse_join_group_v0_response(call(c, 11, 0, kw.join_group_v0("g")))[0] == NOT_COORDINATOR
        assert kw.parse_join_group_v0_response(call(c, 11, 0, kw.join_group_v0("")))[0] == INVALID_GROUP_ID
        assert kw.parse_sync_group_v0_response(call(c, 14, 0, kw.sync_group_v0("g", 1, "m", [])))[0] \
            == NOT_COORDINATOR
        assert sync_group_v5_error(c, "g", None) == INCONSISTENT_GROUP_PROTOCOL
        assert sync_group_v5_error(c, "", None) == INCONSISTENT_GROUP_PROTOCOL
        assert sync_group_v5_error(c, "g", "range") == NOT_COORDINATOR
        assert kw.parse_error_only_v0(call(c, 12, 0, kw.heartbeat_v0("g", 1, "m"))) == NOT_COORDINATOR
        assert kw.parse_error_only_v0(call(c, 13, 0, kw.string("g") + kw.string("m"))) == NOT_COORDINATOR
        assert kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2("g", -1, "", [("t", 0, 5)]))) \
            == {("t", 0): NOT_COORDINATOR}
        # OffsetFetch v1 puts the error on each partition asked for; v3 answers it alone
        assert kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("g", "t", [0]))) \
            == {("t", 0): (-1, NOT_COORDINATOR)}
        resp = call(c, 9, 3, kw.offset_fetch_v1("g", "t", [0]))
        assert struct.unpack_from(">iih", resp, 4) == (0, 0, NOT_COORDINATOR), resp  # throttle, no topics, error
        assert kw.parse_describe_groups_v0_response(call(c, 15, 0, kw.describe_groups_v0(["g"]))) \
            == {"g": (NOT_COORDINATOR, "", "", "", [])}
        assert delete_groups_v0(c, ["g", ""]) == [("g", NOT_COORDINATOR), ("", NOT_COORDINATOR)]
        resp = call(c, 47, 0, kw.string("g") + struct.pack(">i", 0))  # OffsetDelete
        assert struct.unpack_from(">h", resp, 4)[0] == NOT_COORDINATOR, resp
        assert offsets_dirs() == []

        assert find_coordinator_v1(c, "g") == (COORDINATOR_NOT_AVAILABLE, -1)
        wait_for(lambda: find_coordinator_v1(c, "g")[0] == 0, "the offsets topic made")
        assert offsets_dirs() == ["__consumer_offsets-%d" % p for p in range(3)]
        gen, member = first_member(c, "g")
        assert kw.parse_sync_group_v0_response(call(c, 14, 0, kw.sync_group_v0("g", gen, member, [])))[0] == 0
        assert kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2("g", gen, member,
                                                                                      [("t", 0, 5)]))) \
            == {("t", 0): 0}
        # the group "" that a simple consumer's commits make can be deleted, as in Kafka
        assert kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2("", -1, "", [("t", 0, 2)]))) \
            == {("t", 0): 0}
        assert delete_groups_v0(c, ["", "nope"]) == [("", 0), ("nope", GROUP_ID_NOT_FOUND)]
        assert kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("", "t", [0]))) \
            == {("t", 0): (-1, 0)}
        c.close()
        b.restart()
        c = RawClient(b.port)
        assert kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("g", "t", [0]))) \
            == {("t", 0): (5, 0)}
        c.close()


def test_deleting_the_offsets_topic_drops_the_groups_and_it_comes_back():
    """Deleting __consumer_offsets (Kafka allows it) takes every group's state
    with it, as Kafka's coordinator resigns with its partitions; the next
    FindCoordinator makes the topic again in its own shape (COORDINATOR_NOT_AVAILABLE
    meanwhile, as Kafka's getCoordinator answers), and commits work and
    survive a restart without the broker being restarted first.  Before,
    every commit failed with COORDINATOR_NOT_AVAILABLE until a restart.
    Until it is back, group requests answer NOT_COORDINATOR, as Kafka's do
    once the broker leads none of its partitions."""
    COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR = 15, 16
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
    with Broker(coordinator=True, overrides=FAST) as b:
        c = RawClient(b.port)
        call(c, 19, 0, kw.create_topics_v0("t", 1))
        p = Producer({"bootstrap.servers": "127.0.0.1:%d" % b.port})
        for i in range(10):
            p.produce("t", b"v%d" % i)
        assert p.flush(10) == 0
        assert kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2("solo", -1, "", [("t", 0, 5)]))) \
            == {("t", 0): 0}
        cons = Consumer({"bootstrap.servers": "127.0.0.1:%d" % b.port, "group.id": "live",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
        cons.subscribe(["t"])
        got = []
        deadline = time.time() + 20
        while len(got) < 10 and time.time() < deadline:
            m = cons.poll(0.5)
            if m is not None and not m.error():
                got.append(m.value())
        assert len(got) == 10, got
        cons.commit(offsets=[TopicPartition("t", 0, 10)], asynchronous=False)

        assert kw.parse_delete_topics_v0_response(call(c, 20, 0, kw.delete_topics_v0(["__consumer_offsets"])))[1] \
            == [("__consumer_offsets", 0)]
        # the groups went with it, and the broker coordinates none until the topic is back
        assert kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("solo", "t", [0]))) \
            == {("t", 0): (-1, NOT_COORDINATOR)}
        assert find_coordinator_v1(c, "solo") == (COORDINATOR_NOT_AVAILABLE, -1)
        wait_for(lambda: find_coordinator_v1(c, "solo")[0] == 0, "the offsets topic made again", timeout=20)
        _, topics = kw.parse_metadata_v1_response(call(c, 3, 1, kw.metadata_v1(["__consumer_offsets"])))
        assert topics["__consumer_offsets"] == (0, 5), topics  # offsets.topic.num.partitions
        assert kw.parse_offset_commit_v2_response(call(c, 8, 2, kw.offset_commit_v2("solo", -1, "", [("t", 0, 7)]))) \
            == {("t", 0): 0}

        # the consumer that was in the middle of it finds its group gone, rejoins and commits again
        def committed_again():
            cons.poll(0.2)
            try:
                cons.commit(offsets=[TopicPartition("t", 0, 9)], asynchronous=False)
                return True
            except KafkaException:
                return False
        wait_for(committed_again, "the live consumer committing again", timeout=60)
        cons.close()
        c.close()
        b.restart()
        c = RawClient(b.port)
        assert kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("solo", "t", [0]))) \
            == {("t", 0): (7, 0)}
        assert kw.parse_offset_fetch_v1_response(call(c, 9, 1, kw.offset_fetch_v1("live", "t", [0]))) \
            == {("t", 0): (9, 0)}
        c.close()


def test_a_group_reloaded_with_members_takes_a_new_one():
    """A group's members come back from __consumer_offsets at a restart; a
    member joining it afterwards is added to that list.  (The list was
    loaded at its exact size while its recorded capacity stayed 0, and a
    join then wrote past its end.)"""
    with Broker(coordinator=True, overrides=FAST) as b:
        a = RawClient(b.port)
        gen, ma = first_member(a, "back")
        assert kw.parse_sync_group_v0_response(call(a, 14, 0, kw.sync_group_v0("back", gen, ma, [])))[0] == 0
        a.close()
        b.restart()
        a, n = RawClient(b.port), RawClient(b.port)
        n.request(11, 0, kw.join_group_v0("back"))  # a newcomer: the reloaded group rebalances for it
        time.sleep(0.3)
        err, gen, _p, _l, _m, members = kw.parse_join_group_v0_response(call(a, 11, 0, kw.join_group_v0("back", ma)))
        err_n, gen_n, _p, _l, mn, _ = kw.parse_join_group_v0_response(n.recv_frame())
        assert (err, err_n, gen, gen_n) == (0, 0, 2, 2), (err, err_n, gen, gen_n)
        assert sorted(members) == sorted([ma, mn]), members
        a.close()
        n.close()


def test_group_max_size_turns_newcomers_away():
    """group.max.size, as Kafka's acceptJoiningMember applies it: a full
    Stable group answers a newcomer GROUP_MAX_SIZE_REACHED (with no member
    id) and keeps its members; mid-rebalance the members already waiting
    count, and a member that had not rejoined yet is let go."""
    GROUP_MAX_SIZE_REACHED = 81
    with Broker(coordinator=True, overrides=dict(FAST, **{"group.max.size": "2"})) as b:
        a, bc, cc = RawClient(b.port), RawClient(b.port), RawClient(b.port)
        gen, ma = first_member(a, "full")
        assert kw.parse_sync_group_v0_response(call(a, 14, 0, kw.sync_group_v0("full", gen, ma, [])))[0] == 0
        bc.request(11, 0, kw.join_group_v0("full"))  # a second member: the group rebalances for it
        time.sleep(0.3)
        err, gen, _p, _l, _m, members = kw.parse_join_group_v0_response(call(a, 11, 0, kw.join_group_v0("full", ma)))
        err_b, gen_b, _p, _l, mb, _ = kw.parse_join_group_v0_response(bc.recv_frame())
        assert (err, err_b, gen, gen_b, len(members)) == (0, 0, 2, 2, 2), (err, err_b, gen, gen_b, members)
        assert kw.parse_sync_group_v0_response(call(a, 14, 0, kw.sync_group_v0("full", gen, ma, [])))[0] == 0
        assert kw.parse_sync_group_v0_response(call(bc, 14, 0, kw.sync_group_v0("full", gen, mb, [])))[0] == 0
        # full: a third is turned away, and the group is as it was
        err, _gen, _p, _l, member, _ = kw.parse_join_group_v0_response(call(cc, 11, 0, kw.join_group_v0("full")))
        assert (err, member) == (GROUP_MAX_SIZE_REACHED, ""), (err, member)
        groups = kw.parse_describe_groups_v0_response(call(a, 15, 0, kw.describe_groups_v0(["full"])))
        assert groups["full"][1] == "Stable" and sorted(groups["full"][4]) == sorted([ma, mb]), groups
        # mid-rebalance the members already waiting count: "a" rejoins (a new subscription), a
        # newcomer fits beside it, and "b", which had not rejoined yet, is then the one let go
        a.request(11, 0, kw.join_group_v0("full", ma, topics=("t", "u")))
        time.sleep(0.3)
        cc.request(11, 0, kw.join_group_v0("full"))
        time.sleep(0.3)
        err, _gen, _p, _l, member, _ = kw.parse_join_group_v0_response(call(bc, 11, 0, kw.join_group_v0("full", mb)))
        assert (err, member) == (GROUP_MAX_SIZE_REACHED, ""), (err, member)
        err_a, gen_a, _p, _l, _m, members = kw.parse_join_group_v0_response(a.recv_frame())
        err_c, gen_c, _p, _l, mc, _ = kw.parse_join_group_v0_response(cc.recv_frame())
        assert (err_a, err_c, gen_a, gen_c) == (0, 0, 3, 3), (err_a, err_c, gen_a, gen_c)
        assert sorted(members) == sorted([ma, mc]), members
        for c in (a, bc, cc):
            c.close()
        # the group was stored with two members (generation 2); loaded under a lower maximum it rebalances
        b.overrides["group.max.size"] = "1"
        b.restart()
        c = RawClient(b.port)
        groups = kw.parse_describe_groups_v0_response(call(c, 15, 0, kw.describe_groups_v0(["full"])))
        assert groups["full"][1] == "PreparingRebalance", groups
        c.close()


MEMBER_ID_REQUIRED, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS = 79, 25, 27


def join_with_id(c, group, rebalance):
    """A new member joining with JoinGroup v4 (asked for an id first) -> (generation, member id, members)"""
    err, _, mid, _ = parse_join_v4(call(c, 11, 4, join_v4(group, session=10000, rebalance=rebalance)))
    assert err == MEMBER_ID_REQUIRED, err
    err, gen, mid, members = parse_join_v4(call(c, 11, 4, join_v4(group, mid, session=10000, rebalance=rebalance)))
    assert err == 0, err
    return gen, mid, members


def heartbeat(c, group, gen, member):
    return kw.parse_error_only_v0(call(c, 12, 0, kw.heartbeat_v0(group, gen, member)))


def describe(c, group):
    """-> (state, [member ids])"""
    err, state, _ptype, _proto, members = kw.parse_describe_groups_v0_response(
        call(c, 15, 0, kw.describe_groups_v0([group])))[group]
    assert err == 0, err
    return state, members


def test_a_leader_that_never_syncs_is_removed_after_the_rebalance_timeout():
    """Kafka's pending sync (KAFKA-12890): once a join phase completes, every
    member owes a SyncGroup within the rebalance timeout.  A leader that keeps
    heartbeating but never hands out assignments is removed then, rather than
    holding its group in CompletingRebalance for good (as it did before)."""
    with Broker(coordinator=True, overrides=FAST) as b:
        c = RawClient(b.port, timeout=30)
        call(c, 19, 0, kw.create_topics_v0("t", 1))
        gen, a, members = join_with_id(c, "ns", rebalance=1500)
        assert members == [a], members  # the leader's answer lists the members
        assert describe(c, "ns") == ("CompletingRebalance", [a])
        started = time.time()

        def gone():
            err = heartbeat(c, "ns", gen, a)
            assert err in (0, UNKNOWN_MEMBER_ID), err
            return err == UNKNOWN_MEMBER_ID
        wait_for(gone, "the leader that never synced removed", timeout=15, interval=0.3)
        assert time.time() - started > 1.0  # not before its rebalance timeout
        assert describe(c, "ns") == ("Empty", [])
        c.close()


def test_a_follower_that_never_syncs_is_removed_and_the_rest_rebalance():
    """The same in a Stable group: the leader synced, a follower that has not
    sent its SyncGroup by the rebalance timeout is removed, and the member
    that did sync stays and is asked to rejoin (REBALANCE_IN_PROGRESS)."""
    with Broker(coordinator=True, overrides=FAST) as b:
        c1, c2 = RawClient(b.port, timeout=30), RawClient(b.port, timeout=30)
        call(c1, 19, 0, kw.create_topics_v0("t", 1))
        gen, a, _ = join_with_id(c1, "nf", rebalance=1500)
        assert kw.parse_sync_group_v0_response(call(c1, 14, 0, kw.sync_group_v0("nf", gen, a, [(a, b"x")])))[0] == 0
        # b joins (its JoinGroup waits for the rebalance), a rejoins: generation 2 with both
        err, _, bid, _ = parse_join_v4(call(c2, 11, 4, join_v4("nf", session=10000, rebalance=1500)))
        assert err == MEMBER_ID_REQUIRED, err
        c2.request(11, 4, join_v4("nf", bid, session=10000, rebalance=1500))
        time.sleep(0.3)
        err, gen2, _, members = parse_join_v4(call(c1, 11, 4, join_v4("nf", a, session=10000, rebalance=1500)))
        assert err == 0 and gen2 == gen + 1 and sorted(members) == sorted([a, bid]), (err, gen2, members)
        err, gen_b, _, _ = parse_join_v4(c2.recv_frame())
        assert (err, gen_b) == (0, gen2), err
        assert kw.parse_sync_group_v0_response(
            call(c1, 14, 0, kw.sync_group_v0("nf", gen2, a, [(a, b"x"), (bid, b"y")])))[0] == 0
        assert describe(c1, "nf")[0] == "Stable"

        def follower_gone():
            assert heartbeat(c1, "nf", gen2, a) in (0, REBALANCE_IN_PROGRESS)
            err = heartbeat(c2, "nf", gen2, bid)
            assert err in (0, UNKNOWN_MEMBER_ID), err
            return err == UNKNOWN_MEMBER_ID
        wait_for(follower_gone, "the follower that never synced removed", timeout=15, interval=0.3)
        assert heartbeat(c1, "nf", gen2, a) == REBALANCE_IN_PROGRESS
        assert describe(c1, "nf") == ("PreparingRebalance", [a])
        c1.close()
        c2.close()


def test_joins_check_instance_ids_as_kafka_validates_current_members():
    """GroupCoordinator.validateCurrentMember on JoinGroup: a known member
    rejoining with an instance id that maps to no one is UNKNOWN_MEMBER_ID
    (before: a rebalance); and replaceStaticMember fences the old
    incarnation's waiting JoinGroup at once (before: only when the
    rebalance ended, up to its timeout later)."""
    UNKNOWN, FENCED = 25, 82
    with Broker(coordinator=True, overrides=dict(FAST, **{"group.initial.rebalance.delay.ms": "1000"})) as b:  # both statics in one
        c = RawClient(b.port, timeout=30)
        call(c, 19, 0, kw.create_topics_v0("t", 1))
        err, _gen, _leader, dyn, _ = kw.parse_join_group_v5_response(call(c, 11, 5, kw.join_group_v5("dyn")))
        assert err == MEMBER_ID_REQUIRED, err
        err, *_ = kw.parse_join_group_v5_response(call(c, 11, 5, kw.join_group_v5("dyn", dyn)))
        assert err == 0, err
        err, *_ = kw.parse_join_group_v5_response(call(c, 11, 5, kw.join_group_v5("dyn", dyn, instance_id="ghost")))
        assert err == UNKNOWN, err
        assert describe(c, "dyn")[0] == "CompletingRebalance"  # no rebalance started

        # two static members, Stable; s1 rejoins with a new subscription and waits for s2
        s1c, s2c, newc = (RawClient(b.port, timeout=30) for _ in range(3))
        s1c.request(11, 5, kw.join_group_v5("st", instance_id="s1"))
        time.sleep(0.3)
        s2c.request(11, 5, kw.join_group_v5("st", instance_id="s2"))
        joined = [kw.parse_join_group_v5_response(x.recv_frame()) for x in (s1c, s2c)]
        assert [j[0] for j in joined] == [0, 0], joined
        gen, s1 = joined[0][1], joined[0][3]
        leader = joined[0][2]
        for x, (_e, _g, _l, mid, _m) in zip((s1c, s2c), joined):
            assigns = [(mid2, b"") for _e2, _g2, _l2, mid2, _m2 in joined] if mid == leader else []
            x.request(14, 0, kw.sync_group_v0("st", gen, mid, assigns))
        for x in (s1c, s2c):
            assert kw.parse_sync_group_v0_response(x.recv_frame())[0] == 0
        s1c.request(11, 5, kw.join_group_v5("st", s1, instance_id="s1", topics=("t", "u")))
        assert not answered(s1c, 0.5)
        # s1's new incarnation takes its place: the old one's join is answered at once
        newc.request(11, 5, kw.join_group_v5("st", instance_id="s1"))
        assert answered(s1c, 3), "the replaced incarnation's JoinGroup still waits"
        assert kw.parse_join_group_v5_response(s1c.recv_frame())[0] == FENCED

        # handleLeaveGroup lets a pending id go before it looks at an instance id (before: UNKNOWN)
        err, _, pending, _ = parse_join_v4(call(c, 11, 4, join_v4("dyn", session=10000)))
        assert err == MEMBER_ID_REQUIRED, err
        resp = call(c, 13, 3, kw.string("dyn") + struct.pack(">i", 1) + kw.string(pending) + kw.string("inst"))
        _corr, _throttle, top, n = struct.unpack_from(">iihi", resp, 0)
        _mid, off = kw._read_string(resp, 14)
        _iid, off = kw._read_string(resp, off)
        assert (top, n, struct.unpack_from(">h", resp, off)[0]) == (0, 1, 0)
        for x in (c, s1c, s2c, newc):
            x.close()


def test_offset_delete_protects_the_current_generations_topics():
    """GroupMetadata.initNextGeneration fixes a consumer group's subscribed
    topics for the generation; OffsetDelete refuses those
    (GROUP_SUBSCRIBED_TO_TOPIC) even while a member's rejoin asks for others.
    Before, the rejoin's new subscription counted at once: the offsets of a
    topic the running generation still consumes were deleted."""
    GROUP_SUBSCRIBED_TO_TOPIC = 86
    with Broker(coordinator=True, overrides=dict(FAST, **{"group.initial.rebalance.delay.ms": "1000"})) as b:
        c1, c2, admin = (RawClient(b.port, timeout=30) for _ in range(3))
        for t in ("t", "t2", "t3"):
            call(admin, 19, 0, kw.create_topics_v0(t, 1))
        ids = []
        for c, topics in ((c1, ("t", "t2")), (c2, ("t",))):
            err, _, mid, _ = parse_join_v4(call(c, 11, 4, join_v4("od", session=10000, rebalance=30000,
                                                                  topics=topics)))
            assert err == MEMBER_ID_REQUIRED, err
            ids.append(mid)
            c.request(11, 4, join_v4("od", mid, session=10000, rebalance=30000, topics=topics))
        joined = [parse_join_v4(c.recv_frame()) for c in (c1, c2)]
        assert [j[0] for j in joined] == [0, 0], joined
        gen = joined[0][1]
        leader = next(j for j in joined if j[3])  # the leader's answer lists the members
        for c, mid in zip((c1, c2), ids):
            assigns = [(m, b"") for m in ids] if mid == leader[2] else []
            c.request(14, 0, kw.sync_group_v0("od", gen, mid, assigns))
        assert [kw.parse_sync_group_v0_response(c.recv_frame())[0] for c in (c1, c2)] == [0, 0]
        assert kw.parse_offset_commit_v2_response(call(admin, 8, 2, kw.offset_commit_v2(
            "od", gen, ids[0], [("t2", 0, 5), ("t3", 0, 5)]))) == {("t2", 0): 0, ("t3", 0): 0}
        # the first member rejoins for t and t3, and waits for the other
        c1.request(11, 4, join_v4("od", ids[0], session=10000, rebalance=30000, topics=("t", "t3")))
        time.sleep(0.3)
        assert describe(admin, "od")[0] == "PreparingRebalance"
        body = kw.string("od") + struct.pack(">i", 2) + b"".join(
            kw.string(t) + struct.pack(">ii", 1, 0) for t in ("t2", "t3"))
        resp = call(admin, 47, 0, body)
        err, _throttle, n = struct.unpack_from(">hii", resp, 4)
        off, got = 14, {}
        for _ in range(n):
            name, off = kw._read_string(resp, off)
            for _ in range(struct.unpack_from(">i", resp, off)[0]):
                p, e = struct.unpack_from(">ih", resp, off + 4)
                got[name] = e
                off += 6
            off += 4
        assert (err, got) == (0, {"t2": GROUP_SUBSCRIBED_TO_TOPIC, "t3": 0}), (err, got)
        for c in (c1, c2, admin):
            c.close()


def test_a_member_whose_sync_was_turned_away_keeps_its_session():
    """A follower's parked SyncGroup answered REBALANCE_IN_PROGRESS (a newcomer
    started a rebalance) leaves it an ordinary member: when it goes silent its
    session expires, and the rebalance goes on without waiting out the
    rebalance timeout.  Before, it stayed exempt from session expiry until a
    later sync completed."""
    with Broker(coordinator=True, overrides=dict(FAST, **{"group.initial.rebalance.delay.ms": "1000"})) as b:
        a, f, late = (RawClient(b.port, timeout=40) for _ in range(3))
        call(a, 19, 0, kw.create_topics_v0("t", 1))
        ids = []
        for c in (a, f):
            err, _, mid, _ = parse_join_v4(call(c, 11, 4, join_v4("aw", session=6000, rebalance=30000)))
            assert err == MEMBER_ID_REQUIRED, err
            ids.append(mid)
            c.request(11, 4, join_v4("aw", mid, session=6000, rebalance=30000))
        joined = [parse_join_v4(c.recv_frame()) for c in (a, f)]
        gen = joined[0][1]
        # the leader (its answer lists the members) never syncs; the follower's SyncGroup waits for it
        fc, fid = next((c, j[2]) for c, j in zip((a, f), joined) if not j[3])
        fc.request(14, 0, kw.sync_group_v0("aw", gen, fid, []))
        assert not answered(fc, 0.3)
        started = time.time()
        err, _, newcomer, _ = parse_join_v4(call(late, 11, 4, join_v4("aw", session=6000, rebalance=30000)))
        late.request(11, 4, join_v4("aw", newcomer, session=6000, rebalance=30000))
        assert answered(fc, 5)
        assert kw.parse_sync_group_v0_response(fc.recv_frame())[0] == REBALANCE_IN_PROGRESS
        # both old members are silent from here: their sessions end, the rebalance with them
        assert answered(late, 20), "the rebalance waited out its 30 s timeout for a silent member"
        err, _gen2, _mid, members = parse_join_v4(late.recv_frame())
        assert err == 0 and members == [newcomer], (err, members)
        assert time.time() - started < 20
        for c in (a, f, late):
            c.close()


if __name__ == "__main__":
    run_tests([
        test_list_groups_matches_states_as_kafka_does,
        test_a_session_expires_at_its_deadline,
        test_the_offsets_topic_is_made_when_a_client_first_needs_a_coordinator,
        test_a_waiting_join_hears_not_coordinator_when_the_offsets_topic_goes,
        test_deleting_the_offsets_topic_drops_the_groups_and_it_comes_back,
        test_group_max_size_turns_newcomers_away,
        test_a_group_reloaded_with_members_takes_a_new_one,
        test_a_leader_that_never_syncs_is_removed_after_the_rebalance_timeout,
        test_a_follower_that_never_syncs_is_removed_and_the_rest_rebalance,
        test_joins_check_instance_ids_as_kafka_validates_current_members,
        test_offset_delete_protects_the_current_generations_topics,
        test_a_member_whose_sync_was_turned_away_keeps_its_session,
    ])
