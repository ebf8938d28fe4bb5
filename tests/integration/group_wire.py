"""What the consumer-group tests share: the broker settings they run with and
a few raw-protocol steps (kafka_wire has the encoders)."""
import kafka_wire as kw

FAST = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "5"}


def call(c, api, version, body):
    """One request on RawClient c -> its response frame."""
    c.request(api, version, body)
    return c.recv_frame()


def first_member(c, group):
    """Creates topic "t" and joins group (JoinGroup v0) as its only member -> (generation, member id)."""
    call(c, 19, 0, kw.create_topics_v0("t", 1))
    err, gen, _proto, _leader, member, _members = kw.parse_join_group_v0_response(
        call(c, 11, 0, kw.join_group_v0(group)))
    assert err == 0, err
    return gen, member
