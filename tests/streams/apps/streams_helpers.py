"""Helpers for the streams runtime's integration tests
(tests/integration/test_streams_*.py): run streams_testapp as a child
process, talk to it over its stdin/stdout protocol, and read topics with
confluent-kafka (librdkafka, the same client the runtime uses, driven from
outside).

Finding the binary: FRESHET_STREAMS_TESTAPP, else the build tree next to
FRESHET_BIN (<build>/tools/freshet -> <build>/tests/streams/apps/streams_testapp).
"""
import os
import queue
import signal
import struct
import subprocess
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def testapp_path():
    """The streams_testapp binary, or None when the build tree has no apps dir."""
    p = os.environ.get("FRESHET_STREAMS_TESTAPP")
    if p:
        return p
    fb = os.environ.get("FRESHET_BIN")
    if not fb:
        return None
    # the freshet binary sits at the top of the build tree (or in tools/)
    d = os.path.dirname(os.path.abspath(fb))
    for build in (d, os.path.dirname(d)):
        apps = os.path.join(build, "tests", "streams", "apps")
        if os.path.isdir(apps):
            return os.path.join(apps, "streams_testapp")
    return None


def require_testapp():
    """Exits 0 with a notice when the apps are not part of the build (see
    tests/streams/apps/CMakeLists.txt); a configured but missing binary fails."""
    p = testapp_path()
    if p is None:
        print("SKIP: streams_testapp is not built (tests/streams/CMakeLists.txt needs add_subdirectory(apps))")
        raise SystemExit(0)
    assert os.path.exists(p), "streams_testapp not found at %s" % p
    return p


SAN_ENV = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")}


class StreamsApp:
    """One streams_testapp process (one application instance)."""

    def __init__(self, mode, bootstrap, app_id, input_topic, output_topic, state_dir, threads=1, commit_ms=500,
                 extra=None, log_dir=None, name="app", args=()):
        self.cmd = [require_testapp(), mode, "--bootstrap", bootstrap, "--app-id", app_id, "--input", input_topic,
                    "--output", output_topic, "--state-dir", state_dir, "--threads", str(threads),
                    "--commit-ms", str(commit_ms)] + list(args)
        settings = {
            # quick failure detection and rebalances for tests
            "consumer.session.timeout.ms": "6000",
            "consumer.heartbeat.interval.ms": "500",
        }
        settings.update(extra or {})
        for k, v in settings.items():
            self.cmd += ["--set", "%s=%s" % (k, v)]
        self.name = name
        self.log_path = os.path.join(log_dir or state_dir, "%s.log" % name)
        self.proc = None
        self.lines = queue.Queue()
        self.states = []
        self.cond = threading.Condition()

    def start(self):
        env = dict(os.environ, **SAN_ENV)
        env.setdefault("FR_LOG_LEVEL", "INFO")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     env=env, text=True, bufsize=1)
        threading.Thread(target=self._reader, daemon=True).start()
        return self

    def _reader(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("STATE ") and len(line.split()) == 3:
                with self.cond:
                    self.states.append(line.split()[1])
                    self.cond.notify_all()
            else:
                self.lines.put(line)

    def wait_state(self, state, timeout=60, since=0):
        """Waits until the app has reported `state` (at index >= since)."""
        deadline = time.time() + timeout
        with self.cond:
            while state not in self.states[since:]:
                left = deadline - time.time()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError("%s: no %s within %ss (states %s, rc %s)\n%s" % (
                        self.name, state, timeout, self.states, self.proc.poll(), self.tail()))
                self.cond.wait(min(left, 0.5))

    def current_state(self):
        with self.cond:
            return self.states[-1] if self.states else "CREATED"

    def command(self, line, timeout=30):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("%s: no answer to %r\n%s" % (self.name, line, self.tail()))

    def get(self, store, key):
        """('VALUE', n) | ('MISSING', None) | ('ERROR', code name)."""
        parts = self.command("get %s %s" % (store, key)).split()
        assert parts[1] == key, parts
        if parts[0] == "VALUE":
            return "VALUE", int(parts[2])
        if parts[0] == "MISSING":
            return "MISSING", None
        return "ERROR", parts[2]

    def range(self, store, key_from=None, key_to=None, timeout=30):
        """[(key, n)] in the order the app's tasks gave them, or ('ERROR', code name)."""
        self.proc.stdin.write("range %s %s %s\n" % (store, key_from or "-", key_to or "-"))
        self.proc.stdin.flush()
        out = []
        while True:
            try:
                parts = self.lines.get(timeout=timeout).split()
            except queue.Empty:
                raise AssertionError("%s: no answer to range\n%s" % (self.name, self.tail()))
            if parts[0] == "ENTRY":
                out.append((parts[1], int(parts[2])))
            elif parts[0] == "END":
                return out
            else:
                return "ERROR", parts[2]

    def window_get(self, store, key, time_from, time_to, timeout=30):
        """[(window start, timestamp, count)] or ('ERROR', code name)."""
        self.proc.stdin.write("wget %s %s %d %d\n" % (store, key, time_from, time_to))
        self.proc.stdin.flush()
        out = []
        while True:
            try:
                parts = self.lines.get(timeout=timeout).split()
            except queue.Empty:
                raise AssertionError("%s: no answer to wget %s\n%s" % (self.name, key, self.tail()))
            if parts[0] == "WINDOW":
                out.append((int(parts[2]), int(parts[3]), int(parts[4])))
            elif parts[0] == "END":
                return out
            else:
                return "ERROR", parts[2]

    def tail(self, n=8000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-n:]
        except OSError:
            return ""

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def check_log_clean(self):
        log = self.read_log()
        assert "Sanitizer" not in log and "runtime error:" not in log, "%s: sanitizer report:\n%s" % (
            self.name, log[-20000:])

    def stop(self, timeout=60, expect_rc=0):
        """Clean stop through SIGTERM (the app closes from its main thread)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("%s did not stop within %ss\n%s" % (self.name, timeout, self.tail()))
        self.log.close()
        self.check_log_clean()
        assert self.proc.returncode == expect_rc, "%s exited with %s\n%s" % (self.name, self.proc.returncode,
                                                                               self.tail())

    def wait_exit(self, timeout=60):
        """Waits for the process to end by itself; returns its exit code."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s still running after %ss\n%s" % (self.name, timeout, self.tail()))
        self.log.close()
        self.check_log_clean()
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.log.close()

    def ensure_dead(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---- topics ----

def create_topics(bootstrap, topics, config=None):
    """topics: {name: partitions}."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    fs = admin.create_topics([NewTopic(t, n, 1, config=dict(config or {})) for t, n in topics.items()])
    for t, f in fs.items():
        f.result(30)


def list_topics(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    md = admin.list_topics(timeout=10)
    return {t: len(m.partitions) for t, m in md.topics.items()}


def topic_configs(bootstrap, topic):
    from confluent_kafka.admin import ConfigResource
    admin = AdminClient({"bootstrap.servers": bootstrap})
    fs = admin.describe_configs([ConfigResource("topic", topic)])
    for _, f in fs.items():
        return {k: v.value for k, v in f.result(30).items()}


def produce(bootstrap, topic, records, **conf):
    """records: iterable of (key, value) or (key, value, timestamp ms)
    (bytes or str or None).  Keys are
    partitioned like the Java producer does (murmur2), which interactive
    queries rely on, as in Kafka."""
    p = Producer(dict({"bootstrap.servers": bootstrap, "linger.ms": 20, "enable.idempotence": True,
                       "partitioner": "murmur2_random"}, **conf))
    n = 0
    for r in records:
        k, v = r[0], r[1]
        extra = {"timestamp": r[2]} if len(r) > 2 else {}
        while True:
            try:
                p.produce(topic, key=k, value=v, **extra)
                break
            except BufferError:
                p.poll(0.1)
        n += 1
        if n % 10000 == 0:
            p.poll(0)
    left = p.flush(60)
    assert left == 0, "%d records not delivered" % left


def read_all(bootstrap, topic, timeout=60):
    """Every record of the topic, from the beginning to the high watermarks at
    the call: a list of (partition, offset, key, value)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-%d" % time.time_ns(),
                  "enable.auto.commit": False, "enable.partition.eof": False})
    try:
        md = c.list_topics(topic, timeout=10)
        parts = sorted(md.topics[topic].partitions)
        ends = {}
        for p in parts:
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if hi > lo:
                ends[p] = hi
        c.assign([TopicPartition(topic, p, 0) for p in ends])
        out = []
        pos = {p: 0 for p in ends}
        deadline = time.time() + timeout
        while any(pos[p] < ends[p] for p in ends):
            assert time.time() < deadline, "reading %s timed out at %s of %s" % (topic, pos, ends)
            for m in c.consume(10000, 0.5):
                if m.error():
                    continue
                out.append((m.partition(), m.offset(), m.key(), m.value()))
                pos[m.partition()] = max(pos[m.partition()], m.offset() + 1)
        return out
    finally:
        c.close()


def latest_longs(bootstrap, topic):
    """The latest value per key of a (compacted) topic of 8-byte big-endian longs."""
    latest = {}
    for _, _, k, v in sorted(read_all(bootstrap, topic), key=lambda r: (r[0], r[1])):
        key = k.decode()
        if v is None:
            latest.pop(key, None)
        else:
            latest[key] = struct.unpack(">q", v)[0]
    return latest


def low_watermarks(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "lw-%d" % time.time_ns()})
    try:
        md = c.list_topics(topic, timeout=10)
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[0] for p in md.topics[topic].partitions}
    finally:
        c.close()


def committed_lag(bootstrap, group, topics):
    """Sum over the topics' partitions of (high watermark - committed offset) for a group."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        lag = 0
        tps = []
        for t in topics:
            md = c.list_topics(t, timeout=10)
            tps += [TopicPartition(t, p) for p in md.topics[t].partitions]
        for tp in c.committed(tps, timeout=10):
            lo, hi = c.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=10)
            off = tp.offset if tp.offset >= 0 else 0
            lag += max(0, hi - off)
        return lag
    finally:
        c.close()


def wait_until(pred, timeout, what, interval=1.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        ok, last = pred()
        if ok:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s; last: %s" % (timeout, what, last))
