#!/usr/bin/python3
"""Integration tests for `freshet topics` (kafka-topics.sh).

    test_topics.py FRESHET BOOTSTRAP      against a running broker
    test_topics.py FRESHET --fake         against fake_admin_broker.py (started here)
    test_topics.py FRESHET --mock MOCK    against mock_cluster: argument checks and --list only
                                          (librdkafka's mock has no topic admin APIs)

Checks Kafka 3.x's flags, messages, exit codes and output formats:
  Created topic T.
  Topic: T\t[TopicId: ID\t]PartitionCount: N\tReplicationFactor: R\tConfigs: k=v,...
  \tTopic: T\tPartition: P\tLeader: L\tReplicas: a,b\tIsr: a,b
  Error while executing topic command : <message>
"""
import os
import re
import tempfile

from toolstest import Skip, check, check_rc, lines, main, parse_argv, unique, wait_until

USAGE = __doc__
LISTED = unique("topics-listed")  # pre-created on the mock
ERR = "Error while executing topic command : "


def topics(env, *args, timeout=90):
    return env.run("topics", *args, timeout=timeout)


def with_bootstrap(env, *args):
    return topics(env, "--bootstrap-server", env.bootstrap, *args)


def needs_admin(env):
    if env.is_mock:
        raise Skip("librdkafka's mock cluster has no topic admin APIs")


def describe_header_re(topic, partitions=r"\d+", configs=r".*"):
    return re.compile(r"^Topic: %s\t(?:TopicId: [A-Za-z0-9_-]+\t)?PartitionCount: %s\tReplicationFactor: 1"
                      r"\tConfigs: (%s)$" % (re.escape(topic), partitions, configs), re.M)


PARTITION_LINE = re.compile(r"^\tTopic: (\S+)\tPartition: (\d+)\tLeader: (\d+|none)\tReplicas: ([\d,]*)"
                            r"\tIsr: ([\d,]*)$")


def create(env, topic, *args):
    p = with_bootstrap(env, "--create", "--topic", topic, *args)
    check_rc(p, 0, "create " + topic)
    check(lines(p.stdout)[-1] == "Created topic %s." % topic, "Created topic message", p.stdout)
    check(wait_until(lambda: topic in lines(with_bootstrap(env, "--list").stdout)), "topic listed")


# ---- argument checks: no broker is contacted ----

def test_usage_and_argument_checks(env):
    b = env.bootstrap
    p = topics(env)
    check_rc(p, 1, "no arguments")
    check(p.stderr.startswith("Create, delete, describe, or change a topic.\n"), "summary", p.stderr)
    p = topics(env, "--help")
    check_rc(p, 0, "--help")
    check(re.search(r"^--bootstrap-server <String: server to\s+REQUIRED: The Kafka server to connect",
                    p.stdout, re.M), "usage layout", p.stdout[:600])
    cases = [
        (["--bootstrap-server", b], "Command must include exactly one action: --list, --describe, "
                                    "--create, --alter or --delete"),
        (["--bootstrap-server", b, "--list", "--describe"], "Command must include exactly one action: "
                                                           "--list, --describe, --create, --alter or --delete"),
        (["--list"], "--bootstrap-server must be specified"),
        (["--bootstrap-server", b, "--create"], 'Missing required argument "[topic]"'),
        (["--bootstrap-server", b, "--delete"], 'Missing required argument "[topic]"'),
        (["--bootstrap-server", b, "--alter", "--topic", "t"], 'Missing required argument "[partitions]"'),
        (["--bootstrap-server", b, "--alter", "--topic", "t", "--partitions", "2", "--config", "a=b"],
         'Option combination "[bootstrap-server],[config]" can\'t be used with option "[alter]" '
         "(To alter topic configurations, the kafka-configs tool can be used.)"),
        (["--bootstrap-server", b, "--list", "--config", "a=b"], 'Option "[config]" can\'t be used with option "[list]"'),
        (["--bootstrap-server", b, "--describe", "--partitions", "3"],
         'Option "[partitions]" can\'t be used with option "[describe]"'),
        (["--bootstrap-server", b, "--alter", "--topic", "t", "--partitions", "3", "--replication-factor", "1"],
         'Option "[replication-factor]" can\'t be used with option "[alter]"'),
        (["--bootstrap-server", b, "--create", "--topic", "t", "--replica-assignment", "1", "--partitions", "1"],
         'Option "[replica-assignment]" can\'t be used with option "[partitions]"'),
        (["--bootstrap-server", b, "--describe", "--if-not-exists"],
         'Option "[if-not-exists]" can\'t be used with option "[describe]"'),
        (["--bootstrap-server", b, "--create", "--topic", "t", "--if-exists"],
         'Option "[if-exists]" can\'t be used with option "[create]"'),
        (["--bootstrap-server", b, "--delete", "--topic", "t", "--exclude-internal"],
         'Option "[exclude-internal]" can\'t be used with option "[delete]"'),
        (["--bootstrap-server", b, "--describe", "--topics-with-overrides", "--under-replicated-partitions"],
         'Option "[under-replicated-partitions]" can\'t be used with option "[topics-with-overrides]"'),
        (["--bootstrap-server", b, "--create", "--topic", "t", "--partitions", "x"],
         "Cannot parse argument 'x' of option partitions"),
        (["--bootstrap-server", b, "--list", "--nope"], "nope is not a recognized option"),
        (["--bootstrap-server", b, "--describe", "--if-exists"],
         "--topic or --topic-id is required to describe a topic"),
        (["--bootstrap-server", b, "--create", "--topic", "m1", "--topic", "m2"],
         "Found multiple arguments for option topic, but you asked for only one"),
    ]
    for args, message in cases:
        p = topics(env, *args)
        check_rc(p, 1, " ".join(args))
        check(p.stderr.split("\n")[0] == message, "message for %s" % args, p.stderr[:300])
        check(p.stdout == "", "nothing on stdout", p.stdout)


def test_create_checks_before_connecting(env):
    b = env.bootstrap
    cases = [
        (["--replication-factor", "0"], "The replication factor must be between 1 and 32767 inclusive"),
        (["--replication-factor", "40000"], "The replication factor must be between 1 and 32767 inclusive"),
        (["--partitions", "0"], "The partitions must be greater than 0"),
        (["--config", "retention.ms"], 'requirement failed: Invalid topic config: all configs to be added '
                                       'must be in the format "key=val".'),
        (["--config", "a=b=c"], 'requirement failed: Invalid topic config: all configs to be added '
                                'must be in the format "key=val".'),
        (["--replica-assignment", "1:2,3"], "Partition 1 has different replication factor: [3]"),
        (["--replica-assignment", "1:1"], "Partition replica lists may not contain duplicate entries: 1"),
    ]
    for args, message in cases:
        p = topics(env, "--bootstrap-server", b, "--create", "--topic", "t", *args)
        check_rc(p, 1, " ".join(args))
        check(p.stderr.split("\n")[0] == ERR + message, "message for %s" % args, p.stderr[:300])
    p = topics(env, "--bootstrap-server", b, "--create", "--topic", "a.b_c", "--partitions", "0")
    check(p.stdout.startswith("WARNING: Due to limitations in metric names, topics with a period ('.') "
                              "or underscore ('_') could collide. To avoid issues it is best to use "
                              "either, but not both.\n"), "collision warning", p.stdout)


def test_unreachable_broker_times_out(env):
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "admin.properties")
        with open(cfg, "w") as f:
            f.write("default.api.timeout.ms=1500\n")
        p = topics(env, "--bootstrap-server", "127.0.0.1:1", "--list", "--command-config", cfg)
        check_rc(p, 1, "--list against nothing")
        check(ERR + "Timed out waiting for a node assignment. Call: listTopics" in p.stderr, "timeout message",
              p.stderr)
        p = topics(env, "--bootstrap-server", env.bootstrap, "--list", "--command-config",
                   os.path.join(d, "missing.properties"))
        check_rc(p, 1, "missing --command-config file")


# ---- against a broker ----

def test_list_is_sorted(env):
    if not env.is_mock:
        create(env, LISTED, "--partitions", "1")
    p = with_bootstrap(env, "--list")
    check_rc(p, 0, "--list")
    names = lines(p.stdout)
    check(LISTED in names, "created topic listed", p.stdout)
    check(names == sorted(names), "sorted", names)
    p = with_bootstrap(env, "--list", "--exclude-internal")
    check(all(n not in ("__consumer_offsets", "__transaction_state") for n in lines(p.stdout)),
          "--exclude-internal", p.stdout)
    p = with_bootstrap(env, "--list", "--topic", LISTED[:-3] + "...")
    check(lines(p.stdout) == [LISTED], "--topic is a whole-name regex", p.stdout)
    p = with_bootstrap(env, "--list", "--topic", LISTED[:-3])
    check(lines(p.stdout) == [], "a prefix does not match", p.stdout)


def test_create_describe_and_configs(env):
    needs_admin(env)
    t = unique("topics-desc")
    create(env, t, "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=1000",
           "--config", " max.message.bytes = 2048 ")
    p = with_bootstrap(env, "--describe", "--topic", t)
    check_rc(p, 0, "--describe")
    out = lines(p.stdout)
    m = describe_header_re(t, "3").match(out[0])
    check(m, "header line", out[0])
    if env.kind == "broker":  # Kafka prints the id (Uuid.toString: 22 URL-safe base64 characters)
        ids = re.findall(r"\tTopicId: ([A-Za-z0-9_-]{22})\t", out[0])
        check(len(ids) == 1 and ids[0] != "AAAAAAAAAAAAAAAAAAAAAA", "a topic id in the header", out[0])
        again = lines(with_bootstrap(env, "--describe", "--topic", t).stdout)[0]
        check(again == out[0], "the same id every time", again)
    configs = dict(kv.split("=", 1) for kv in m.group(1).split(",") if kv)
    check(configs.get("retention.ms") == "1000" and configs.get("max.message.bytes") == "2048",
          "overrides in Configs", m.group(1))
    parts = [PARTITION_LINE.match(l) for l in out[1:]]
    check(len(parts) == 3 and all(parts), "three partition lines", out)
    check([int(x.group(2)) for x in parts] == [0, 1, 2], "partitions sorted", out)
    for x in parts:
        check(x.group(1) == t and x.group(3) != "none" and x.group(4) == x.group(3) == x.group(5),
              "leader is the replica and in the ISR", x.group(0))


def test_create_existing_and_if_not_exists(env):
    needs_admin(env)
    t = unique("topics-dup")
    create(env, t)
    p = with_bootstrap(env, "--create", "--topic", t)
    check_rc(p, 1, "second create")
    check(p.stderr.split("\n")[0] == ERR + "Topic '%s' already exists." % t, "already exists", p.stderr)
    p = with_bootstrap(env, "--create", "--topic", t, "--if-not-exists")
    check_rc(p, 0, "--if-not-exists")
    check(p.stdout == "", "silent", p.stdout)


def test_describe_missing_topic(env):
    for action in (["--describe"], ["--delete"], ["--alter", "--partitions", "9"]):
        p = with_bootstrap(env, *action, "--topic", "no-such-topic-xyz")
        check_rc(p, 1, " ".join(action))
        check(p.stderr.split("\n")[0] == ERR + "Topic 'no-such-topic-xyz' does not exist as expected",
              "message", p.stderr)
        p = with_bootstrap(env, *action, "--topic", "no-such-topic-xyz", "--if-exists")
        check_rc(p, 0, " ".join(action) + " --if-exists")
        check(p.stdout == "", "nothing printed", p.stdout)


def test_describe_filters(env):
    needs_admin(env)
    t = unique("topics-filters")
    create(env, t, "--partitions", "2", "--config", "retention.ms=5000")
    plain = unique("topics-plain")
    create(env, plain, "--partitions", "1")
    both = "%s,%s" % (t, plain)
    p = with_bootstrap(env, "--describe", "--topic", both)
    check(len([l for l in lines(p.stdout) if l.startswith("Topic: ")]) == 2, "two topics via ','", p.stdout)
    p = with_bootstrap(env, "--describe", "--topic", both, "--under-replicated-partitions")
    check_rc(p, 0, "--under-replicated-partitions")
    check(p.stdout == "", "a healthy single-replica topic has none", p.stdout)
    p = with_bootstrap(env, "--describe", "--topic", both, "--unavailable-partitions")
    check(p.stdout == "", "all partitions have a live leader", p.stdout)
    p = with_bootstrap(env, "--describe", "--topic", t, "--at-min-isr-partitions")
    out = lines(p.stdout)
    check(len(out) == 2 and all(PARTITION_LINE.match(l) for l in out), "partition lines only (isr 1 == min 1)",
          p.stdout)
    p = with_bootstrap(env, "--describe", "--topic", t, "--topics-with-overrides")
    out = lines(p.stdout)
    check(len(out) == 1 and describe_header_re(t, "2").match(out[0]), "header only", p.stdout)


def test_alter_partitions(env):
    needs_admin(env)
    t = unique("topics-alter")
    create(env, t, "--partitions", "2")
    p = with_bootstrap(env, "--alter", "--topic", t, "--partitions", "4")
    check_rc(p, 0, "alter to 4")
    check(p.stdout == "", "alter prints nothing", p.stdout)
    check(wait_until(lambda: describe_header_re(t, "4").search(with_bootstrap(env, "--describe", "--topic", t).stdout)),
          "PartitionCount: 4")
    p = with_bootstrap(env, "--alter", "--topic", t, "--partitions", "3")
    check_rc(p, 1, "alter to fewer")
    check(p.stderr.startswith(ERR) and "4" in p.stderr, "Kafka's message", p.stderr)


def test_delete(env):
    needs_admin(env)
    t = unique("topics-del")
    create(env, t)
    p = with_bootstrap(env, "--delete", "--topic", t)
    check_rc(p, 0, "--delete")
    check(p.stdout == "", "delete prints nothing", p.stdout)
    check(wait_until(lambda: t not in lines(with_bootstrap(env, "--list").stdout)), "gone from --list")


def test_command_config(env):
    needs_admin(env)
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "admin.properties")
        with open(cfg, "w") as f:
            f.write("# Java admin client settings\nclient.id=topics-test\ndefault.api.timeout.ms=30000\n"
                    "request.timeout.ms=20000\n")
        t = unique("topics-cfg")
        p = with_bootstrap(env, "--create", "--topic", t, "--command-config", cfg)
        check_rc(p, 0, "create with --command-config")


if __name__ == "__main__":
    env = parse_argv(USAGE, [(LISTED, 1)], ["--no-group-apis"], allow_fake=True)
    main([
        test_usage_and_argument_checks,
        test_create_checks_before_connecting,
        test_unreachable_broker_times_out,
        test_list_is_sorted,
        test_create_describe_and_configs,
        test_create_existing_and_if_not_exists,
        test_describe_missing_topic,
        test_describe_filters,
        test_alter_partitions,
        test_delete,
        test_command_config,
    ], env)
