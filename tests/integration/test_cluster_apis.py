#!/usr/bin/env python3
"""The admin APIs that describe the cluster as a whole, over the wire, as a
Kafka 3.9 broker answers them: DescribeCluster (KIP-700; the Java admin's
describeCluster with authorized operations needs it)."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

NONE, INVALID_REQUEST, MISMATCHED_ENDPOINT_TYPE, UNSUPPORTED_ENDPOINT_TYPE = 0, 42, 114, 115
# Kafka's operations on a cluster without an authorizer: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION,
# DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE (as Metadata reports them)
CLUSTER_OPS = sum(1 << op for op in (5, 7, 8, 9, 10, 11, 12))
NOT_ASKED = -2147483648


class Reader:
    """Reads a flexible response: compact strings and arrays, tagged fields skipped."""

    def __init__(self, buf, off):
        self.buf, self.off = buf, off

    def fixed(self, fmt):
        v, = struct.unpack_from(fmt, self.buf, self.off)
        self.off += struct.calcsize(fmt)
        return v

    def string(self):
        b, self.off = kw._read_compact(self.buf, self.off)
        return None if b is None else b.decode()

    def count(self):
        n, self.off = kw.read_uvarint(self.buf, self.off)
        return n - 1

    def tags(self):
        for _ in range(self.count() + 1):
            _tag, self.off = kw.read_uvarint(self.buf, self.off)
            size, self.off = kw.read_uvarint(self.buf, self.off)
            self.off += size


def describe_cluster(c, version, include_ops=False, endpoint_type=1):
    """-> dict of the response's fields"""
    body = struct.pack(">?", include_ops) + (struct.pack(">b", endpoint_type) if version >= 1 else b"") + b"\x00"
    corr = c.request(60, version, body, flexible=True)
    resp = c.recv_frame()
    r = Reader(resp, 4)
    assert struct.unpack_from(">i", resp, 0)[0] == corr
    r.tags()  # response header
    out = {"throttle": r.fixed(">i"), "error": r.fixed(">h"), "message": r.string()}
    if version >= 1:
        out["endpoint_type"] = r.fixed(">b")
    out["cluster_id"], out["controller"] = r.string(), r.fixed(">i")
    brokers = []
    for _ in range(r.count()):
        broker = (r.fixed(">i"), r.string(), r.fixed(">i"), r.string())
        r.tags()
        brokers.append(broker)
    out["brokers"], out["ops"] = brokers, r.fixed(">i")
    r.tags()
    assert r.off == len(resp), (r.off, len(resp))
    return out


def test_describe_cluster_names_this_broker_as_metadata_does():
    """KafkaApis.handleDescribeCluster: the brokers at the request's listener, the
    cluster id, a controller id among them, and the cluster's operations when asked."""
    with Broker() as b:
        md = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=30)
        c = RawClient(b.port)
        for version in (0, 1):
            got = describe_cluster(c, version)
            want = {"throttle": 0, "error": NONE, "message": None, "cluster_id": md.cluster_id,
                    "controller": md.controller_id, "brokers": [(0, "127.0.0.1", b.port, None)], "ops": NOT_ASKED}
            if version >= 1:
                want["endpoint_type"] = 1
            assert got == want, (version, got, want)
            assert describe_cluster(c, version, include_ops=True)["ops"] == CLUSTER_OPS
        assert md.controller_id == 0 and len(md.cluster_id) == 22, (md.controller_id, md.cluster_id)
        c.close()


def test_describe_cluster_refuses_other_endpoint_types_in_kafkas_words():
    """AuthHelper.computeDescribeClusterResponse: a broker serves the broker endpoint
    type (1) only; a controller's (2) is a mismatch, anything else unsupported."""
    with Broker() as b:
        c = RawClient(b.port)
        got = describe_cluster(c, 1, endpoint_type=2)
        assert (got["error"], got["message"]) == (
            MISMATCHED_ENDPOINT_TYPE,
            "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"), got
        assert (got["cluster_id"], got["controller"], got["brokers"], got["ops"]) == ("", -1, [], NOT_ASKED), got
        for bad in (0, 3, -1):
            got = describe_cluster(c, 1, include_ops=True, endpoint_type=bad)
            assert (got["error"], got["message"]) == (UNSUPPORTED_ENDPOINT_TYPE, "Unsupported endpoint type %d" % bad)
        got = describe_cluster(c, 0)  # v0 carries no type: always the broker's
        assert got["error"] == NONE, got
        c.close()


if __name__ == "__main__":
    run_tests([
        test_describe_cluster_names_this_broker_as_metadata_does,
        test_describe_cluster_refuses_other_endpoint_types_in_kafkas_words,
    ])
