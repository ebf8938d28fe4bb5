#!/usr/bin/python3
"""Integration tests for `freshet console-producer` and `freshet console-consumer`.

    test_console_tools.py FRESHET BOOTSTRAP          against a running broker
    test_console_tools.py FRESHET --mock MOCK        against tests/integration/tools/mock_cluster

Checks flag parsing, Kafka's messages and exit codes, and the output format
of Kafka's DefaultMessageFormatter.  The consumer runs without a group (the
default), which needs no group coordinator; the mock is started without the
group APIs to prove it.
"""
import re
import signal
import tempfile
import time

from toolstest import (Skip, advertised_apis, check, check_rc, java_partition, lines, main, parse_argv,
                       processed_count, unique)

USAGE = __doc__
T1 = unique("tools-one")    # 1 partition: ordering checks
T3 = unique("tools-three")  # 3 partitions: keyed partitioning
TOPICS = [(T1, 1), (T3, 3)]


def setup(env):
    """On a real broker, create the topics (the mock had them made at start)."""
    if env.is_mock:
        return
    for name, partitions in TOPICS:
        p = env.run("topics", "--bootstrap-server", env.bootstrap, "--create", "--topic", name,
                    "--partitions", str(partitions), "--replication-factor", "1")
        check_rc(p, 0, "topics --create " + name)


def produce(env, topic, text, *args, expect_rc=0):
    p = env.run("console-producer", "--bootstrap-server", env.bootstrap, "--topic", topic, *args,
                stdin=text)
    check_rc(p, expect_rc, "console-producer")
    return p


def consume(env, topic, *args, expect_rc=0):
    p = env.run("console-consumer", "--bootstrap-server", env.bootstrap, "--topic", topic, *args)
    check_rc(p, expect_rc, "console-consumer")
    return p


# ---- usage and argument checks (no broker needed) ----

def test_usage_and_bad_flags(env):
    p = env.run("console-producer")
    check_rc(p, 1, "producer without arguments")
    check("Option" in p.stderr and "--bootstrap-server" in p.stderr, "usage on stderr", p.stderr)
    p = env.run("console-producer", "--help")
    check_rc(p, 0, "producer --help")
    check(re.search(r"^--topic <String: topic>\s+REQUIRED", p.stdout, re.M), "usage lists --topic", p.stdout)
    p = env.run("console-consumer", "--help")
    check_rc(p, 0, "consumer --help")
    for tool in ("console-producer", "console-consumer"):
        p = env.run(tool, "--bootstrap-server", env.bootstrap, "--topic", "t", "--bogus")
        check_rc(p, 1, tool + " --bogus")
        check(p.stderr.startswith("bogus is not a recognized option\n"), "jopt-simple message", p.stderr)
        p = env.run(tool, "--bootstrap-server", env.bootstrap, "--topic")
        check_rc(p, 1, tool + " --topic without value")
        check(p.stderr.startswith("Option topic requires an argument\n"), "missing argument message", p.stderr)
    p = env.run("console-producer", "--bootstrap-server", env.bootstrap)
    check_rc(p, 1, "producer without --topic")
    check(p.stderr.startswith('Missing required argument "[topic]"\n'), "missing topic", p.stderr)
    # ToolsUtils.validateBootstrapServer: every entry a host:port, checked before connecting
    for servers in ("foo", env.bootstrap + ",foo"):
        p = env.run("console-producer", "--bootstrap-server", servers, "--topic", "t", stdin="a\n")
        check_rc(p, 1, "producer with bootstrap " + servers)
        check(p.stderr.startswith("Please provide valid host:port like host1:9091,host2:9092\n"), "host:port",
              p.stderr[:200])


def test_consumer_argument_rules(env):
    b = env.bootstrap
    cases = [
        (["--bootstrap-server", b], "Exactly one of --include/--topic is required."),
        (["--bootstrap-server", b, "--topic", "t", "--include", "t.*"],
         "Exactly one of --include/--topic is required."),
        (["--bootstrap-server", b, "--topic", "t", "--offset", "5"],
         "The partition is required when offset is specified."),
        (["--bootstrap-server", b, "--include", "t", "--partition", "0"],
         "The topic is required when partition is specified."),
        (["--bootstrap-server", b, "--topic", "t", "--partition", "0", "--offset", "1", "--from-beginning"],
         "Options from-beginning and offset cannot be specified together."),
        (["--bootstrap-server", b, "--topic", "t", "--partition", "0", "--offset", "-3"],
         "The provided offset value '-3' is incorrect. Valid values are 'earliest', 'latest', "
         "or a non-negative long."),
        (["--bootstrap-server", b, "--topic", "t", "--partition", "0", "--group", "g"],
         "Options group and partition cannot be specified together."),
        (["--bootstrap-server", b, "--topic", "t", "--group", "g1", "--consumer-property", "group.id=g2"],
         "The group ids provided in different places (directly using '--group', via "
         "'--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'g1', 'g2'"),
        (["--topic", "t"], 'Missing required argument "[bootstrap-server]"'),
    ]
    for args, message in cases:
        p = env.run("console-consumer", *args)
        check_rc(p, 1, " ".join(args))
        check(p.stderr.split("\n")[0].strip() == message.strip(), "message for %s" % args, p.stderr[:400])
    p = env.run("console-consumer", "--bootstrap-server", b, "--topic", "t", "--from-beginning",
                "--consumer-property", "auto.offset.reset=latest")
    check_rc(p, 1, "--from-beginning with auto.offset.reset=latest")
    check("Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please "
          "remove one option" in p.stderr, "reset conflict message", p.stderr)


# ---- producing and consuming ----

def test_round_trip_values_in_order(env):
    values = ["first", "", "third with spaces\tand tab", "fourth"]
    produce(env, T1, "".join(v + "\n" for v in values))
    p = consume(env, T1, "--from-beginning", "--max-messages", str(len(values)))
    check(p.stdout == "".join(v + "\n" for v in values), "values in order", p.stdout)
    check(processed_count(p.stderr) == len(values), "processed count", p.stderr)


def test_formatter_fields_and_separators(env):
    topic = T1
    produce(env, topic, "hk1:hv1,hk2:hv2|key-a|value-a\n", "--property", "parse.key=true",
            "--property", "parse.headers=true", "--property", "key.separator=|",
            "--property", "headers.delimiter=|")
    p = consume(env, topic, "--from-beginning", "--timeout-ms", "3000", "--property", "print.timestamp=true",
                "--property", "print.partition=true", "--property", "print.offset=true",
                "--property", "print.headers=true", "--property", "print.key=true",
                "--property", "key.separator= ## ")
    last = lines(p.stdout)[-1]
    check(re.fullmatch(r"CreateTime:\d{13} ## Partition:0 ## Offset:\d+ ## hk1:hv1,hk2:hv2 ## key-a ## value-a",
                       last), "all fields in Kafka's order", last)
    first = lines(p.stdout)[0]
    check(re.fullmatch(r"CreateTime:\d{13} ## Partition:0 ## Offset:0 ## NO_HEADERS ## null ## first", first),
          "null key and no headers", first)
    # print.value=false: the last printed field ends the line; custom line separator
    p = consume(env, topic, "--partition", "0", "--offset", "0", "--max-messages", "2",
                "--property", "print.offset=true", "--property", "print.value=false",
                "--property", "line.separator=;")
    check(p.stdout == "Offset:0;Offset:1;", "offsets only", p.stdout)


def test_null_marker_and_ignore_error(env):
    topic = T3
    produce(env, topic, "NULL\tv1\nk2\tNULL\n", "--property", "parse.key=true",
            "--property", "null.marker=NULL")
    p = consume(env, topic, "--from-beginning", "--timeout-ms", "3000", "--property", "print.key=true",
                "--property", "null.literal=<nil>")
    got = set(lines(p.stdout))
    check({"<nil>\tv1", "k2\t<nil>"} <= got, "null key and null value", p.stdout)


def test_bad_line_stops_with_kafka_message(env):
    p = produce(env, T1, "good\tline\nno-separator\nnever\tsent\n", "--property", "parse.key=true",
                expect_rc=1)
    check("No key separator found on line number 2: 'no-separator'" in p.stderr, "message", p.stderr)
    c = consume(env, T1, "--from-beginning", "--timeout-ms", "3000", "--property", "print.key=true")
    check("good\tline" in lines(c.stdout), "the line before the bad one was delivered", c.stdout)
    check("never\tsent" not in lines(c.stdout), "nothing after the bad line", c.stdout)
    produce(env, T1, "no-separator-ok\n", "--property", "parse.key=true", "--property", "ignore.error=true")


def test_keyed_records_use_javas_partitioner(env):
    keys = ["alpha", "beta", "gamma", "delta", "epsilon", "k1", "k22", "k333"]
    produce(env, T3, "".join("%s\t%s-value\n" % (k, k) for k in keys), "--property", "parse.key=true")
    p = consume(env, T3, "--from-beginning", "--timeout-ms", "4000", "--property", "print.key=true",
                "--property", "print.partition=true")
    seen = {}
    for line in lines(p.stdout):
        part, key, _ = line.split("\t")
        seen[key] = int(part[len("Partition:"):])
    for k in keys:
        check(k in seen, "record with key %s consumed" % k, p.stdout)
        check(seen[k] == java_partition(k.encode(), 3),
              "key %s on partition %d, Java picks %d" % (k, seen[k], java_partition(k.encode(), 3)))


def test_partition_and_offset(env):
    produce(env, T1, "p0\np1\np2\n")
    all_lines = lines(consume(env, T1, "--partition", "0", "--offset", "earliest", "--timeout-ms", "3000",
                              "--property", "print.offset=true").stdout)
    last_offset = int(all_lines[-1].split("\t")[0][len("Offset:"):])
    p = consume(env, T1, "--partition", "0", "--offset", str(last_offset - 1), "--max-messages", "2",
                "--property", "print.offset=true")
    check(lines(p.stdout) == ["Offset:%d\tp1" % (last_offset - 1), "Offset:%d\tp2" % last_offset],
          "reads from the given offset", p.stdout)
    # latest: nothing old is printed
    p = consume(env, T1, "--partition", "0", "--offset", "latest", "--timeout-ms", "1500")
    check(p.stdout == "" and processed_count(p.stderr) == 0, "latest starts at the end", p.stdout, p.stderr)


def keys_for(partition, n, partitions=3):
    """n distinct keys that Java's partitioner puts on partition."""
    out, i = [], 0
    while len(out) < n:
        k = "k%d" % i
        if java_partition(k.encode(), partitions) == partition:
            out.append(k)
        i += 1
    return out


def test_default_starts_at_the_end_of_every_partition(env):
    # the partitions hold different numbers of records; none of them is printed
    for part, n in ((0, 3), (1, 6), (2, 9)):
        produce(env, T3, "".join("%s\told-%d-%d\n" % (k, part, i) for i, k in enumerate(keys_for(part, n))),
                "--property", "parse.key=true")
    c = env.popen("console-consumer", "--bootstrap-server", env.bootstrap, "--topic", T3, "--max-messages", "6",
                  "--timeout-ms", "30000")
    time.sleep(1.5)  # assigned by then; the records below come after
    new = ["%s\tnew-%d" % (k, part) for part in range(3) for k in keys_for(part, 2)]
    produce(env, T3, "".join(line + "\n" for line in new), "--property", "parse.key=true")
    out, err = c.communicate(timeout=60)
    check(c.returncode == 0, "consumer exit code %s" % c.returncode, err)
    check(sorted(lines(out)) == sorted(line.split("\t")[1] for line in new), "only the records sent after it started",
          out)


def test_from_beginning_starts_at_each_log_start(env):
    # Log starts moved into the middle of overlapping ranges (delete-records):
    # a partition given another one's start would skip records, not be reset.
    if env.is_mock:
        raise Skip("the mock has no DeleteRecords")
    topic = unique("tools-starts")
    p = env.run("topics", "--bootstrap-server", env.bootstrap, "--create", "--topic", topic, "--partitions", "3")
    check_rc(p, 0, "create " + topic)
    for part in range(3):
        produce(env, topic, "".join("%s\tv-%d-%d\n" % (k, part, i) for i, k in enumerate(keys_for(part, 30))),
                "--property", "parse.key=true")
    starts = {0: 5, 1: 10, 2: 20}
    spec = ",".join('{"topic":"%s","partition":%d,"offset":%d}' % (topic, part, o) for part, o in starts.items())
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        f.write('{"version":1,"partitions":[%s]}' % spec)
        f.flush()
        p = env.run("delete-records", "--bootstrap-server", env.bootstrap, "--offset-json-file", f.name)
    check_rc(p, 0, "delete-records")
    p = consume(env, topic, "--from-beginning", "--timeout-ms", "5000", "--max-messages", "56")
    want = sorted("v-%d-%d" % (part, i) for part, o in starts.items() for i in range(o, 30))
    check(sorted(lines(p.stdout)) == want, "each partition from its own log start", p.stdout)


def test_timeout_exits_cleanly(env):
    start = time.monotonic()
    p = consume(env, T3, "--timeout-ms", "1000")
    elapsed = time.monotonic() - start
    check(elapsed < 15, "exits soon after the timeout (%.1fs)" % elapsed)
    check(processed_count(p.stderr) == 0, "Processed a total of 0 messages", p.stderr)


def test_compression_codecs(env):
    topic = T1
    for codec in ["gzip", "snappy", "lz4", "zstd", "none"]:
        produce(env, topic, "codec-%s\n" % codec, "--compression-codec", codec)
    produce(env, topic, "codec-bare\n", "--compression-codec")  # bare flag means gzip
    p = consume(env, topic, "--from-beginning", "--timeout-ms", "3000")
    for codec in ["gzip", "snappy", "lz4", "zstd", "none", "bare"]:
        check("codec-" + codec in lines(p.stdout), "record compressed with %s" % codec, p.stdout)
    p = produce(env, topic, "x\n", "--compression-codec", "bogus", expect_rc=1)
    check("compression" in p.stderr, "bad codec is reported", p.stderr)


def test_sync_acks_and_config_files(env):
    import os
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        pc = os.path.join(d, "producer.properties")
        with open(pc, "w") as f:
            f.write("# a Java client's file\nkey.serializer=org.apache.kafka.common.serialization."
                    "StringSerializer\nlinger.ms=5\nclient.id=from-file\n")
        cc = os.path.join(d, "consumer.properties")
        with open(cc, "w") as f:
            f.write("fetch.wait.max.ms=100\nkey.deserializer=org.apache.kafka.common.serialization."
                    "StringDeserializer\n")
        fc = os.path.join(d, "formatter.properties")
        with open(fc, "w") as f:
            f.write("print.key=true\nkey.separator=@\n")
        produce(env, T1, "sync-1\nsync-2\n", "--sync", "--request-required-acks", "all",
                "--producer.config", pc, "--producer-property", "retries=5")
        p = consume(env, T1, "--from-beginning", "--timeout-ms", "3000", "--consumer.config", cc,
                    "--formatter-config", fc)
        check("null@sync-1" in lines(p.stdout) and "null@sync-2" in lines(p.stdout),
              "records produced with --sync, formatter config applied", p.stdout)
        produce(env, T1, "x\n", "--producer.config", os.path.join(d, "missing.properties"), expect_rc=1)


def test_unknown_java_property_warns_but_works(env):
    p = produce(env, T1, "after-warning\n", "--producer-property", "max.in.flight.requests.per.connection.bogus=1")
    check("The configuration 'max.in.flight.requests.per.connection.bogus' was supplied but isn't a "
          "known config." in p.stderr, "Java client's warning", p.stderr)


def test_delivery_failure_is_reported(env):
    # no broker: each record waits max.block.ms for the topic's metadata, then fails as
    # Kafka's KafkaProducer.waitOnMetadata fails it
    p = env.run("console-producer", "--bootstrap-server", "127.0.0.1:1", "--topic", "nowhere",
                "--max-block-ms", "1500", "--timeout", "10",
                "--property", "parse.key=true", stdin="key\tvalue\nk2\thello\n")
    check_rc(p, 1, "producer with failed deliveries")
    check(re.search(r"ERROR Error when sending message to topic nowhere with key: 3 bytes, "
                    r"value: 5 bytes with error: org.apache.kafka.common.errors.TimeoutException: Topic nowhere "
                    r"not present in metadata after 1500 ms.", p.stderr), "failure line", p.stderr)
    check(len(re.findall("Error when sending message", p.stderr)) == 2, "one line per record", p.stderr)


def test_include_regex_consumes_matching_topics(env):
    def count(*selector):
        p = env.run("console-consumer", "--bootstrap-server", env.bootstrap, *selector,
                    "--from-beginning", "--timeout-ms", "3000")
        check_rc(p, 0, "consumer " + " ".join(selector))
        check(processed_count(p.stderr) == p.stdout.count("\n"), "count matches output", p.stderr)
        return processed_count(p.stderr)
    n1, n3 = count("--topic", T1), count("--topic", T3)
    # Kafka's IncludeList: ',' means '|', and the whole name must match
    check(count("--include", "%s, %s" % (T1, T3)) == n1 + n3, "both topics through --include")
    check(count("--include", T1[:-2] + ".*") == n1, "a regex matching one topic")
    check(count("--include", T1[:-2]) == 0, "a prefix alone does not match")


def test_consumer_waits_for_a_new_topic(env):
    topic = unique("tools-late")
    c = env.popen("console-consumer", "--bootstrap-server", env.bootstrap, "--topic", topic,
                  "--from-beginning", "--max-messages", "2")
    time.sleep(1.5)
    if not env.is_mock:
        p = env.run("topics", "--bootstrap-server", env.bootstrap, "--create", "--topic", topic,
                    "--partitions", "2")
        check_rc(p, 0, "create the late topic")
    produce(env, topic, "late-1\nlate-2\n")
    out, err = c.communicate(timeout=60)
    check(c.returncode == 0, "consumer exit code %s" % c.returncode, err)
    check(sorted(lines(out)) == ["late-1", "late-2"], "records of the topic created later", out)


def test_sigint_prints_count_and_exits(env):
    c = env.popen("console-consumer", "--bootstrap-server", env.bootstrap, "--topic", T1,
                  "--from-beginning")
    time.sleep(3)
    check(c.poll() is None, "consumer still running")
    c.send_signal(signal.SIGINT)
    out, err = c.communicate(timeout=30)
    check(c.returncode == 130, "exit code %s (128+SIGINT)" % c.returncode, err)
    n = processed_count(err)
    check(n is not None and n == out.count("\n"), "Processed a total of N messages", err)


def test_group_mode_subscribes(env):
    if env.is_mock:
        raise Skip("the mock runs without group APIs")
    if not {10, 11, 12, 14} <= advertised_apis(env.bootstrap):
        raise Skip("the broker does not advertise FindCoordinator/JoinGroup/Heartbeat/SyncGroup")
    group = unique("tools-group")
    args = ("--group", group, "--from-beginning", "--timeout-ms", "15000", "--max-messages", "1",
            "--property", "print.offset=true")
    p = consume(env, T1, *args)
    check(processed_count(p.stderr) == 1, "one record through the group", p.stderr)
    check(p.stdout.startswith("Offset:0\t"), "starts at the beginning", p.stdout)
    # the group committed its position at close: the next run goes on from there
    p = consume(env, T1, *args)
    check(p.stdout.startswith("Offset:1\t"), "resumes from the committed offset", p.stdout)


if __name__ == "__main__":
    env = parse_argv(USAGE, TOPICS, ["--no-group-apis"])
    setup(env)
    main([
        test_usage_and_bad_flags,
        test_consumer_argument_rules,
        test_round_trip_values_in_order,
        test_formatter_fields_and_separators,
        test_null_marker_and_ignore_error,
        test_bad_line_stops_with_kafka_message,
        test_keyed_records_use_javas_partitioner,
        test_partition_and_offset,
        test_default_starts_at_the_end_of_every_partition,
        test_from_beginning_starts_at_each_log_start,
        test_timeout_exits_cleanly,
        test_compression_codecs,
        test_sync_acks_and_config_files,
        test_unknown_java_property_warns_but_works,
        test_delivery_failure_is_reported,
        test_include_regex_consumes_matching_topics,
        test_consumer_waits_for_a_new_topic,
        test_sigint_prints_count_and_exits,
        test_group_mode_subscribes,
    ], env)
