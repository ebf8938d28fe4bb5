#!/usr/bin/env python3
"""Topic and broker configs at runtime: `freshet configs` changes that take
effect on the next append without a restart and survive one; the raw
IncrementalAlterConfigs protocol (v0 and flexible v1: SET, DELETE, APPEND,
SUBTRACT, validate_only, invalid values, unknown topics and keys); AlterConfigs
replacing the whole set; dynamic broker configs (cluster default and per
broker) inherited by topics without their own override, reported with Kafka's
sources and synonyms, and refused for static keys."""
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Broker, RawClient, run_tests, wait_for  # noqa: E402
import kafka_wire as kw  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402

SRC_TOPIC, SRC_BROKER, SRC_DEFAULT_BROKER, SRC_STATIC, SRC_DEFAULT = 1, 2, 3, 4, 5
OP_SET, OP_DELETE, OP_APPEND, OP_SUBTRACT = 0, 1, 2, 3
TOPIC, BROKER, LOGGER = 2, 4, 8
AT_INFO = {"log4j.rootLogger.level": "INFO"}  # whatever FR_LOG_LEVEL the suite runs under
NONE, UNKNOWN_TOPIC, MESSAGE_TOO_LARGE, INVALID_TOPIC, INVALID_CONFIG, INVALID_REQUEST = 0, 3, 10, 17, 40, 42


# ---- the `freshet configs` tool ----

def configs(b, *args, check=True):
    """Runs `freshet configs --bootstrap-server B args...`; returns (rc, stdout, stderr)."""
    p = subprocess.run([harness.FRESHET, "configs", "--bootstrap-server", b.bootstrap] + list(args),
                       capture_output=True, text=True, timeout=120)
    if check:
        assert p.returncode == 0, (args, p.returncode, p.stdout, p.stderr)
    return p.returncode, p.stdout, p.stderr


def alter_topic(b, topic, *args):
    rc, out, _ = configs(b, "--entity-type", "topics", "--entity-name", topic, "--alter", *args)
    assert out.strip() == "Completed updating config for topic %s." % topic, out


def describe_lines(b, *args):
    return configs(b, "--describe", *args)[1].splitlines()


# ---- a small IncrementalAlterConfigs encoder (v0 classic, v1 flexible) ----

uvarint, read_uvarint = kw.uvarint, kw.read_uvarint


def enc_string(s, flexible):
    if s is None:
        return uvarint(0) if flexible else struct.pack(">h", -1)
    b = s.encode()
    return (uvarint(len(b) + 1) if flexible else struct.pack(">h", len(b))) + b


def enc_array(items, flexible):
    return (uvarint(len(items) + 1) if flexible else struct.pack(">i", len(items))) + b"".join(items)


def incremental_alter_configs(resources, validate_only=False, version=0):
    """resources: [(resource_type, name, [(config_name, op, value)])]"""
    flex = version >= 1
    tags = b"\x00" if flex else b""
    res = []
    for rtype, name, ops in resources:
        cfgs = [enc_string(k, flex) + struct.pack(">b", op) + enc_string(v, flex) + tags for k, op, v in ops]
        res.append(struct.pack(">b", rtype) + enc_string(name, flex) + enc_array(cfgs, flex) + tags)
    return enc_array(res, flex) + struct.pack(">?", validate_only) + tags


def parse_alter_configs_response(resp, flexible):
    """-> [(error_code, error_message, resource_type, resource_name)] (AlterConfigs and Incremental share it)"""
    off = 4 + (1 if flexible else 0) + 4  # correlation id, header tags, throttle time

    def length(off, classic_fmt):
        if flexible:
            n, off = read_uvarint(resp, off)
            return n - 1, off
        return struct.unpack_from(classic_fmt, resp, off)[0], off + struct.calcsize(classic_fmt)

    def string(off):
        n, off = length(off, ">h")
        return (None if n < 0 else resp[off:off + n].decode()), off + max(n, 0)

    count, off = length(off, ">i")
    out = []
    for _ in range(count):
        err, = struct.unpack_from(">h", resp, off)
        msg, off = string(off + 2)
        rtype, = struct.unpack_from(">b", resp, off)
        name, off = string(off + 1)
        off += 1 if flexible else 0  # tags
        out.append((err, msg, rtype, name))
    return out


def alter_call(port, api, version, body, flexible):
    """One (Incremental)AlterConfigs request on a new connection -> its parsed response"""
    c = RawClient(port)
    try:
        c.request(api, version, body, flexible=flexible)
        return parse_alter_configs_response(c.recv_frame(), flexible)
    finally:
        c.close()


def incremental(port, resources, validate_only=False, version=0):
    return alter_call(port, 44, version, incremental_alter_configs(resources, validate_only, version), version >= 1)


def alter_configs(resources, validate_only=False, version=0):
    """AlterConfigs v0/v1, or flexible v2: resources [(resource_type, name, [(config_name, value)])]"""
    flex = version >= 2
    tags = b"\x00" if flex else b""
    res = []
    for rtype, name, entries in resources:
        cfgs = [enc_string(k, flex) + enc_string(v, flex) + tags for k, v in entries]
        res.append(struct.pack(">b", rtype) + enc_string(name, flex) + enc_array(cfgs, flex) + tags)
    return enc_array(res, flex) + struct.pack(">?", validate_only) + tags


def legacy_alter(port, resources, validate_only=False, version=0):
    return alter_call(port, 33, version, alter_configs(resources, validate_only, version), version >= 2)


def describe_configs_v0(port, rtype, name, keys):
    """DescribeConfigs v0 of one resource (keys None: a null list) -> (error, message, [(name, value)])"""
    body = struct.pack(">ib", 1, rtype) + enc_string(name, False)
    body += struct.pack(">i", -1) if keys is None else enc_array([enc_string(k, False) for k in keys], False)
    c = RawClient(port)
    try:
        c.request(32, 0, body)
        resp = c.recv_frame()
    finally:
        c.close()

    def string(off):
        n, = struct.unpack_from(">h", resp, off)
        return (None if n < 0 else resp[off + 2:off + 2 + n].decode()), off + 2 + max(n, 0)

    off = 4 + 4 + 4  # correlation id, throttle, one result
    err, = struct.unpack_from(">h", resp, off)
    msg, off = string(off + 2)
    _name, off = string(off + 1)
    count, = struct.unpack_from(">i", resp, off)
    off += 4
    entries = []
    for _ in range(max(count, 0)):
        key, off = string(off)
        value, off = string(off)
        off += 3  # read_only, is_default, is_sensitive
        entries.append((key, value))
    return err, msg, entries


def produce_raw(port, topic, value_size, partition=0):
    """One batch with one record of value_size bytes; returns the partition's error code."""
    c = RawClient(port)
    try:
        c.request(0, 3, kw.produce_v3(topic, partition, kw.record_batch([(b"k", b"x" * value_size)])))
        return kw.parse_produce_v3_response(c.recv_frame())[1][0][2]
    finally:
        c.close()


def describe(admin, rtype, name):
    res = ConfigResource(rtype, name)
    return admin.describe_configs([res])[res].result(30)


def segments(b, topic, partition=0):
    d = os.path.join(b.log_dir, "%s-%d" % (topic, partition))
    return sorted(f for f in os.listdir(d) if f.endswith(".log"))


# ---- tests ----

def test_tool_changes_apply_at_once_and_survive_restart():
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("live", 1, 1)])["live"].result(30)
        assert produce_raw(b.port, "live", 50000) == NONE

        # max.message.bytes: the next produce is checked against the new limit
        alter_topic(b, "live", "--add-config", "max.message.bytes=10000")
        assert produce_raw(b.port, "live", 50000) == MESSAGE_TOO_LARGE
        assert produce_raw(b.port, "live", 5000) == NONE

        # segment.bytes: the next appends roll segments
        before = len(segments(b, "live"))
        alter_topic(b, "live", "--add-config", "segment.bytes=3000,retention.ms=3600000")
        for _ in range(6):
            assert produce_raw(b.port, "live", 2000) == NONE
        rolled = len(segments(b, "live"))
        assert rolled >= before + 4, (before, rolled)

        # what describe reports, through the tool and through librdkafka
        lines = describe_lines(b, "--entity-type", "topics", "--entity-name", "live")
        assert lines == [
            "Dynamic configs for topic live are:",
            "  max.message.bytes=10000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:max.message.bytes=10000, "
            "DEFAULT_CONFIG:message.max.bytes=1048588}",
            "  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000}",
            "  segment.bytes=3000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:segment.bytes=3000, "
            "DEFAULT_CONFIG:log.segment.bytes=1073741824}",
        ], lines
        cfg = describe(admin, ConfigResource.Type.TOPIC, "live")
        assert cfg["retention.ms"].value == "3600000" and cfg["retention.ms"].source == SRC_TOPIC
        assert cfg["cleanup.policy"].source == SRC_DEFAULT

        # everything survives a restart, and keeps applying to new appends
        b.restart()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        assert describe_lines(b, "--entity-type", "topics", "--entity-name", "live") == lines
        assert produce_raw(b.port, "live", 50000) == MESSAGE_TOO_LARGE
        n = len(segments(b, "live"))
        for _ in range(3):
            assert produce_raw(b.port, "live", 2000) == NONE
        assert len(segments(b, "live")) >= n + 2

        # deleting the override restores the default at once
        alter_topic(b, "live", "--delete-config", "max.message.bytes,segment.bytes")
        assert produce_raw(b.port, "live", 50000) == NONE
        cfg = describe(admin, ConfigResource.Type.TOPIC, "live")
        assert cfg["max.message.bytes"].source == SRC_DEFAULT and cfg["max.message.bytes"].value == "1048588"
        assert cfg["retention.ms"].source == SRC_TOPIC
        # bracket syntax for list values
        alter_topic(b, "live", "--add-config", "cleanup.policy=[compact,delete],flush.messages=1")
        cfg = describe(admin, ConfigResource.Type.TOPIC, "live")
        assert cfg["cleanup.policy"].value == "compact,delete", cfg["cleanup.policy"]
        assert produce_raw(b.port, "live", 100) == NONE


def test_tool_errors():
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("e", 1, 1)])["e"].result(30)
        rc, out, err = configs(b, "--entity-type", "topics", "--entity-name", "e", "--alter",
                               "--add-config", "retention.ms=soon", check=False)
        assert rc == 1 and "Error while executing config command with args" in err, err
        assert ("org.apache.kafka.common.errors.InvalidConfigurationException: Invalid value soon for "
                "configuration retention.ms: Not a number of type LONG") in err, err
        rc, out, err = configs(b, "--entity-type", "topics", "--entity-name", "e", "--alter",
                               "--delete-config", "retention.ms", check=False)
        assert rc == 1 and err.strip() == "Invalid config(s): retention.ms", err
        rc, out, err = configs(b, "--entity-type", "topics", "--entity-name", "e", "--alter",
                               "--add-config", "a=b=c", check=False)
        assert rc == 1 and err.strip() == ('requirement failed: Invalid entity config: all configs to be added must be '
                                           'in the format "key=val".'), err
        rc, out, err = configs(b, "--entity-type", "topics", "--alter", "--add-config", "a=b", check=False)
        assert rc == 1 and err.strip() == "An entity name must be specified with --alter of topics", err
        rc, out, err = configs(b, "--entity-type", "brokers", "--entity-name", "x", "--describe", check=False)
        assert rc == 1 and "must be a valid integer broker id, but it is: x" in err, err
        rc, out, err = configs(b, "--entity-type", "topics", "--entity-name", "e", check=False)
        assert rc == 1 and "Command must include exactly one action: --describe, --alter" in err, err
        rc, out, err = configs(b, "--entity-type", "topics", "--entity-default", "--describe", check=False)
        assert rc == 1 and "--entity-default must not be specified with --describe of topics" in err, err
        rc, out, err = configs(b, "--entity-type", "topics", "--entity-name", "nope", "--alter",
                               "--add-config", "retention.ms=1", check=False)
        assert rc == 1 and "UnknownTopicOrPartitionException" in err, err
        # a missing topic: the header, then the describe's error (Kafka's ConfigCommand), exit 1
        rc, out, err = configs(b, "--entity-type", "topics", "--entity-name", "nope", "--describe", check=False)
        assert rc == 1 and out.strip() == "Dynamic configs for topic nope are:", out
        assert "Error while executing config command with args" in err and "UnknownTopicOrPartitionException" in err, err
        # "" is the default entity: librdkafka will not send it, and the answer is the broker's
        rc, out, err = configs(b, "--describe", "--topic", "", check=False)
        assert rc == 1 and out.strip() == "Default configs for topics in the cluster are:", (rc, out)
        assert "InvalidTopicException: Topic name is illegal, it can't be empty" in err, err
        # an option read as one value, given twice (jopt-simple's valueOf)
        rc, out, err = configs(b, "--describe", "--topic", "e", "--topic", "nope", check=False)
        assert rc == 1 and "Found multiple arguments for option topic, but you asked for only one" in err, err


def test_incremental_alter_configs_over_the_wire():
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("inc", 1, 1)])["inc"].result(30)
        for version in (0, 1):
            # SET, and APPEND to a list config that is not set: Kafka starts from its default
            r = incremental(b.port, [(TOPIC, "inc", [("retention.ms", OP_SET, "60000"),
                                                     ("cleanup.policy", OP_APPEND, "compact")])], version=version)
            assert r == [(NONE, None, TOPIC, "inc")], r
            cfg = describe(admin, ConfigResource.Type.TOPIC, "inc")
            assert cfg["cleanup.policy"].value == "delete,compact", cfg["cleanup.policy"]
            assert cfg["retention.ms"].value == "60000" and cfg["retention.ms"].source == SRC_TOPIC
            # APPEND of items already there changes nothing; SUBTRACT removes
            r = incremental(b.port, [(TOPIC, "inc", [("cleanup.policy", OP_APPEND, "delete")])], version=version)
            assert r[0][0] == NONE, r
            assert describe(admin, ConfigResource.Type.TOPIC, "inc")["cleanup.policy"].value == "delete,compact"
            r = incremental(b.port, [(TOPIC, "inc", [("cleanup.policy", OP_SUBTRACT, "delete")])], version=version)
            assert r[0][0] == NONE, r
            assert describe(admin, ConfigResource.Type.TOPIC, "inc")["cleanup.policy"].value == "compact"
            # APPEND / SUBTRACT on a config that is not a list
            r = incremental(b.port, [(TOPIC, "inc", [("retention.ms", OP_APPEND, "5")])], version=version)
            assert r[0][0] == INVALID_REQUEST and "retention.ms" in r[0][1], r
            # validate_only checks and changes nothing
            r = incremental(b.port, [(TOPIC, "inc", [("segment.bytes", OP_SET, "100000")])], validate_only=True,
                            version=version)
            assert r[0][0] == NONE, r
            assert describe(admin, ConfigResource.Type.TOPIC, "inc")["segment.bytes"].source == SRC_DEFAULT
            r = incremental(b.port, [(TOPIC, "inc", [("segment.bytes", OP_SET, "1")])], validate_only=True,
                            version=version)
            assert r[0][0] == INVALID_CONFIG and r[0][1] == (
                "Invalid value 1 for configuration segment.bytes: Value must be at least 14"), r
            # invalid values and unknown names: INVALID_CONFIG naming the key, nothing applied
            r = incremental(b.port, [(TOPIC, "inc", [("retention.ms", OP_SET, "1"),
                                                     ("max.message.bytes", OP_SET, "big")])], version=version)
            assert r[0][0] == INVALID_CONFIG and "max.message.bytes" in r[0][1], r
            assert describe(admin, ConfigResource.Type.TOPIC, "inc")["retention.ms"].value == "60000"
            r = incremental(b.port, [(TOPIC, "inc", [("no.such.config", OP_SET, "1")])], version=version)
            assert r[0] == (INVALID_CONFIG, "Unknown topic config name: no.such.config", TOPIC, "inc"), r
            r = incremental(b.port, [(TOPIC, "inc", [("cleanup.policy", OP_SET, "compress")])], version=version)
            assert r[0][0] == INVALID_CONFIG and "cleanup.policy" in r[0][1], r
            # the same key twice in one resource
            r = incremental(b.port, [(TOPIC, "inc", [("retention.ms", OP_SET, "1"),
                                                     ("retention.ms", OP_DELETE, None)])], version=version)
            assert r[0][0] == INVALID_REQUEST, r
            # unknown topic, next to a good resource: each answered on its own
            r = incremental(b.port, [(TOPIC, "nope", [("retention.ms", OP_SET, "1")]),
                                     (TOPIC, "inc", [("retention.ms", OP_DELETE, None),
                                                     ("cleanup.policy", OP_DELETE, None)])], version=version)
            assert r[0][0] == UNKNOWN_TOPIC and r[1] == (NONE, None, TOPIC, "inc"), r
            cfg = describe(admin, ConfigResource.Type.TOPIC, "inc")
            assert cfg["retention.ms"].source == SRC_DEFAULT and cfg["cleanup.policy"].value == "delete"
        # broker resources: static keys refused, other broker ids refused
        r = incremental(b.port, [(BROKER, "0", [("log.dirs", OP_SET, "/tmp/x")])])
        assert r[0][0] == INVALID_REQUEST and "Cannot update these configs dynamically: Set(log.dirs)" in r[0][1], r
        r = incremental(b.port, [(BROKER, "", [("listeners", OP_SET, "PLAINTEXT://:1")])])
        assert r[0][0] == INVALID_REQUEST and "listeners" in r[0][1], r
        r = incremental(b.port, [(BROKER, "7", [("log.retention.ms", OP_SET, "1")])])
        assert r[0][0] == INVALID_REQUEST, r
        r = incremental(b.port, [(BROKER, "0", [("log.retention.ms", OP_SET, "soon")])])
        assert r[0][0] == INVALID_CONFIG and "log.retention.ms" in r[0][1], r
        r = incremental(b.port, [(BROKER, "", [("log.cleanup.policy", OP_APPEND, "compact")])], version=1)
        assert r[0][0] == NONE, r
        lines = describe_lines(b, "--entity-type", "brokers", "--entity-default")
        assert lines == ["Default configs for brokers in the cluster are:",
                         "  log.cleanup.policy=delete,compact sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:"
                         "log.cleanup.policy=delete,compact, DEFAULT_CONFIG:log.cleanup.policy=delete}"], lines
        assert describe(admin, ConfigResource.Type.TOPIC, "inc")["cleanup.policy"].source == SRC_DEFAULT_BROKER


def test_alter_requests_are_checked_as_kafka_preprocesses_them():
    """Kafka's ConfigAdminManager.preprocess, before any resource is looked up: a resource named
    twice refuses every entry of it, a key given twice and a null value (but for DELETE) refuse the
    resource, each INVALID_REQUEST with Kafka's message; nothing changes."""
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for t in ("pre", "other"):
            admin.create_topics([NewTopic(t, 1, 1)])[t].result(30)
        legacy_alter(b.port, [(TOPIC, "pre", [("retention.ms", "60000")])])
        for version in (0, 2):
            r = legacy_alter(b.port, [(TOPIC, "pre", [("retention.ms", "1")]), (TOPIC, "other", []),
                                      (TOPIC, "pre", [("retention.ms", "2")])], version=version)
            once = "Each resource must appear at most once."
            assert r == [(INVALID_REQUEST, once, TOPIC, "pre"), (NONE, None, TOPIC, "other"),
                         (INVALID_REQUEST, once, TOPIC, "pre")], r
            r = legacy_alter(b.port, [(TOPIC, "pre", [("retention.ms", "1"), ("retention.ms", "2")])], version=version)
            assert r == [(INVALID_REQUEST, "Error due to duplicate config keys", TOPIC, "pre")], r
            r = legacy_alter(b.port, [(TOPIC, "pre", [("retention.ms", None), ("segment.ms", None)])],
                             version=version)
            assert r == [(INVALID_REQUEST, "Null value not supported for : retention.ms, segment.ms", TOPIC,
                          "pre")], r
            # these come before the topic's lookup
            r = legacy_alter(b.port, [(TOPIC, "nope", [("retention.ms", None)])], version=version)
            assert r[0][0] == INVALID_REQUEST, r
            cfg = describe(admin, ConfigResource.Type.TOPIC, "pre")
            assert cfg["retention.ms"].value == "60000" and cfg["retention.ms"].source == SRC_TOPIC
        for version in (0, 1):
            r = incremental(b.port, [(TOPIC, "pre", [("retention.ms", OP_SET, "1")]),
                                     (TOPIC, "pre", [("segment.ms", OP_SET, "1")]),
                                     (TOPIC, "other", [("retention.ms", OP_SET, "70000")])], version=version)
            assert [e[0] for e in r] == [INVALID_REQUEST, INVALID_REQUEST, NONE], r
            r = incremental(b.port, [(TOPIC, "pre", [("retention.ms", OP_SET, None), ("segment.ms", OP_DELETE, None),
                                                     ("cleanup.policy", OP_APPEND, None)])], version=version)
            assert r == [(INVALID_REQUEST, "Null value not supported for : retention.ms, cleanup.policy", TOPIC,
                          "pre")], r
            r = incremental(b.port, [(TOPIC, "nope", [("retention.ms", OP_SET, "1"), ("retention.ms", OP_SET, "2")])],
                            version=version)
            assert r == [(INVALID_REQUEST, "Error due to duplicate config keys", TOPIC, "nope")], r
        assert describe(admin, ConfigResource.Type.TOPIC, "pre")["retention.ms"].value == "60000"
        assert describe(admin, ConfigResource.Type.TOPIC, "other")["retention.ms"].value == "70000"


def test_describe_configs_key_lists_and_topic_names():
    """Kafka's ConfigHelper: a null or an empty key list asks for every config; a topic name that
    breaks the naming rules is INVALID_TOPIC_EXCEPTION, before the topic's lookup."""
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("dc", 1, 1)])["dc"].result(30)
        err, _, every = describe_configs_v0(b.port, TOPIC, "dc", None)
        assert err == NONE and len(every) > 20 and ("retention.ms", "604800000") in every, (err, every)
        assert describe_configs_v0(b.port, TOPIC, "dc", []) == (NONE, None, every)
        assert describe_configs_v0(b.port, TOPIC, "dc", ["retention.ms"]) == (NONE, None,
                                                                             [("retention.ms", "604800000")])
        err, _, broker = describe_configs_v0(b.port, BROKER, "0", [])
        assert err == NONE and ("num.partitions", "1") in broker, (err, broker)
        err, msg, names = describe_configs_v0(b.port, TOPIC, "bad name!", None)
        assert (err, names) == (INVALID_TOPIC, []) and "is invalid" in msg, (err, msg)
        err, msg, _ = describe_configs_v0(b.port, TOPIC, "", None)
        assert err == INVALID_TOPIC and "empty string" in msg, (err, msg)
        assert describe_configs_v0(b.port, TOPIC, "nope", None)[0] == UNKNOWN_TOPIC


def test_the_broker_loggers():
    """KIP-412's BROKER_LOGGER resource, named by the broker id: Freshet's one level is log4j's
    root logger, described, set at runtime (it takes effect at once), refused for other names,
    lower-case or unknown levels, DELETE, APPEND and SUBTRACT, with Kafka's codes and messages.
    The id is read as Java's Integer.parseInt reads it."""
    with Broker(overrides=AT_INFO) as b:
        assert describe_configs_v0(b.port, LOGGER, "0", None) == (NONE, None, [("root", "INFO")])
        assert describe_configs_v0(b.port, LOGGER, "+00", None) == (NONE, None, [("root", "INFO")])
        assert describe_configs_v0(b.port, LOGGER, "0", ["kafka.server"]) == (NONE, None, [])
        assert describe_configs_v0(b.port, LOGGER, "", None) == (INVALID_REQUEST, "Broker id must not be empty", [])
        assert describe_configs_v0(b.port, LOGGER, "7", None)[:2] == (
            INVALID_REQUEST, "Unexpected broker id, expected 0 but received 7")
        for version in (0, 1):
            r = incremental(b.port, [(LOGGER, "0", [("root", OP_SET, "TRACE")])], validate_only=True, version=version)
            assert r == [(NONE, None, LOGGER, "0")], r
            assert describe_configs_v0(b.port, LOGGER, "0", None)[2] == [("root", "INFO")]
            refused = {
                ("root", OP_SET, "debug"): (INVALID_CONFIG, "Cannot set the log level of root to debug as it is not "
                                            "a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, "
                                            "TRACE, WARN"),
                ("kafka.server", OP_SET, "INFO"): (INVALID_CONFIG, "Logger kafka.server does not exist!"),
                ("root", OP_DELETE, None): (INVALID_REQUEST, "Removing the log level of the root logger is not allowed"),
                ("root", OP_APPEND, "INFO"): (INVALID_REQUEST,
                                              "APPEND operation is not allowed for the BROKER_LOGGER resource"),
            }
            for op, (code, msg) in refused.items():
                assert incremental(b.port, [(LOGGER, "0", [op])], version=version) == [(code, msg, LOGGER, "0")], op
            for name, why in (("x", "Node id must be an integer, but it is: x"),
                              (" 0", "Node id must be an integer, but it is:  0"),
                              ("7", "Unexpected node id. Expected 0, but received 7")):
                r = incremental(b.port, [(LOGGER, name, [("root", OP_SET, "INFO")])], version=version)
                assert r == [(INVALID_REQUEST, why, LOGGER, name)], r
        # AlterConfigs never took loggers
        assert legacy_alter(b.port, [(LOGGER, "0", [("root", "DEBUG")])]) == [
            (INVALID_REQUEST, "Unknown resource type 8", LOGGER, "0")]
        assert "DEBUG" not in b.log()
        r = incremental(b.port, [(LOGGER, "0", [("root", OP_SET, "DEBUG")])])
        assert r == [(NONE, None, LOGGER, "0")], r
        assert describe_configs_v0(b.port, LOGGER, "0", None)[2] == [("root", "DEBUG")]
        # the broker now logs at DEBUG: a connection's coming and going is a debug line
        RawClient(b.port).close()
        wait_for(lambda: "] DEBUG " in b.log(), "a DEBUG line after root=DEBUG", timeout=10)
        r = incremental(b.port, [(LOGGER, "0", [("root", OP_SET, "FATAL")])])
        assert r == [(NONE, None, LOGGER, "0")] and describe_configs_v0(b.port, LOGGER, "0", None)[2] == [
            ("root", "FATAL")], r


def test_the_tool_on_broker_loggers():
    """kafka-configs.sh --entity-type broker-loggers (or --broker-logger N): Kafka's output, its
    check that every logger named is one the broker describes, its argument errors, and the
    broker's refusals as the admin client's exceptions."""
    with Broker(overrides=AT_INFO) as b:
        assert describe_lines(b, "--entity-type", "broker-loggers", "--entity-name", "0") == [
            "Dynamic configs for broker-logger 0 are:", "  root=INFO sensitive=false synonyms={}"]
        rc, out, _ = configs(b, "--broker-logger", "0", "--alter", "--add-config", "root=DEBUG")
        assert out == "Completed updating config for broker-logger 0.\n", out
        assert describe_lines(b, "--broker-logger", "0", "--all") == [
            "All configs for broker-logger 0 are:", "  root=DEBUG sensitive=false synonyms={}"]
        failures = {
            ("--broker-logger", "0", "--alter", "--add-config", "kafka.server=INFO,root=WARN"):
                "Invalid broker logger(s): kafka.server",
            ("--broker-logger", "0", "--alter", "--delete-config", "root"):
                "InvalidRequestException: Removing the log level of the root logger is not allowed",
            ("--broker-logger", "0", "--alter", "--add-config", "root=debug"):
                "InvalidConfigurationException: Cannot set the log level of root to debug",
            ("--broker-logger", "3", "--describe"):
                "InvalidRequestException: Unexpected broker id, expected 0 but received 3",
            ("--entity-type", "broker-loggers", "--describe"):
                "An entity name must be specified with --describe of broker-loggers",
            ("--entity-type", "broker-loggers", "--entity-name", "x", "--describe"):
                "The entity name for broker-loggers must be a valid integer broker id, but it is: x",
            ("--entity-type", "broker-loggers", "--entity-default", "--describe"):
                "--entity-default must not be specified with --describe of broker-loggers",
            ("--entity-type", "broker-loggers", "--alter", "--add-config", "root=INFO"):
                "An entity name must be specified with --alter of broker-loggers",
        }
        for args, why in failures.items():
            rc, _, err = configs(b, *args, check=False)
            assert rc == 1 and why in err, (args, rc, err)
        # nothing above changed the level
        assert describe_lines(b, "--broker-logger", "0")[1] == "  root=DEBUG sensitive=false synonyms={}"


def test_a_brokers_own_configs_are_described_as_kafka_describes_them():
    """DescribeConfigs of broker "0" (Kafka's ConfigHelper): each key this broker reads, with its
    own value and its synonym chain ending in the default; a key with several names is described
    under each, with the chain of the whole group from its own name on, so log.retention.ms is null
    when the retention comes from log.retention.minutes, while topics see the retention in ms."""
    with Broker(overrides={"log.retention.hours": "100", "log.retention.minutes": "3000", "num.partitions": "3"}) as b:
        lines = describe_lines(b, "--broker", "0", "--all")
        for want in (
                "  log.retention.hours=100 sensitive=false synonyms={STATIC_BROKER_CONFIG:log.retention.hours=100, "
                "DEFAULT_CONFIG:log.retention.hours=168}",
                "  log.retention.ms=null sensitive=false synonyms={}",
                "  log.retention.minutes=3000 sensitive=false synonyms={STATIC_BROKER_CONFIG:log.retention.minutes=3000, "
                "STATIC_BROKER_CONFIG:log.retention.hours=100, DEFAULT_CONFIG:log.retention.hours=168}",
                "  log.roll.hours=168 sensitive=false synonyms={DEFAULT_CONFIG:log.roll.hours=168}",
                "  num.partitions=3 sensitive=false synonyms={STATIC_BROKER_CONFIG:num.partitions=3, "
                "DEFAULT_CONFIG:num.partitions=1}",
                "  offsets.retention.minutes=10080 sensitive=false synonyms={DEFAULT_CONFIG:offsets.retention.minutes="
                "10080}",
                "  freshet.produce.validate.compressed.records=true sensitive=false synonyms={DEFAULT_CONFIG:"
                "freshet.produce.validate.compressed.records=true}"):
            assert want in lines, (want, lines)
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("ret", 1, 1)])["ret"].result(30)
        # minutes come before hours (Kafka's precedence)
        assert describe(admin, ConfigResource.Type.TOPIC, "ret")["retention.ms"].value == str(3000 * 60 * 1000)


def test_alter_configs_replaces_the_whole_set():
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("rep", 1, 1, config={"retention.ms": "1000",
                                                             "cleanup.policy": "compact"})])["rep"].result(30)
        res = ConfigResource(ConfigResource.Type.TOPIC, "rep", set_config={"segment.bytes": "100000"})
        admin.alter_configs([res])[res].result(30)
        cfg = describe(admin, ConfigResource.Type.TOPIC, "rep")
        assert cfg["segment.bytes"].source == SRC_TOPIC and cfg["segment.bytes"].value == "100000"
        assert cfg["retention.ms"].source == SRC_DEFAULT and cfg["cleanup.policy"].value == "delete"
        # validate_only and invalid values
        res = ConfigResource(ConfigResource.Type.TOPIC, "rep", set_config={"segment.bytes": "200000"})
        admin.alter_configs([res], validate_only=True)[res].result(30)
        assert describe(admin, ConfigResource.Type.TOPIC, "rep")["segment.bytes"].value == "100000"
        res = ConfigResource(ConfigResource.Type.TOPIC, "rep", set_config={"flush.ms": "-5"})
        try:
            admin.alter_configs([res])[res].result(30)
            raise AssertionError("flush.ms=-5 accepted")
        except Exception as e:
            assert "INVALID_CONFIG" in str(e) and "flush.ms" in str(e), e


def test_dynamic_broker_configs_inherited_and_overridden():
    with Broker(overrides={"message.max.bytes": "900000"}) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("inherit", 1, 1),
                             NewTopic("own", 1, 1, config={"max.message.bytes": "100000",
                                                           "segment.bytes": "1048576"})])["own"].result(30)
        # the cluster default applies to every topic without an override of its own
        rc, out, _ = configs(b, "--entity-type", "brokers", "--entity-default", "--alter",
                             "--add-config", "message.max.bytes=5000,log.segment.bytes=3000")
        assert out.strip() == "Completed updating default config for brokers in the cluster.", out
        assert produce_raw(b.port, "inherit", 10000) == MESSAGE_TOO_LARGE
        assert produce_raw(b.port, "own", 10000) == NONE
        n = len(segments(b, "inherit"))
        for _ in range(4):
            assert produce_raw(b.port, "inherit", 2000) == NONE
        assert len(segments(b, "inherit")) >= n + 3
        # this broker's own dynamic value wins over the default
        rc, out, _ = configs(b, "--broker", "0", "--alter", "--add-config",
                             "message.max.bytes=20000,log.segment.bytes=1048576")
        assert out.strip() == "Completed updating config for broker 0.", out
        assert produce_raw(b.port, "inherit", 10000) == NONE
        assert produce_raw(b.port, "inherit", 30000) == MESSAGE_TOO_LARGE
        entry = describe(admin, ConfigResource.Type.TOPIC, "inherit")["max.message.bytes"]
        assert entry.value == "20000" and entry.source == SRC_BROKER, entry
        # (confluent-kafka keys synonyms by name, so the whole chain is checked through the tool)
        lines = describe_lines(b, "--entity-type", "topics", "--entity-name", "inherit", "--all")
        assert "  max.message.bytes=20000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:message.max.bytes=20000, " \
               "DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=5000, STATIC_BROKER_CONFIG:message.max.bytes=900000, " \
               "DEFAULT_CONFIG:message.max.bytes=1048588}" in lines, lines
        entry = describe(admin, ConfigResource.Type.BROKER, "0")["message.max.bytes"]
        assert entry.value == "20000" and entry.source == SRC_BROKER and not entry.is_read_only, entry
        assert describe(admin, ConfigResource.Type.BROKER, "0")["log.dirs"].is_read_only
        lines = describe_lines(b, "--entity-type", "brokers")
        assert lines == [
            "Dynamic configs for broker 0 are:",
            "  log.segment.bytes=1048576 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.segment.bytes=1048576, "
            "DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=3000, DEFAULT_CONFIG:log.segment.bytes=1073741824}",
            "  message.max.bytes=20000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:message.max.bytes=20000, "
            "DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=5000, STATIC_BROKER_CONFIG:message.max.bytes=900000, "
            "DEFAULT_CONFIG:message.max.bytes=1048588}",
            "Default configs for brokers in the cluster are:",
            "  log.segment.bytes=3000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=3000, "
            "DEFAULT_CONFIG:log.segment.bytes=1073741824}",
            "  message.max.bytes=5000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=5000, "
            "STATIC_BROKER_CONFIG:message.max.bytes=900000, DEFAULT_CONFIG:message.max.bytes=1048588}",
        ], lines
        # a static key cannot change at runtime
        rc, out, err = configs(b, "--entity-type", "brokers", "--entity-name", "0", "--alter",
                               "--add-config", "log.dirs=/tmp/elsewhere", check=False)
        assert rc == 1 and "InvalidRequestException" in err and \
            "Cannot update these configs dynamically: Set(log.dirs)" in err, err

        # persisted: the same after a restart
        b.restart()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        assert describe_lines(b, "--entity-type", "brokers") == lines
        assert produce_raw(b.port, "inherit", 30000) == MESSAGE_TOO_LARGE
        assert produce_raw(b.port, "own", 30000) == NONE
        # deleting the per-broker value falls back to the default, then to the static value
        configs(b, "--entity-type", "brokers", "--entity-name", "0", "--alter", "--delete-config", "message.max.bytes")
        assert produce_raw(b.port, "inherit", 10000) == MESSAGE_TOO_LARGE
        configs(b, "--broker-defaults", "--alter", "--delete-config", "message.max.bytes,log.segment.bytes")
        assert produce_raw(b.port, "inherit", 500000) == NONE
        entry = describe(admin, ConfigResource.Type.TOPIC, "inherit")["max.message.bytes"]
        assert entry.value == "900000" and entry.source == SRC_STATIC, entry
        assert describe_lines(b, "--entity-type", "brokers", "--entity-default") == [
            "Default configs for brokers in the cluster are:"]


def test_the_longest_topic_names_keep_their_configs_and_delete_cleanly():
    """Kafka allows 249-character topic names.  "<name>.properties" (and its
    temp file) would not fit a file name's 255 bytes, nor would a partition's
    "<name>-<p>.<32 hex>-delete": such names are cut, the config file's with a
    hash of the whole name, so two long names sharing their first 200
    characters keep apart.  Before, creating such a topic failed and deleting
    one fell back to removing its files on the network loop."""
    long_a, long_b = "a" * 249, "a" * 248 + "b"
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        made = admin.create_topics([NewTopic(long_a, 2, 1, config={"retention.ms": "1000000"}),
                                    NewTopic(long_b, 1, 1, config={"retention.ms": "2000000"})])
        for f in made.values():
            f.result(30)
        b.restart()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        assert describe(admin, TOPIC, long_a)["retention.ms"].value == "1000000"
        assert describe(admin, TOPIC, long_b)["retention.ms"].value == "2000000"
        assert produce_raw(b.port, long_a, 10, partition=1) == NONE
        admin.delete_topics([long_a])[long_a].result(30)
        harness.wait_for(lambda: not [n for n in os.listdir(b.log_dir) if n.startswith(long_a)],
                         "the deleted topic's directories to go")
        assert "cannot rename" not in b.log(), b.log()[-3000:]
        b.restart()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        assert describe(admin, TOPIC, long_b)["retention.ms"].value == "2000000"
        assert long_a not in admin.list_topics(timeout=30).topics


def test_replication_throttle_and_tiered_storage_configs_as_a_broker_without_them():
    """Kafka's LogConfig defines the replication throttles and the tiered
    storage configs on every broker; tools copy them between clusters.  They
    are accepted and described with Kafka's defaults (they change nothing on
    one broker without tiered storage), checked as Kafka checks them, and
    remote.storage.enable=true is refused as by a broker whose tiered storage
    is off.  Before, each was an unknown config."""
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("copied", 1, 1, config={
            "leader.replication.throttled.replicas": "*",
            "follower.replication.throttled.replicas": "0:0, 1:0",
            "remote.storage.enable": "false", "remote.log.copy.disable": "false",
            "remote.log.delete.on.disable": "false", "local.retention.ms": "-2",
            "local.retention.bytes": "1048576"})])["copied"].result(30)
        cfg = describe(admin, ConfigResource.Type.TOPIC, "copied")
        assert cfg["leader.replication.throttled.replicas"].value == "*"
        assert cfg["follower.replication.throttled.replicas"].value == "0:0, 1:0"
        assert cfg["local.retention.bytes"].value == "1048576" and cfg["local.retention.bytes"].source == SRC_TOPIC
        admin.create_topics([NewTopic("plain", 1, 1)])["plain"].result(30)
        cfg = describe(admin, ConfigResource.Type.TOPIC, "plain")
        defaults = {"leader.replication.throttled.replicas": "", "follower.replication.throttled.replicas": "",
                    "remote.storage.enable": "false", "remote.log.copy.disable": "false",
                    "remote.log.delete.on.disable": "false", "local.retention.ms": "-2",
                    "local.retention.bytes": "-2"}
        for k, v in defaults.items():
            assert cfg[k].value == v and cfg[k].source == SRC_DEFAULT, (k, cfg[k])
        broker = describe(admin, ConfigResource.Type.BROKER, "0")
        assert broker["log.local.retention.ms"].value == "-2", broker["log.local.retention.ms"]
        assert "remote.storage.enable" not in broker  # no broker-level name in Kafka

        def refused(config):
            try:
                admin.create_topics([NewTopic("bad", 1, 1, config=config)])["bad"].result(30)
            except Exception as e:  # noqa: BLE001 - confluent_kafka raises KafkaException
                return e.args[0].code(), e.args[0].str()
            raise AssertionError("created with %s" % config)
        assert refused({"remote.storage.enable": "true"}) == (
            INVALID_CONFIG, "Tiered Storage functionality is disabled in the broker. "
            "Topic cannot be configured with remote log storage.")
        code, msg = refused({"leader.replication.throttled.replicas": "0:x"})
        assert code == INVALID_CONFIG and "must be the literal '*' or a list of replicas" in msg, msg
        assert refused({"local.retention.ms": "-3"})[0] == INVALID_CONFIG
        # the throttle lists take APPEND like any list config; tiered storage stays off through alters too
        r = incremental(b.port, [(TOPIC, "plain", [("leader.replication.throttled.replicas", OP_APPEND, "0:0")])])
        assert r == [(NONE, None, TOPIC, "plain")], r
        assert describe(admin, ConfigResource.Type.TOPIC, "plain")["leader.replication.throttled.replicas"].value \
            == "0:0"
        r = incremental(b.port, [(TOPIC, "plain", [("remote.storage.enable", OP_SET, "true")])])
        assert r[0][0] == INVALID_CONFIG and "Tiered Storage" in r[0][1], r


def test_deprecated_message_format_configs_are_accepted_and_ignored():
    """Kafka 3.x still defines message.format.version and message.downconversion.enable
    (with their broker names) and checks their values, though it ignores the format from
    inter-broker protocol 3.0 on; configs copied from older clusters carry them.  Freshet
    stores magic v2 only and converts nothing, so they change nothing, but are accepted,
    checked and described as Kafka does.  Before, each was an unknown config (found with
    the Java admin client)."""
    with Broker(overrides={"log.message.format.version": "2.8"}) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic("old-style", 1, 1, config={
            "message.format.version": "0.10.2", "message.downconversion.enable": "false"})])["old-style"].result(30)
        cfg = describe(admin, ConfigResource.Type.TOPIC, "old-style")
        assert (cfg["message.format.version"].value, cfg["message.format.version"].source) == ("0.10.2", SRC_TOPIC)
        assert cfg["message.downconversion.enable"].value == "false"
        admin.create_topics([NewTopic("plain", 1, 1)])["plain"].result(30)
        cfg = describe(admin, ConfigResource.Type.TOPIC, "plain")
        assert (cfg["message.format.version"].value, cfg["message.format.version"].source) == ("2.8", SRC_STATIC)
        assert (cfg["message.downconversion.enable"].value,
                cfg["message.downconversion.enable"].source) == ("true", SRC_DEFAULT)
        broker = describe(admin, ConfigResource.Type.BROKER, "0")
        assert broker["log.message.format.version"].value == "2.8", broker["log.message.format.version"]
        assert broker["log.message.downconversion.enable"].value == "true"
        # values are checked as Kafka's MetadataVersionValidator checks them
        try:
            admin.create_topics([NewTopic("bad", 1, 1, config={"message.format.version": "0.7"})])["bad"].result(30)
            raise AssertionError("created with message.format.version=0.7")
        except Exception as e:  # noqa: BLE001 - confluent_kafka raises KafkaException
            assert (e.args[0].code(), e.args[0].str()) == (
                INVALID_CONFIG, "Invalid value 0.7 for configuration message.format.version: "
                "Version 0.7 is not a valid version"), e
        r = incremental(b.port, [(TOPIC, "plain", [("message.format.version", OP_SET, "3.0-IV1")])])
        assert r == [(NONE, None, TOPIC, "plain")], r
        # the broker's format version is not dynamic in Kafka; down-conversion is
        r = incremental(b.port, [(BROKER, "0", [("log.message.format.version", OP_SET, "3.0")])])
        assert r[0][0] == INVALID_REQUEST and \
            r[0][1].endswith("Cannot update these configs dynamically: Set(log.message.format.version)"), r
        r = incremental(b.port, [(BROKER, "0", [("log.message.downconversion.enable", OP_SET, "false")])])
        assert r[0][0] == NONE, r
        # the records are magic v2 whatever the topic says
        c = RawClient(b.port)
        c.request(0, 3, kw.produce_v3("old-style", 0, kw.record_batch([(b"k", b"v")])))
        assert kw.parse_produce_v3_response(c.recv_frame())[1][0][2] == NONE
        c.request(1, 4, kw.fetch_v4("old-style", [(0, 0)], max_wait=0))
        err, hw, blob = kw.parse_fetch_v4_response(c.recv_frame())[0]
        assert (err, hw, blob[16]) == (NONE, 1, 2), (err, hw, blob[:20])  # magic at byte 16
        c.close()


def test_kafkas_dynamic_broker_only_keys():
    """DynamicBrokerConfig.AllDynamicConfigs beyond the topic synonyms: the cleaner's, the
    thread pools', producer.id.expiration.ms and a listener's Kerberos login settings are
    taken per broker, described with their dynamic source and kept across a restart; the
    Kerberos ones not at the cluster default (PerBrokerConfigs); connection limits, which
    Freshet does not enforce, are refused.  Before, all of them were (the Java admin's
    log.cleaner.threads, librdkafka's 0081 test's sasl.kerberos.min.time.before.relogin)."""
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        sets = [("log.cleaner.threads", "2"), ("num.io.threads", "4"), ("log.cleaner.backoff.ms", "5000"),
                ("sasl.kerberos.min.time.before.relogin", "58000")]
        r = incremental(b.port, [(BROKER, "0", [(k, OP_SET, v) for k, v in sets])])
        assert r == [(NONE, None, BROKER, "0")], r
        for restarted in (False, True):
            cfg = describe(admin, ConfigResource.Type.BROKER, "0")
            for k, v in sets:
                assert (cfg[k].value, cfg[k].source, cfg[k].is_read_only) == (v, SRC_BROKER, False), (restarted, k)
            assert (cfg["producer.id.expiration.ms"].value, cfg["producer.id.expiration.ms"].source) == (
                "86400000", SRC_DEFAULT)
            if not restarted:
                b.restart()
                admin = AdminClient({"bootstrap.servers": b.bootstrap})
        r = incremental(b.port, [(BROKER, "", [("sasl.kerberos.min.time.before.relogin", OP_SET, "1")])])
        assert r[0][0] == INVALID_REQUEST and r[0][1].endswith(
            "Cannot update these configs at default cluster level, broker id must be specified: "
            "Set(sasl.kerberos.min.time.before.relogin)"), r
        r = incremental(b.port, [(BROKER, "0", [("max.connections", OP_SET, "100")])])
        assert r[0][0] == INVALID_REQUEST and r[0][1].endswith("Set(max.connections)"), r
        r = incremental(b.port, [(BROKER, "0", [("num.network.threads", OP_SET, "0")])])
        assert r[0][0] == INVALID_CONFIG and r[0][1].endswith("Value must be at least 1"), r


if __name__ == "__main__":
    run_tests([
        test_deprecated_message_format_configs_are_accepted_and_ignored,
        test_kafkas_dynamic_broker_only_keys,
        test_replication_throttle_and_tiered_storage_configs_as_a_broker_without_them,
        test_tool_changes_apply_at_once_and_survive_restart,
        test_tool_errors,
        test_incremental_alter_configs_over_the_wire,
        test_alter_configs_replaces_the_whole_set,
        test_alter_requests_are_checked_as_kafka_preprocesses_them,
        test_describe_configs_key_lists_and_topic_names,
        test_the_broker_loggers,
        test_the_tool_on_broker_loggers,
        test_a_brokers_own_configs_are_described_as_kafka_describes_them,
        test_dynamic_broker_configs_inherited_and_overridden,
        test_the_longest_topic_names_keep_their_configs_and_delete_cleanly,
    ])
