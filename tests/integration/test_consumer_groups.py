#!/usr/bin/env python3
"""`freshet consumer-groups` (kafka-consumer-groups.sh) and `freshet
console-consumer --group`, against a real broker.

The first test is the classic Kafka training lab, automated: three console
consumers in one group share a 13-partition topic, keyed messages spread among
them, kill -9 of one moves its partitions to the others with nothing lost, and
consumers of three different groups each get every message.  The others check
consumer-groups' --describe, --reset-offsets, --list, --delete and
--delete-offsets, their messages and exit codes.

Every consumer is a subprocess stopped by PID in a finally block.
"""
import datetime
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FRESHET, Broker, run_tests  # noqa: E402

FAST = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "5"}
SESSION_TIMEOUT_MS = 6000
ENV = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1"))


def run(*args, stdin=None, timeout=60):
    """Runs `freshet ARGS`; a sanitizer report on stderr fails the test."""
    p = subprocess.run([FRESHET, *args], input=stdin, capture_output=True, text=True, timeout=timeout, env=ENV)
    assert "Sanitizer" not in p.stderr and "runtime error:" not in p.stderr, p.stderr
    return p


def cg(b, *args, rc=0):
    """`freshet consumer-groups --bootstrap-server B ARGS`, checking the exit code."""
    p = run("consumer-groups", "--bootstrap-server", b.bootstrap, *args)
    assert p.returncode == rc, "consumer-groups %s: rc %s, want %s\nstdout:\n%s\nstderr:\n%s" % (
        " ".join(args), p.returncode, rc, p.stdout, p.stderr)
    return p


def create_topic(b, topic, partitions):
    p = run("topics", "--bootstrap-server", b.bootstrap, "--create", "--topic", topic, "--partitions", str(partitions))
    assert p.returncode == 0, p.stderr


def produce(b, topic, pairs):
    """Produces (key, value) records with console-producer (parse.key=true)."""
    lines = "".join("%s\t%s\n" % kv for kv in pairs)
    p = run("console-producer", "--bootstrap-server", b.bootstrap, "--topic", topic,
            "--property", "parse.key=true", stdin=lines)
    assert p.returncode == 0, p.stderr


def table(out):
    """The rows of a Kafka table printed by consumer-groups: a list of dicts keyed by the header's columns."""
    lines = [l for l in out.splitlines() if l.strip()]
    if not lines:
        return []
    header = re.split(r"\s+(?=[A-Z#])", lines[0].strip().replace("COORDINATOR (ID)", "COORDINATOR-(ID)"))
    rows = []
    for l in lines[1:]:
        l = re.sub(r" \((-?\d+)\)", r"(\1)", l).replace("Not Provided", "Not\0Provided")  # one-cell values
        cells = [c.replace("\0", " ").strip() for c in l.split(None, len(header) - 1)]
        rows.append(dict(zip(header, cells + [""] * (len(header) - len(cells)))))
    return rows


# ---- Kafka's default partitioner (murmur2), to pick keys for given partitions ----

def murmur2(data):
    m, h = 0x5bd1e995, (0x9747b28c ^ len(data)) & 0xffffffff
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[i * 4:i * 4 + 4], "little")
        k = (k * m) & 0xffffffff
        k ^= k >> 24
        k = (k * m) & 0xffffffff
        h = ((h * m) & 0xffffffff) ^ k
    tail, rem = data[n4 * 4:], len(data) % 4
    if rem == 3:
        h ^= tail[2] << 16
    if rem >= 2:
        h ^= tail[1] << 8
    if rem >= 1:
        h ^= tail[0]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return h


def partition_of(key, partitions):
    return (murmur2(key.encode()) & 0x7fffffff) % partitions


def key_for(partition, partitions, prefix):
    for i in range(100000):
        k = "%s-%d" % (prefix, i)
        if partition_of(k, partitions) == partition:
            return k
    raise AssertionError("no key for partition %d" % partition)


# ---- console consumers as subprocesses ----

class Consumer:
    """`freshet console-consumer --group G`, printing Partition:p<TAB>key<TAB>value lines."""

    def __init__(self, b, topic, group, client_id, *extra):
        self.name = client_id
        cmd = [FRESHET, "console-consumer", "--bootstrap-server", b.bootstrap, "--topic", topic, "--group", group,
               "--consumer-property", "session.timeout.ms=%d" % SESSION_TIMEOUT_MS,
               "--consumer-property", "heartbeat.interval.ms=500",
               "--consumer-property", "auto.commit.interval.ms=300",
               "--consumer-property", "client.id=%s" % client_id,
               "--property", "print.partition=true", "--property", "print.key=true", *extra]
        self.lines, self.err = [], []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=ENV)
        self.threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True),
                        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True)]
        for t in self.threads:
            t.start()

    def _pump(self, stream, out):
        for line in stream:
            with self.lock:
                out.append(line.rstrip("\n"))

    def records(self):
        """[(partition, key, value)] received so far."""
        with self.lock:
            lines = list(self.lines)
        out = []
        for l in lines:
            part, key, value = l.split("\t", 2)
            assert part.startswith("Partition:"), l
            out.append((int(part[len("Partition:"):]), key, value))
        return out

    def stderr(self):
        with self.lock:
            return "\n".join(self.err)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        """SIGTERM (the consumer leaves the group and commits), SIGKILL if it does not exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self.threads:
            t.join(timeout=5)
        err = self.stderr()
        assert "Sanitizer" not in err and "runtime error:" not in err, err
        return self.proc.returncode


def stop_all(consumers):
    for c in consumers:
        c.stop()


def wait_for(what, cond, timeout=60, interval=0.3):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def members(b, group):
    """{client id: set of partitions} from --describe --members --verbose (single-topic assignments)."""
    p = run("consumer-groups", "--bootstrap-server", b.bootstrap, "--describe", "--group", group, "--members", "--verbose")
    if p.returncode != 0:
        return None
    out = {}
    for r in table(p.stdout):
        m = re.fullmatch(r"[^(]+\(([\d,]+)\)", r["ASSIGNMENT"].strip())
        parts = {int(x) for x in m.group(1).split(",")} if m else set()
        assert len(parts) == int(r["#PARTITIONS"]), r
        out[r["CLIENT-ID"]] = parts
    return out


def group_state(b, group):
    rows = table(run("consumer-groups", "--bootstrap-server", b.bootstrap, "--describe", "--group", group,
                     "--state").stdout)
    return rows[0]["STATE"] if rows else None


def assignment_is(b, group, clients, partitions):
    """The members' assignment once the group is Stable with exactly `clients` holding every
    partition once (each at least one), else None."""
    m = members(b, group)
    if not m or set(m) != set(clients) or not all(m.values()):
        return None
    held = [p for parts in m.values() for p in parts]
    if sorted(held) != list(range(partitions)) or group_state(b, group) != "Stable":
        return None
    return m


def received_by(consumers):
    """{value: [client ids that received it]}"""
    got = {}
    for c in consumers:
        for _, _, v in c.records():
            got.setdefault(v, []).append(c.name)
    return got


# ---- the training lab ----

def test_training_lab_three_consumers_one_group_then_kill_then_three_groups():
    topic, group, n = "lab", "lab-group", 13
    with Broker(overrides=FAST) as b:
        create_topic(b, topic, n)
        consumers = []
        try:
            for i in range(3):
                consumers.append(Consumer(b, topic, group, "lab-%d" % (i + 1), "--from-beginning"))
            names = [c.name for c in consumers]
            # 13 partitions split 5/4/4 with no overlap (the range assignor)
            m = wait_for("three members sharing 13 partitions", lambda: assignment_is(b, group, names, n))
            assert sorted(len(p) for p in m.values()) == [4, 4, 5], m
            state = table(cg(b, "--describe", "--group", group, "--state").stdout)
            assert state[0]["STATE"] == "Stable" and state[0]["#MEMBERS"] == "3", state
            assert state[0]["ASSIGNMENT-STRATEGY"] == "range", state

            # seven keyed messages, with keys landing on every consumer's partitions
            owner = {p: name for name, parts in m.items() for p in parts}
            by_member = sorted(m.items())
            wanted = [sorted(parts)[k % len(parts)] for k in range(3) for _, parts in by_member][:7]
            first = [(key_for(p, n, "first-%d" % i), "first-%d" % i) for i, p in enumerate(wanted)]
            produce(b, topic, first)
            wait_for("the 7 messages", lambda: len(received_by(consumers)) == 7 and
                     sum(len(c.records()) for c in consumers) >= 7)
            time.sleep(0.5)
            got = received_by(consumers)
            assert sorted(got) == sorted(v for _, v in first) and all(len(w) == 1 for w in got.values()), got
            assert len({w[0] for w in got.values()}) == 3, "messages not spread among the consumers: %r" % got
            for c in consumers:
                for p, k, v in c.records():
                    assert owner[p] == c.name, (p, c.name, owner)
                    assert p == partition_of(k, n), (k, p)

            # every received message is committed (auto commit): LAG 0 wherever there is data
            def committed_everywhere():
                rows = table(cg(b, "--describe", "--group", group).stdout)
                return all(r["LAG"] == "0" for r in rows if r["LOG-END-OFFSET"] != "0") and len(rows) == n and rows
            rows = wait_for("commits of the 7 messages", committed_everywhere)
            assert sum(int(r["LOG-END-OFFSET"]) for r in rows) == 7, rows
            assert {r["CLIENT-ID"] for r in rows} == set(names), rows

            # kill -9 the consumer with the most partitions: its partitions move to the others
            victim = max(consumers, key=lambda c: len(m[c.name]))
            survivors = [c for c in consumers if c is not victim]
            victim_parts = m[victim.name]
            killed_at = time.time()
            victim.kill9()
            m2 = wait_for("the survivors taking over", lambda: assignment_is(b, group, [c.name for c in survivors], n),
                          timeout=SESSION_TIMEOUT_MS / 1000 + 30)
            took = time.time() - killed_at
            assert took < SESSION_TIMEOUT_MS / 1000 + 15, "rebalance took %.1fs" % took
            print("  kill -9 of %s: partitions %s moved in %.1fs: %s" % (victim.name, sorted(victim_parts), took, m2))
            assert sorted(len(p) for p in m2.values()) == [6, 7], m2

            # one new message per partition (so some for the dead consumer's): all arrive, once each
            second = [(key_for(p, n, "second-%d" % p), "second-%d" % p) for p in range(n)]
            produce(b, topic, second)
            wait_for("the 13 new messages", lambda: all(v in received_by(survivors) for _, v in second))
            time.sleep(0.5)
            got = received_by(survivors)
            for _, v in second:
                assert len(got[v]) == 1, (v, got[v])
            late = {p for c in survivors for p, _, v in c.records() if v.startswith("second-")}
            assert victim_parts <= late, (victim_parts, late)
            # the first messages were committed: none is delivered again
            everything = received_by(consumers)
            assert all(len(everything[v]) == 1 for _, v in first), everything
            for c in survivors:
                assert c.proc.poll() is None, c.stderr()
        finally:
            stop_all(consumers)

        # three consumers in three different groups each receive every message
        solo = []
        try:
            for i in range(3):
                solo.append(Consumer(b, topic, "solo-%d" % i, "solo-%d" % i, "--from-beginning",
                                     "--max-messages", "20", "--timeout-ms", "60000"))
            for c in solo:
                c.proc.wait(timeout=90)
                c.stop()
                values = sorted(v for _, _, v in c.records())
                assert values == sorted(v for _, v in first + second), (c.name, values, c.stderr())
                assert c.proc.returncode == 0 and "Processed a total of 20 messages" in c.stderr(), c.stderr()
        finally:
            stop_all(solo)
        listed = cg(b, "--list").stdout.split()
        assert sorted(listed) == ["lab-group", "solo-0", "solo-1", "solo-2"], listed


# ---- --describe and --reset-offsets ----

def consume_all(b, topic, group, count, *extra):
    """Runs a console consumer in `group` until it has `count` records; it commits when it closes."""
    c = Consumer(b, topic, group, "once-" + group, "--max-messages", str(count), "--timeout-ms", "30000", *extra)
    try:
        c.proc.wait(timeout=90)
    finally:
        c.stop()
    assert c.proc.returncode == 0 and len(c.records()) == count, (c.records(), c.stderr())
    return c.records()


def offsets(b, group):
    """{partition: (CURRENT-OFFSET, LOG-END-OFFSET, LAG, CONSUMER-ID)} from --describe (one topic)."""
    p = cg(b, "--describe", "--group", group)
    return {int(r["PARTITION"]): (r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r["LAG"], r["CONSUMER-ID"])
            for r in table(p.stdout)}


def plan(p):
    """{(topic, partition): new offset} from a --reset-offsets plan."""
    rows = table(p.stdout)
    assert all(r["GROUP"] for r in rows), rows
    return {(r["TOPIC"], int(r["PARTITION"])): int(r["NEW-OFFSET"]) for r in rows}


def utc(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def test_describe_a_group_before_its_first_commit():
    """A group whose member holds partitions but has committed nothing: each
    partition's row has "-" for the offset and the lag, and the member's id,
    as Kafka's tool prints it.  Before, the sanitizer build stopped on a
    qsort of an empty list (no committed offsets, so no unassigned ones)."""
    with Broker(overrides=FAST) as b:
        create_topic(b, "fresh", 2)
        live = Consumer(b, "fresh", "nocommit", "live", "--consumer-property", "enable.auto.commit=false")
        try:
            def joined():  # (until the first join completes the group does not exist: rc 1)
                p = run("consumer-groups", "--bootstrap-server", b.bootstrap, "--describe", "--group", "nocommit")
                assert p.returncode in (0, 1) and "runtime error" not in p.stderr, p.stderr
                return p.returncode == 0 and "live-" in p.stdout
            wait_for("the member's assignment", joined)
            rows = offsets(b, "nocommit")
            assert set(rows) == {0, 1} and all(r[:3] == ("-", "0", "-") and r[3].startswith("live-") for r in rows.values()), rows
        finally:
            live.stop()


def test_describe_and_reset_offsets():
    topic, group = "orders", "shop"
    with Broker(overrides=FAST) as b:
        create_topic(b, topic, 2)
        p = cg(b, "--describe", "--group", group, rc=1)
        assert p.stderr.strip() == "Error: Consumer group 'shop' does not exist.", p.stderr
        assert p.stdout == "", p.stdout

        # six records on partition 0 and four on partition 1, then a pause, then three more on 0
        k0, k1 = key_for(0, 2, "k"), key_for(1, 2, "k")
        produce(b, topic, [(k0, "a%d" % i) for i in range(6)] + [(k1, "b%d" % i) for i in range(4)])
        time.sleep(1.2)
        middle = int(time.time() * 1000)
        time.sleep(1.2)
        consume_all(b, topic, group, 10, "--from-beginning")

        # an Empty group: Kafka's note on stderr, and the committed offsets with "-" for the member columns
        p = cg(b, "--describe", "--group", group)
        assert p.stderr.strip() == "Consumer group 'shop' has no active members.", p.stderr
        assert p.stdout.startswith("\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG"), p.stdout
        assert offsets(b, group) == {0: ("6", "6", "0", "-"), 1: ("4", "4", "0", "-")}
        produce(b, topic, [(k0, "c%d" % i) for i in range(3)])
        assert offsets(b, group) == {0: ("6", "9", "3", "-"), 1: ("4", "4", "0", "-")}

        # with an active member: its id and client id, and the reset is refused
        live = Consumer(b, topic, group, "live")
        try:
            wait_for("the live member to catch up", lambda: offsets(b, group).get(0, ("",))[0] == "9")
            rows = table(cg(b, "--describe", "--group", group).stdout)
            assert {r["CLIENT-ID"] for r in rows} == {"live"} and rows[0]["CONSUMER-ID"].startswith("live-"), rows
            assert rows[0]["HOST"] != "-", rows
            p = cg(b, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute", rc=1)
            assert ("Error: Assignments can only be reset if the group 'shop' is inactive, but the current "
                    "state is Stable.") in p.stderr, p.stderr
            st = table(cg(b, "--describe", "--group", group, "--state").stdout)
            assert st[0]["COORDINATOR-(ID)"] == "%s(0)" % b.bootstrap and st[0]["STATE"] == "Stable", st
        finally:
            live.stop()
        assert offsets(b, group) == {0: ("9", "9", "0", "-"), 1: ("4", "4", "0", "-")}

        # dry runs (the default, and --dry-run) print the plan and change nothing
        p = cg(b, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest")
        assert "WARN: No action will be performed as the --execute option is missing." in p.stderr, p.stderr
        assert p.stdout.startswith("\nGROUP                          TOPIC                          PARTITION  NEW-OFFSET"), p.stdout
        assert plan(p) == {(topic, 0): 0, (topic, 1): 0}
        assert plan(cg(b, "--reset-offsets", "--group", group, "--all-topics", "--to-latest", "--dry-run")) == \
            {(topic, 0): 9, (topic, 1): 4}
        assert offsets(b, group) == {0: ("9", "9", "0", "-"), 1: ("4", "4", "0", "-")}

        # --to-offset (one partition; clamped to the log end with a warning), --shift-by (clamped at the start)
        assert plan(cg(b, "--reset-offsets", "--group", group, "--topic", topic + ":1", "--to-offset", "2", "--dry-run")) == \
            {(topic, 1): 2}
        p = cg(b, "--reset-offsets", "--group", group, "--topic", topic, "--to-offset", "7", "--dry-run")
        assert plan(p) == {(topic, 0): 7, (topic, 1): 4}, p.stdout
        assert "New offset (7) is higher than latest offset for topic partition orders-1. Value will be set to 4" in p.stderr
        assert plan(cg(b, "--reset-offsets", "--group", group, "--all-topics", "--shift-by", "-3", "--dry-run")) == \
            {(topic, 0): 6, (topic, 1): 1}
        p = cg(b, "--reset-offsets", "--group", group, "--all-topics", "--shift-by", "-5", "--dry-run")
        assert plan(p) == {(topic, 0): 4, (topic, 1): 0}, p.stdout
        assert "New offset (-1) is lower than earliest offset for topic partition orders-1. Value will be set to 0" in p.stderr

        # --to-datetime: the first record at or after the time; an empty partition falls back to the log end
        p = cg(b, "--reset-offsets", "--group", group, "--all-topics", "--to-datetime", utc(middle), "--dry-run")
        assert plan(p) == {(topic, 0): 6, (topic, 1): 4}, p.stdout
        assert "Warn: Partition 1 from topic orders is empty. Falling back to latest known offset." in p.stderr
        assert plan(cg(b, "--reset-offsets", "--group", group, "--all-topics", "--to-datetime",
                       utc(middle - 600000), "--dry-run")) == {(topic, 0): 0, (topic, 1): 0}
        local = datetime.datetime.fromtimestamp(middle / 1000, datetime.timezone(datetime.timedelta(hours=2)))
        zoned = local.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+02:00"
        assert plan(cg(b, "--reset-offsets", "--group", group, "--all-topics", "--to-datetime", zoned,
                       "--dry-run")) == {(topic, 0): 6, (topic, 1): 4}
        assert plan(cg(b, "--reset-offsets", "--group", group, "--all-topics", "--by-duration", "PT1H",
                       "--dry-run")) == {(topic, 0): 0, (topic, 1): 0}
        p = cg(b, "--reset-offsets", "--group", group, "--all-topics", "--to-datetime", "yesterday", rc=1)
        assert "Error: Executing consumer group command failed due to Error parsing timestamp." in p.stderr, p.stderr

        # --export, and --from-file reading it back (clamped to the log)
        p = cg(b, "--reset-offsets", "--group", group, "--all-topics", "--to-earliest", "--export")
        assert p.stdout == "orders,0,0\norders,1,0\n\n", p.stdout
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("orders,0,5\norders,1,40\n")
        try:
            assert plan(cg(b, "--reset-offsets", "--group", group, "--from-file", f.name, "--dry-run")) == \
                {(topic, 0): 5, (topic, 1): 4}
        finally:
            os.unlink(f.name)
        assert offsets(b, group) == {0: ("9", "9", "0", "-"), 1: ("4", "4", "0", "-")}

        # --to-earliest --execute: the group reads everything again
        p = cg(b, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute")
        assert plan(p) == {(topic, 0): 0, (topic, 1): 0} and "WARN" not in p.stderr, (p.stdout, p.stderr)
        assert offsets(b, group) == {0: ("0", "9", "9", "-"), 1: ("0", "4", "4", "-")}
        again = consume_all(b, topic, group, 13)
        assert sorted(v for _, _, v in again) == sorted(["a%d" % i for i in range(6)] + ["b%d" % i for i in range(4)] +
                                                        ["c%d" % i for i in range(3)]), again
        assert offsets(b, group) == {0: ("9", "9", "0", "-"), 1: ("4", "4", "0", "-")}
        # --shift-by --execute on one partition, then --to-current keeps what is committed
        cg(b, "--reset-offsets", "--group", group, "--topic", topic + ":0", "--shift-by", "-2", "--execute")
        assert offsets(b, group)[0] == ("7", "9", "2", "-")
        assert plan(cg(b, "--reset-offsets", "--group", group, "--all-topics", "--to-current", "--dry-run")) == \
            {(topic, 0): 7, (topic, 1): 4}
        # a group that does not exist yet can be given offsets (it is Dead, hence inactive)
        cg(b, "--reset-offsets", "--group", "fresh", "--topic", topic, "--to-offset", "1", "--execute")
        assert offsets(b, "fresh") == {0: ("1", "9", "8", "-"), 1: ("1", "4", "3", "-")}
        p = cg(b, "--reset-offsets", "--group", group, "--topic", "nope", "--to-earliest", "--dry-run", rc=1)
        assert "UnknownTopicOrPartitionException: This server does not host this topic-partition." in p.stderr, p.stderr


# ---- --list, --delete, --delete-offsets, usage and configuration ----

def test_list_delete_and_delete_offsets():
    with Broker(overrides=FAST) as b:
        create_topic(b, "t", 2)
        create_topic(b, "u", 1)
        produce(b, "t", [(key_for(p, 2, "k"), "v%d" % p) for p in range(2)])
        assert cg(b, "--list").stdout == ""
        for g in ("alpha", "beta"):
            cg(b, "--reset-offsets", "--group", g, "--topic", "t", "--topic", "u", "--to-latest", "--execute")
        live = Consumer(b, "t", "gamma", "gamma")
        try:
            wait_for("gamma to be stable", lambda: group_state(b, "gamma") == "Stable")
            assert sorted(cg(b, "--list").stdout.split()) == ["alpha", "beta", "gamma"]
            assert table(cg(b, "--list", "--state").stdout) == [
                {"GROUP": "alpha", "STATE": "Empty"}, {"GROUP": "beta", "STATE": "Empty"},
                {"GROUP": "gamma", "STATE": "Stable"}]
            assert cg(b, "--list", "--state", "stable").stdout.split() == ["GROUP", "STATE", "gamma", "Stable"]
            assert cg(b, "--list", "--state", "Empty,Dead").stdout.split()[2::2] == ["alpha", "beta"]
            p = cg(b, "--list", "--state", "Sleeping", rc=1)
            assert p.stderr.startswith("Invalid state list 'Sleeping'. Valid states are: PreparingRebalance, "
                                       "CompletingRebalance, Stable, Dead, Empty\n"), p.stderr
            # all groups at once, sorted; a non-empty group is not deleted
            p = cg(b, "--describe", "--all-groups", "--state")
            assert [l.split()[0] for l in p.stdout.splitlines() if l and not l.startswith("GROUP")] == \
                ["alpha", "beta", "gamma"], p.stdout
            p = cg(b, "--delete", "--group", "gamma", rc=1)
            assert p.stderr == ("Error: Deletion of some consumer groups failed:\n* Group 'gamma' could not be deleted "
                                "due to: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.\n"), p.stderr
            # offsets of a topic the group is subscribed to cannot be deleted
            p = cg(b, "--delete-offsets", "--group", "gamma", "--topic", "t", rc=1)
            assert "Error: Encounter some partition level error, see the follow-up details:" in p.stderr, p.stderr
            assert table(p.stdout) == [
                {"TOPIC": "t", "PARTITION": str(i), "STATUS": "Error: The consumer group is actively subscribed to the topic"}
                for i in range(2)], p.stdout
        finally:
            live.stop()

        # --delete-offsets: one partition, a whole topic, a topic that does not exist
        p = cg(b, "--delete-offsets", "--group", "alpha", "--topic", "t:1")
        assert p.stdout == ("Request succeed for deleting offsets with topic t:1 group alpha\n\n"
                            "TOPIC                          PARTITION       STATUS         \n"
                            "t                              1               Successful     \n"), p.stdout
        rows = table(cg(b, "--describe", "--group", "alpha").stdout)
        assert [(r["TOPIC"], r["PARTITION"], r["CURRENT-OFFSET"]) for r in rows] == [("t", "0", "1"), ("u", "0", "0")], rows
        p = cg(b, "--delete-offsets", "--group", "alpha", "--topic", "u", "--topic", "nope", rc=1)
        # as in Kafka, the request for the known topic succeeded; the unknown one is a row in error
        assert p.stdout.startswith("Request succeed for deleting offsets with topic u, nope group alpha\n"), p.stdout
        assert table(p.stdout.split("\n", 1)[1]) == [
            {"TOPIC": "nope", "PARTITION": "Not Provided", "STATUS": "Error: This server does not host this topic-partition."},
            {"TOPIC": "u", "PARTITION": "0", "STATUS": "Successful"}], p.stdout
        p = cg(b, "--delete-offsets", "--group", "missing", "--topic", "t", rc=1)
        assert p.stderr.startswith("Error: 'missing' does not exist.\n"), p.stderr

        # --delete: Kafka's messages for deleted and missing groups
        p = cg(b, "--delete", "--group", "alpha", "--group", "beta")
        assert p.stdout == "Deletion of requested consumer groups ('alpha', 'beta') was successful.\n", p.stdout
        assert sorted(cg(b, "--list").stdout.split()) == ["gamma"]
        p = cg(b, "--describe", "--group", "alpha", rc=1)
        assert p.stderr.strip() == "Error: Consumer group 'alpha' does not exist.", p.stderr
        p = cg(b, "--delete", "--group", "alpha", rc=1)
        assert p.stderr == ("Error: Deletion of some consumer groups failed:\n* Group 'alpha' could not be deleted "
                            "due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not "
                            "exist.\n"), p.stderr
        p = cg(b, "--delete", "--all-groups")
        assert p.stdout == "Deletion of requested consumer groups ('gamma') was successful.\n", p.stdout
        assert cg(b, "--list").stdout == ""


def test_usage_errors_and_command_config():
    with Broker(overrides=FAST) as b:
        usage = [
            ((), "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets"),
            (("--list", "--describe", "--group", "g"), "Option \"[group]\" can't be used with option \"[list]\""),
            (("--describe",), "Option [describe] takes one of these options: [group], [all-groups]"),
            (("--describe", "--group", "g", "--members", "--state"),
             "Option [describe] takes at most one of these options: [members], [offsets], [state]"),
            (("--describe", "--group", "g", "--state", "Stable"), "Option [describe] does not take a value for [state]"),
            (("--list", "--members"), "Option(s) [members] are unavailable given other options on the command line"),
            (("--delete", "--group", "g", "--topic", "t"),
             "The consumer does not support topic-specific offset deletion from a consumer group."),
            (("--delete-offsets", "--group", "g"), "Option [delete-offsets] takes the following options: [group], [topic]"),
            (("--reset-offsets", "--group", "g", "--topic", "t", "--to-earliest", "--execute", "--dry-run"),
             "Option [reset-offsets] only accepts one of [execute] and [dry-run]"),
            (("--reset-offsets", "--group", "g", "--topic", "t", "--to-earliest", "--to-latest", "--execute"),
             "Option \"[to-earliest]\" can't be used with option \"[to-latest]\""),
            (("--reset-offsets", "--group", "g", "--topic", "t", "--execute"),
             "Option '[reset-offsets]' requires one of the following scenarios: [to-offset], [shift-by], [to-datetime], "
             "[by-duration], [to-earliest], [to-latest], [to-current], [from-file]"),
            (("--reset-offsets", "--group", "g", "--to-earliest", "--execute"),
             "One of the reset scopes should be defined: --all-topics, --topic."),
            (("--reset-offsets", "--group", "g", "--topic", "t", "--shift-by", "x", "--execute"),
             "Cannot parse argument 'x' of option shift-by"),
            (("--bogus",), "bogus is not a recognized option"),
            # --delete-offsets reads one group (jopt-simple's valueOf); the last one used to win
            (("--delete-offsets", "--group", "a", "--group", "b", "--topic", "t"),
             "Found multiple arguments for option group, but you asked for only one"),
            (("--describe", "--group", "a", "--timeout", "5000", "--timeout", "6000"),
             "Found multiple arguments for option timeout, but you asked for only one"),
        ]
        for args, msg in usage:
            p = cg(b, *args, rc=1)
            assert p.stderr.startswith(msg + "\n") and "Option                                   Description" in p.stderr, (args, p.stderr)
            assert p.stdout == "", (args, p.stdout)
        p = run("consumer-groups", "--list")
        assert p.returncode == 1 and p.stderr.startswith("Missing required argument \"[bootstrap-server]\"\n"), p.stderr
        p = run("consumer-groups", "--help")
        assert p.returncode == 0 and "--reset-offsets" in p.stdout, p.stdout

        with tempfile.TemporaryDirectory() as d:
            good, bad = os.path.join(d, "good.properties"), os.path.join(d, "bad.properties")
            with open(good, "w") as f:
                f.write("client.id=ops-console\nsocket.timeout.ms=20000\nmax.block.ms=1000\n")
            with open(bad, "w") as f:
                f.write("socket.timeout.ms=soon\n")
            assert cg(b, "--list", "--command-config", good).stdout == ""
            p = cg(b, "--list", "--command-config", bad, rc=1)
            assert "Invalid value soon for configuration socket.timeout.ms" in p.stderr, p.stderr
            p = cg(b, "--list", "--command-config", os.path.join(d, "missing.properties"), rc=1)
            assert p.stderr.startswith("Error: "), p.stderr


def main():
    run_tests([
        test_training_lab_three_consumers_one_group_then_kill_then_three_groups,
        test_describe_and_reset_offsets,
        test_describe_a_group_before_its_first_commit,
        test_list_delete_and_delete_offsets,
        test_usage_errors_and_command_config,
    ])


if __name__ == "__main__":
    main()
