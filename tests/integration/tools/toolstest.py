"""Shared helpers for the client-tool integration tests (standard library only).

The test scripts take the freshet binary and either a bootstrap address of a
running broker, or --mock PATH to start tests/integration/tools/mock_cluster
(librdkafka's mock cluster) for the duration of the run:

    test_console_tools.py FRESHET BOOTSTRAP
    test_console_tools.py FRESHET --mock MOCK_CLUSTER
    test_topics.py FRESHET --fake      (fake_admin_broker.py: the topic admin APIs only)

Each check prints "ok   name" / "FAIL name" (+ details) / "skip name"; the
run ends with "N passed, N failed, N skipped" and exits 1 if anything failed.
"""
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
import uuid

TIMEOUT = 60


class Env:
    """What a test needs: the binary, the bootstrap address, and whether it is the mock."""

    def __init__(self, freshet, bootstrap, mock_proc=None, kind="broker"):
        self.freshet = freshet
        self.bootstrap = bootstrap
        self.mock_proc = mock_proc
        self.kind = kind  # "broker", "mock" (librdkafka's mock cluster) or "fake" (fake_admin_broker.py)

    @property
    def is_mock(self):
        return self.kind == "mock"

    def run(self, *args, stdin=None, timeout=TIMEOUT, env=None):
        """Runs `freshet ARGS`; returns CompletedProcess with text stdout/stderr."""
        return subprocess.run([self.freshet, *args], input=stdin, capture_output=True,
                              text=True, timeout=timeout, env=env)

    def popen(self, *args):
        return subprocess.Popen([self.freshet, *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def close(self):
        if self.mock_proc:
            self.mock_proc.send_signal(signal.SIGTERM)
            try:
                self.mock_proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.mock_proc.kill()


def advertised_apis(bootstrap, timeout=10):
    """The API keys a broker lists in its ApiVersions v0 response (empty set if unreachable)."""
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as s:
            body = struct.pack(">hhih", 18, 0, 1, len(b"toolstest")) + b"toolstest"
            s.sendall(struct.pack(">i", len(body)) + body)
            data = b""
            while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    return set()
                data += chunk
    except OSError:
        return set()
    # size, correlation id, error code, [api_key, min, max]
    (count,) = struct.unpack_from(">i", data, 10)
    return {struct.unpack_from(">h", data, 14 + 6 * i)[0] for i in range(count)}


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def start_mock(mock_binary, topics=(), extra=()):
    """Starts mock_cluster with topics [(name, partitions)]; returns (proc, bootstrap)."""
    args = [mock_binary, *extra]
    for name, partitions in topics:
        args += ["--topic", "%s:%d" % (name, partitions)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise RuntimeError("mock_cluster did not start: %s" % proc.stderr.read())
    return proc, line


def start_fake():
    """Starts fake_admin_broker.py beside this file; returns (proc, bootstrap)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_admin_broker.py")
    proc = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise RuntimeError("fake_admin_broker did not start: %s" % proc.stderr.read())
    return proc, line


def parse_argv(usage, topics=(), mock_extra=(), allow_fake=False):
    """Parses FRESHET (BOOTSTRAP | --mock MOCK | --fake) into an Env; topics are pre-created on the mock."""
    argv = sys.argv[1:]
    if len(argv) == 3 and argv[1] == "--mock":
        proc, bootstrap = start_mock(argv[2], topics, mock_extra)
        return Env(argv[0], bootstrap, proc, "mock")
    if allow_fake and len(argv) == 2 and argv[1] == "--fake":
        proc, bootstrap = start_fake()
        return Env(argv[0], bootstrap, proc, "fake")
    if len(argv) == 2 and not argv[1].startswith("-"):
        return Env(argv[0], argv[1], None, "broker")
    sys.stderr.write(usage)
    sys.exit(2)


def murmur2(data):
    """Kafka's Utils.murmur2 (as an unsigned 32-bit value)."""
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(length // 4):
        k = data[4 * i] | data[4 * i + 1] << 8 | data[4 * i + 2] << 16 | data[4 * i + 3] << 24
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail, extra = length & ~3, length % 4
    if extra == 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h ^= data[tail]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def java_partition(key, partitions):
    """The partition Kafka's default partitioner picks for a keyed record."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class Skip(Exception):
    pass


class Runner:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def run(self, fn, env):
        name = fn.__name__
        try:
            fn(env)
        except Skip as e:
            self.skipped += 1
            print("skip %s: %s" % (name, e), flush=True)
        except Exception:
            self.failed += 1
            print("FAIL %s" % name, flush=True)
            print("  " + traceback.format_exc().replace("\n", "\n  "), flush=True)
        else:
            self.passed += 1
            print("ok   %s" % name, flush=True)

    def done(self):
        print("%d passed, %d failed, %d skipped" % (self.passed, self.failed, self.skipped))
        return 1 if self.failed else 0


def check(cond, msg, *details):
    if not cond:
        raise AssertionError("\n".join([msg, *[str(d) for d in details]]))


def check_rc(proc, expected, what=""):
    check(proc.returncode == expected,
          "%s: exit code %s, expected %s" % (what or "command", proc.returncode, expected),
          "stdout: %r" % proc.stdout, "stderr: %r" % proc.stderr)


def wait_until(pred, timeout=20.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return pred()


def lines(text):
    return [l for l in text.split("\n") if l != ""]


def processed_count(stderr):
    m = re.search(r"^Processed a total of (\d+) messages$", stderr, re.M)
    return int(m.group(1)) if m else None


def main(tests, env):
    runner = Runner()
    try:
        for t in tests:
            runner.run(t, env)
    finally:
        env.close()
    sys.exit(runner.done())


os.environ.setdefault("FR_LOG_LEVEL", "WARN")
