"""What the consumer-group tests share: the broker settings they run with and
a few raw-protocol steps (kafka_wire has the encoders)."""
import struct
import time

import kafka_wire as kw

FAST = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "5"}


def call(c, api, version, body):
    """One request on RawClient c -> its response frame."""
    c.request(api, version, body)
    return c.recv_frame()


def await_coordinator(c, group, timeout=20):
    """FindCoordinator v0 until it names one, as a client does before any group
    request: the first makes __consumer_offsets, answering
    COORDINATOR_NOT_AVAILABLE while it is made."""
    deadline = time.time() + timeout
    while True:
        err, = struct.unpack_from(">h", call(c, 10, 0, kw.string(group)), 4)
        if err == 0:
            return
        assert err == 15 and time.time() < deadline, err  # COORDINATOR_NOT_AVAILABLE
        time.sleep(0.05)


def first_member(c, group):
    """Creates topic "t" and joins group (JoinGroup v0) as its only member -> (generation, member id)."""
    call(c, 19, 0, kw.create_topics_v0("t", 1))
    await_coordinator(c, group)
    err, gen, _proto, _leader, member, _members = kw.parse_join_group_v0_response(
        call(c, 11, 0, kw.join_group_v0(group)))
    assert err == 0, err
    return gen, member


def join_v4(group, member_id="", session=6000, rebalance=60000, topics=("t",)):
    """JoinGroup v4 body (a rebalance timeout of its own, KIP-394 member ids)"""
    return (kw.string(group) + struct.pack(">ii", session, rebalance) + kw.string(member_id) + kw.string("consumer")
            + struct.pack(">i", 1) + kw.string("range") + kw.bytes_(kw.consumer_subscription(list(topics))))


def parse_join_v4(resp):
    """-> (error, generation, member id, [member ids]) (v2+ has a throttle before the error)"""
    err, gen = struct.unpack_from(">hi", resp, 8)
    off = 14
    _proto, off = kw._read_string(resp, off)
    _leader, off = kw._read_string(resp, off)
    member, off = kw._read_string(resp, off)
    members = []
    for _ in range(struct.unpack_from(">i", resp, off)[0]):
        mid, off = kw._read_string(resp, off + (4 if not members else 0))
        ml, = struct.unpack_from(">i", resp, off)
        off += 4 + max(ml, 0)
        members.append(mid)
    return err, gen, member, members


def describe_groups_v3(c, groups, include_ops):
    """-> {group: (error, state, protocol type, protocol data, [(member id, metadata, assignment)], ops)}"""
    body = struct.pack(">i", len(groups)) + b"".join(kw.string(g) for g in groups) + struct.pack(">?", include_ops)
    resp = call(c, 15, 3, body)
    off, out = 12, {}  # correlation id, throttle, count
    for _ in range(struct.unpack_from(">i", resp, 8)[0]):
        err, = struct.unpack_from(">h", resp, off)
        fields = []
        off += 2
        for _ in range(4):
            s, off = kw._read_string(resp, off)
            fields.append(s)
        members = []
        n, = struct.unpack_from(">i", resp, off)
        off += 4
        for _ in range(n):
            mid, off = kw._read_string(resp, off)
            _client, off = kw._read_string(resp, off)
            _host, off = kw._read_string(resp, off)
            blobs = []
            for _ in range(2):
                ln, = struct.unpack_from(">i", resp, off)
                blobs.append(resp[off + 4:off + 4 + max(ln, 0)])
                off += 4 + max(ln, 0)
            members.append((mid, blobs[0], blobs[1]))
        ops, = struct.unpack_from(">i", resp, off)
        off += 4
        out[fields[0]] = (err, fields[1], fields[2], fields[3], members, ops)
    return out


def list_groups(c):
    """ListGroups v0 -> [group ids]"""
    resp = call(c, 16, 0, b"")
    off, out = 10, []  # correlation id, error, count
    for _ in range(struct.unpack_from(">i", resp, 6)[0]):
        gid, off = kw._read_string(resp, off)
        _ptype, off = kw._read_string(resp, off)
        out.append(gid)
    return out
