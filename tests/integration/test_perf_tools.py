#!/usr/bin/env python3
"""The performance tools on tiny workloads: producer-perf-test,
consumer-perf-test and e2e-latency run against a real broker (and
librdkafka's mock cluster when it is built), print Kafka's lines with
consistent numbers, and reject bad flags with a usage error and exit 1.

Nothing here asserts on a duration or a rate: the suite runs under
sanitizers on a small machine.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FRESHET, Broker, RawClient, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402

BROKER = None

NUM = r"(-?\d+(?:\.\d+)?)"
FINAL = re.compile(r"^(\d+) records sent, (\d+\.\d+) records/sec \((\d+\.\d\d) MB/sec\), (\d+\.\d\d) ms avg latency, "
                   r"(\d+\.\d\d) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$")
WINDOW = re.compile(r"^(\d+) records sent, (\d+\.\d) records/sec \((\d+\.\d\d) MB/sec\), (\d+\.\d) ms avg latency, "
                    r"(\d+\.\d) ms max latency\.$")
CONSUMER_HEADER = ("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                   "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
DETAILED_HEADER = ("time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                   "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
DATE = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3})"
JNUM = r"(\d+\.\d{4}|NaN|Infinity)"
CONSUMER_VALUES = re.compile(r"^%s, %s, (\d+\.\d{4}), %s, (\d+), %s, (\d+), (-?\d+), %s, %s$" %
                             (DATE, DATE, JNUM, JNUM, JNUM, JNUM))
DETAILED_VALUES = re.compile(r"^%s, 0, (\d+\.\d{4}), %s, (\d+), %s, (\d+), (-?\d+), %s, %s$" %
                             (DATE, JNUM, JNUM, JNUM, JNUM))
AVG = re.compile(r"^Avg latency: (\d+\.\d{4}) ms$")
PCTS = re.compile(r"^Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)$")


def run(*args, timeout=120, check_rc=0):
    r = subprocess.run([FRESHET] + list(args), capture_output=True, text=True, timeout=timeout)
    if check_rc is not None:
        assert r.returncode == check_rc, (args, r.returncode, r.stdout, r.stderr)
    return r


def create_topic(name, partitions=1):
    run("topics", "--bootstrap-server", BROKER.bootstrap, "--create", "--topic", name,
        "--partitions", str(partitions), "--replication-factor", "1")


def produce(topic, n, size, *extra):
    return run("producer-perf-test", "--topic", topic, "--num-records", str(n), "--record-size", str(size),
               "--throughput", "-1", "--producer-props", "bootstrap.servers=" + BROKER.bootstrap, *extra)


def final_line(stdout):
    lines = [l for l in stdout.splitlines() if FINAL.match(l)]
    assert len(lines) == 1, stdout
    return FINAL.match(lines[0]).groups()


def check_final(groups, n, size):
    sent, rps, mbps, avg, mx, p50, p95, p99, p999 = groups
    assert int(sent) == n, groups
    # MB/sec is records/sec times the record size, in MiB (both from the same elapsed time).
    assert abs(float(rps) * size / 1048576 - float(mbps)) <= 0.006 + float(mbps) * 1e-3, groups
    assert int(p50) <= int(p95) <= int(p99) <= int(p999) <= float(mx), groups
    assert float(avg) <= float(mx), groups


def expect_usage_error(args, needle, prefix=None):
    r = run(*args, check_rc=1)
    assert needle in r.stderr, (args, r.stderr)
    if prefix:
        assert prefix in r.stderr, (args, r.stderr)
    return r


# ---- producer-perf-test ----

def test_producer_final_line_and_json():
    create_topic("pp-final", 2)
    r = produce("pp-final", 2000, 100, "acks=1", "--json")
    check_final(final_line(r.stdout), 2000, 100)
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert doc["tool"] == "producer-perf-test" and doc["records"] == 2000 and doc["failed"] == 0, doc
    assert doc["bytes"] == 2000 * 100, doc
    lat = doc["latency_us"]
    assert lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["p999"] <= lat["max"], doc


def test_producer_props_several_words_and_config_file():
    create_topic("pp-props")
    with tempfile.NamedTemporaryFile("w", suffix=".properties", delete=False) as f:
        f.write("bootstrap.servers=%s\nacks=all\nlinger.ms=5\n" % BROKER.bootstrap)
    try:
        r = run("producer-perf-test", "--topic", "pp-props", "--num-records", "500", "--record-size", "1024",
                "--throughput", "-1", "--producer.config", f.name, "--producer-props", "acks=1",
                "compression.type=lz4", "client.id=perf-test")
    finally:
        os.unlink(f.name)
    check_final(final_line(r.stdout), 500, 1024)


def test_producer_throttled_prints_progress_lines():
    create_topic("pp-throttle")
    # 300 records at 1000/s last at least 0.3 s, so 50 ms windows must close.
    r = produce("pp-throttle", 300, 10, "acks=all", "--throughput", "1000", "--reporting-interval", "50")
    windows = [WINDOW.match(l) for l in r.stdout.splitlines() if WINDOW.match(l)]
    assert windows, r.stdout
    assert sum(int(w.group(1)) for w in windows) <= 300, r.stdout
    for w in windows:
        assert float(w.group(4)) <= float(w.group(5)), w.group(0)
    check_final(final_line(r.stdout), 300, 10)


def test_producer_payload_file():
    create_topic("pp-file")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("alpha|beta|gamma||")
    try:
        r = run("producer-perf-test", "--topic", "pp-file", "--num-records", "20", "--payload-file", f.name,
                "--payload-delimiter", "|", "--throughput", "-1", "--producer-props",
                "bootstrap.servers=" + BROKER.bootstrap, "--json")
    finally:
        os.unlink(f.name)
    assert "Reading payloads from: " in r.stdout and "Number of messages read: 3" in r.stdout, r.stdout
    groups = final_line(r.stdout)
    assert int(groups[0]) == 20, groups
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert 20 * 4 <= doc["bytes"] <= 20 * 5, doc


def test_producer_print_metrics():
    create_topic("pp-metrics")
    r = produce("pp-metrics", 50, 10, "--print-metrics")
    check_final(final_line(r.stdout), 50, 10)
    assert re.search(r"^Metric Name +Value$", r.stdout, re.M), r.stdout
    rows = re.findall(r"^producer-metrics:(\w+):\{client-id=perf-producer-client\} +: \S+$", r.stdout, re.M)
    assert "msg_cnt" in rows and rows == sorted(rows), rows


def test_producer_rejects_bad_flags():
    base = ["producer-perf-test", "--topic", "x", "--num-records", "10", "--record-size", "10", "--throughput", "-1",
            "--producer-props", "bootstrap.servers=127.0.0.1:1"]
    err = "producer-performance: error: "
    expect_usage_error(["producer-perf-test", "--num-records", "10", "--record-size", "10", "--throughput", "-1",
                        "--producer-props", "a=b"], err + "argument --topic is required", "usage: producer-performance")
    expect_usage_error(base[:4] + ["abc"] + base[5:], err + "argument --num-records: could not convert 'abc' to Long")
    expect_usage_error(base[:6] + ["big"] + base[7:], err + "argument --record-size: could not convert 'big' to Integer")
    expect_usage_error(base[:8] + ["fast"] + base[9:], err + "argument --throughput: could not convert 'fast' to Double")
    expect_usage_error(base[:8] + ["0"] + base[9:], err + "argument --throughput")
    expect_usage_error(base + ["--bogus"], err + "unrecognized arguments: '--bogus'")
    expect_usage_error(base + ["--payload-file", "/nonexistent"],
                       err + "argument --payload-file: not allowed with argument --record-size")
    expect_usage_error(base[:5] + base[7:], err + "one of the arguments --record-size --payload-file is required")
    expect_usage_error(base[:9], err + "Either --producer-props or --producer.config must be specified.")
    expect_usage_error(base + ["--num-records"], err + "argument --num-records: expected one argument")
    r = run("producer-perf-test", "-h")
    assert r.stdout.startswith("usage: producer-performance") and "--record-size RECORD-SIZE" in r.stdout, r.stdout
    r = run(*base[:9], "--producer-props", "acks=1", check_rc=1)
    assert 'Missing required configuration "bootstrap.servers"' in r.stderr, r.stderr
    # an empty list is refused at once (librdkafka would wait message.timeout.ms for brokers)
    r = run(*base[:9], "--producer-props", "bootstrap.servers=", check_rc=1, timeout=30)
    assert "No resolvable bootstrap urls given in bootstrap.servers" in r.stderr, r.stderr


# ---- consumer-perf-test ----

def parse_consumer(stdout, n_expected=None):
    lines = stdout.splitlines()
    assert lines[0] == CONSUMER_HEADER, stdout
    values = [CONSUMER_VALUES.match(l) for l in lines[1:] if CONSUMER_VALUES.match(l)]
    assert len(values) == 1, stdout
    return values[0].groups()


def java_ms(date):
    import datetime
    d = datetime.datetime.strptime(date[:19], "%Y-%m-%d %H:%M:%S")
    return int(d.timestamp()) * 1000 + int(date[20:])


def test_consumer_reads_everything_with_consistent_numbers():
    create_topic("cp-all", 3)
    produce("cp-all", 3000, 100)
    r = run("consumer-perf-test", "--bootstrap-server", BROKER.bootstrap, "--topic", "cp-all", "--messages", "3000",
            "--group", "cp-all-g", "--timeout", "60000", "--json")
    start, end, mb, mbs, nmsg, nps, reb, fetch, fmbs, fnps = parse_consumer(r.stdout)
    assert int(nmsg) == 3000, r.stdout
    assert mb == "%.4f" % (3000 * 100 / 1048576), r.stdout
    assert java_ms(end) - java_ms(start) == int(reb) + int(fetch), r.stdout
    assert "WARNING" not in r.stdout, r.stdout
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert doc["messages"] == 3000 and doc["bytes"] == 300000 and doc["rebalance_ms"] == int(reb), doc


def test_consumer_detailed_stats():
    create_topic("cp-detail")
    produce("cp-detail", 500, 20)
    r = run("consumer-perf-test", "--bootstrap-server", BROKER.bootstrap, "--topic", "cp-detail", "--messages", "500",
            "--show-detailed-stats", "--reporting-interval", "1", "--timeout", "60000",
            "--date-format", "yyyy-MM-dd HH:mm:ss:SSS")
    lines = r.stdout.splitlines()
    assert lines[0] == DETAILED_HEADER, r.stdout
    rows = [DETAILED_VALUES.match(l) for l in lines[1:]]
    assert rows and all(rows), r.stdout
    counts = [int(m.group(4)) for m in rows]
    assert counts == sorted(counts) and counts[-1] <= 500, counts


def test_consumer_timeout_warning_and_hide_header():
    create_topic("cp-short")
    produce("cp-short", 5, 10)
    r = run("consumer-perf-test", "--bootstrap-server", BROKER.bootstrap, "--topic", "cp-short", "--messages", "10",
            "--timeout", "1500", "--hide-header", "--from-latest")
    assert CONSUMER_HEADER not in r.stdout, r.stdout
    assert "WARNING: Exiting before consuming the expected number of messages: timeout (1500 ms) exceeded." in r.stdout
    values = [CONSUMER_VALUES.match(l) for l in r.stdout.splitlines() if CONSUMER_VALUES.match(l)]
    assert len(values) == 1 and int(values[0].group(5)) == 0, r.stdout  # --from-latest: nothing old is read


def consumed(stdout):
    values = [CONSUMER_VALUES.match(l) for l in stdout.splitlines() if CONSUMER_VALUES.match(l)]
    assert len(values) == 1, stdout
    return int(values[0].group(5))


def test_consumer_starts_at_committed_offset_else_log_start():
    # The tool looks up where each assigned partition starts itself (the
    # group's committed offset, else the log start or, with --from-latest,
    # the end), instead of leaving it to librdkafka's reset.
    create_topic("cp-start")
    produce("cp-start", 100, 10)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"partitions": [{"topic": "cp-start", "partition": 0, "offset": 30}], "version": 1}, f)
        f.flush()
        run("delete-records", "--bootstrap-server", BROKER.bootstrap, "--offset-json-file", f.name)
    # no committed offset: from the log start, 30, to the end
    r = run("consumer-perf-test", "--bootstrap-server", BROKER.bootstrap, "--topic", "cp-start", "--messages", "71",
            "--timeout", "2000")
    assert consumed(r.stdout) == 70 and "WARNING" in r.stdout, r.stdout
    # a committed offset wins over the log start, and over --from-latest
    for group, extra in (("cp-start-g1", []), ("cp-start-g2", ["--from-latest"])):
        run("consumer-groups", "--bootstrap-server", BROKER.bootstrap, "--group", group, "--topic", "cp-start",
            "--reset-offsets", "--to-offset", "80", "--execute")
        r = run("consumer-perf-test", "--bootstrap-server", BROKER.bootstrap, "--topic", "cp-start", "--messages",
                "21", "--group", group, "--timeout", "2000", *extra)
        assert consumed(r.stdout) == 20 and "WARNING" in r.stdout, (group, r.stdout)


def test_start_offsets_of_several_partitions():
    # Every partition's start comes from one ListOffsets per leader; each
    # partition must get its own log start (or end), not another's: here the
    # ranges overlap, so a mixed-up start would skip records, not be reset.
    create_topic("cp-parts", 3)
    c = RawClient(BROKER.port)
    for p in range(3):
        # timestamped now: older records would go to time retention (7 days)
        batch = kw.record_batch([(None, b"v%d" % i) for i in range(30)], base_ts=int(time.time() * 1000))
        c.request(0, 3, kw.produce_v3("cp-parts", p, batch))
        _, res = kw.parse_produce_v3_response(c.recv_frame())
        assert res == [("cp-parts", p, 0, 0)], res
    c.close()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"partitions": [{"topic": "cp-parts", "partition": p, "offset": start}
                                  for p, start in ((0, 5), (1, 10), (2, 20))], "version": 1}, f)
        f.flush()
        run("delete-records", "--bootstrap-server", BROKER.bootstrap, "--offset-json-file", f.name)
    r = run("consumer-perf-test", "--bootstrap-server", BROKER.bootstrap, "--topic", "cp-parts", "--messages", "56",
            "--timeout", "2000")
    assert consumed(r.stdout) == 25 + 20 + 10, r.stdout
    r = run("consumer-perf-test", "--bootstrap-server", BROKER.bootstrap, "--topic", "cp-parts", "--messages", "1",
            "--timeout", "1000", "--from-latest")
    assert consumed(r.stdout) == 0, r.stdout
    # e2e-latency starts every partition at its end: it receives its own records
    # only (one of the 30 older ones would exit 1, as a mismatched record)
    r = run("e2e-latency", BROKER.bootstrap, "cp-parts", "40", "1", "16", "--rate", "1000", "--json")
    doc = json.loads(check_e2e(r.stdout)[-1])
    assert doc["sent"] == doc["received"] == 40, doc


def test_consumer_print_metrics():
    create_topic("cp-metrics")
    produce("cp-metrics", 20, 10)
    r = run("consumer-perf-test", "--bootstrap-server", BROKER.bootstrap, "--topic", "cp-metrics", "--messages", "20",
            "--timeout", "60000", "--print-metrics")
    assert int(parse_consumer(r.stdout)[4]) == 20
    assert re.search(r"^consumer-metrics:\w+:\{client-id=perf-consumer-client\} +: \S+$", r.stdout, re.M), r.stdout


def test_consumer_rejects_bad_flags():
    bs = ["--bootstrap-server", "127.0.0.1:1"]
    expect_usage_error(["consumer-perf-test"] + bs + ["--topic", "t"], 'Missing required argument "[messages]"',
                       "Option ")
    expect_usage_error(["consumer-perf-test"] + bs + ["--messages", "5"], 'Missing required argument "[topic]"')
    expect_usage_error(["consumer-perf-test", "--topic", "t", "--messages", "5"],
                       'Missing required argument "[bootstrap-server]"')
    expect_usage_error(["consumer-perf-test"] + bs + ["--topic", "t", "--messages", "many"],
                       "Cannot parse argument 'many' of option messages")
    expect_usage_error(["consumer-perf-test"] + bs + ["--topic", "t", "--messages", "5", "--timeout", "-3"],
                       "Cannot parse argument '-3' of option timeout")
    expect_usage_error(["consumer-perf-test"] + bs + ["--topic", "t", "--messages", "5", "--bogus"],
                       "bogus is not a recognized option")
    r = run("consumer-perf-test", "--bootstrap-server", " , ", "--topic", "t", "--messages", "5", check_rc=1, timeout=30)
    assert "No resolvable bootstrap urls given in bootstrap.servers" in r.stderr, r.stderr
    r = run("consumer-perf-test", "--help")
    assert "--show-detailed-stats" in r.stdout and "REQUIRED: The number of messages" in r.stdout, r.stdout


# ---- e2e-latency ----

def check_e2e(stdout):
    lines = stdout.splitlines()
    avg = [i for i, l in enumerate(lines) if AVG.match(l)]
    assert len(avg) == 1, stdout
    i = avg[0]
    assert lines[i + 1] == "" and PCTS.match(lines[i + 2]), stdout
    p50, p99, p999 = map(int, PCTS.match(lines[i + 2]).groups())
    assert p50 <= p99 <= p999, stdout
    return lines


def test_e2e_ping_pong():
    create_topic("e2e-pp", 2)
    for acks in ("1", "all"):
        r = run("e2e-latency", BROKER.bootstrap, "e2e-pp", "30", acks, "64", "--json")
        lines = check_e2e(r.stdout)
        assert re.match(r"^0\t\d+\.\d+$", lines[0]), r.stdout
        doc = json.loads(lines[-1])
        assert doc["mode"] == "ping-pong" and doc["sent"] == doc["received"] == 30, doc
        lat = doc["latency_us"]
        assert lat["p50"] <= lat["p99"] <= lat["p999"] <= lat["max"], doc


def test_e2e_creates_a_missing_topic():
    """EndToEndLatency.createTopic: a topic that is not there is made with one
    partition and one replica, saying so (auto-creation is off here)."""
    r = run("e2e-latency", BROKER.bootstrap, "e2e-new", "5", "1", "10")
    lines = r.stdout.splitlines()
    assert lines[0] == ('Topic "e2e-new" does not exist. Will create topic with 1 partition(s) and '
                        'replication factor = 1'), r.stdout
    check_e2e("\n".join(lines[1:]))


def test_e2e_properties_file():
    create_topic("e2e-props")
    with tempfile.NamedTemporaryFile("w", suffix=".properties", delete=False) as f:
        f.write("client.id=e2e-test\nfetch.wait.max.ms=50\n")
    try:
        r = run("e2e-latency", BROKER.bootstrap, "e2e-props", "5", "1", "10", f.name)
    finally:
        os.unlink(f.name)
    check_e2e(r.stdout)


def test_e2e_fixed_rate():
    create_topic("e2e-rate", 3)
    r = run("e2e-latency", BROKER.bootstrap, "e2e-rate", "200", "all", "32", "--rate", "1000", "--json")
    lines = check_e2e(r.stdout)
    m = re.match(r"^200 records sent at \d+\.\d records/s \(target 1000\.0\), 200 received, 0 failed, 0 duplicated$",
                 lines[0])
    assert m, r.stdout
    doc = json.loads(lines[-1])
    assert doc["mode"] == "rate" and doc["sent"] == doc["received"] == 200, doc


def test_e2e_rejects_bad_arguments():
    expect_usage_error(["e2e-latency", "127.0.0.1:1", "t", "10", "1"], "USAGE: freshet e2e-latency broker_list")
    expect_usage_error(["e2e-latency", "127.0.0.1:1", "t", "10", "0", "10"],
                       "Latency testing requires synchronous acknowledgement. Please use 1 or all")
    expect_usage_error(["e2e-latency", "127.0.0.1:1", "t", "ten", "1", "10"], "num_messages must be a positive integer")
    expect_usage_error(["e2e-latency", "127.0.0.1:1", "t", "10", "1", "-5"], "message_size_bytes")
    expect_usage_error(["e2e-latency", "127.0.0.1:1", "t", "10", "1", "8", "--rate", "100"], "at least 16")
    expect_usage_error(["e2e-latency", "127.0.0.1:1", "t", "10", "1", "80", "--rate", "x"], "--rate needs a positive")
    expect_usage_error(["e2e-latency", "127.0.0.1:1", "t", "10", "1", "80", "--bogus"], "Unknown option --bogus")
    # a missing topic is made (test_e2e_creates_a_missing_topic); one that cannot be is an error
    r = run("e2e-latency", BROKER.bootstrap, "bad!name", "3", "1", "10", check_rc=1)
    assert "Creation of topic bad!name failed" in r.stdout, r.stdout


# ---- the same tools against librdkafka's mock cluster (what bench/run compares with) ----

def mock_cluster_binary():
    path = os.path.join(os.path.dirname(FRESHET), "tests", "integration", "mock_cluster")
    return path if os.access(path, os.X_OK) else None


def test_tools_against_mock_cluster():
    binary = mock_cluster_binary()
    if not binary:
        print("skipped: no mock_cluster binary next to %s" % FRESHET)
        return
    proc = subprocess.Popen([binary, "--topic", "mock-perf:2"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        bootstrap = proc.stdout.readline().strip()
        assert bootstrap, "mock_cluster printed no bootstrap address"
        r = run("producer-perf-test", "--topic", "mock-perf", "--num-records", "300", "--record-size", "50",
                "--throughput", "-1", "--producer-props", "bootstrap.servers=" + bootstrap, "acks=1")
        check_final(final_line(r.stdout), 300, 50)
        r = run("consumer-perf-test", "--bootstrap-server", bootstrap, "--topic", "mock-perf", "--messages", "300",
                "--timeout", "60000")
        assert int(parse_consumer(r.stdout)[4]) == 300, r.stdout
        r = run("e2e-latency", bootstrap, "mock-perf", "10", "1", "32", "--rate", "200")
        check_e2e(r.stdout)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


TESTS = [
    test_producer_final_line_and_json,
    test_producer_props_several_words_and_config_file,
    test_producer_throttled_prints_progress_lines,
    test_producer_payload_file,
    test_producer_print_metrics,
    test_producer_rejects_bad_flags,
    test_consumer_reads_everything_with_consistent_numbers,
    test_consumer_detailed_stats,
    test_consumer_timeout_warning_and_hide_header,
    test_consumer_starts_at_committed_offset_else_log_start,
    test_start_offsets_of_several_partitions,
    test_consumer_print_metrics,
    test_consumer_rejects_bad_flags,
    test_e2e_ping_pong,
    test_e2e_creates_a_missing_topic,
    test_e2e_properties_file,
    test_e2e_fixed_rate,
    test_e2e_rejects_bad_arguments,
    test_tools_against_mock_cluster,
]

def test_broker_stops_cleanly():
    BROKER.stop()  # exit 0 and no sanitizer report after all of the above


if __name__ == "__main__":
    BROKER = Broker({"group.initial.rebalance.delay.ms": "0", "auto.create.topics.enable": "false"})
    BROKER.start()
    try:
        run_tests(TESTS + [test_broker_stops_cleanly])
    finally:
        BROKER.cleanup()
