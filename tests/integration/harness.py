"""Test harness: run a real freshet broker on a free loopback port.

Every broker gets its own temp data dir, runs as a child process, and is
stopped by PID when the test ends (SIGTERM, then SIGKILL after a grace period).
A clean stop must exit 0 with no sanitizer report in its log: that turns
memory errors and leaks in the broker into test failures.
"""
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

FRESHET = os.environ.get("FRESHET_BIN") or os.path.join(os.getcwd(), "freshet")


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _listens(pid, port):
    """Whether process pid holds the socket listening on port (/proc/net/tcp's inode among its fds)."""
    want = ":%04X" % port
    inodes = set()
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1].endswith(want) and fields[3] == "0A":  # local address, state LISTEN
                    inodes.add("socket:[%s]" % fields[9])
        fd_dir = "/proc/%d/fd" % pid
        return any(os.readlink(os.path.join(fd_dir, fd)) in inodes for fd in os.listdir(fd_dir))
    except OSError:
        return False


def free_port():
    """A free port below the kernel's ephemeral range.  Tests run in parallel
    (ctest -j): a port the kernel handed out for bind(0) could meanwhile be
    taken as the local end of another test's outgoing connection, before the
    broker binds it (or again between a stop and a restart).  Ports below
    the range are never used that way; two tests picking the same one at
    random is left to Broker.start to notice."""
    low = min(_ephemeral_low(), 32768)
    if low <= 21000:  # an unusual range leaves no room below it: the kernel's pick, as before
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    while True:
        port = random.randrange(20000, low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


class Broker:
    def __init__(self, overrides=None, data_dir=None, port=None, config_file=None, coordinator=False):
        """coordinator: have the broker make __consumer_offsets at each start
        (make_offsets_topic), for tests that send group requests without
        looking for a coordinator first, as a client would."""
        self.overrides = dict(overrides or {})
        self.coordinator = coordinator
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="freshet-test-")
        self.chosen_port = port is None  # ours to change if another process binds it first
        self.port = port or free_port()
        self.config_file = config_file
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "broker-%d.log" % self.port)
        self.starts = 0

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    @property
    def log_dir(self):
        return os.path.join(self.data_dir, "kafka-logs")

    def command(self):
        cmd = [FRESHET, "server"]
        if self.config_file:
            cmd.append(self.config_file)
        props = {"listeners": "PLAINTEXT://127.0.0.1:%d" % self.port, "log.dirs": self.log_dir}
        props.update(self.overrides)
        for k, v in props.items():
            cmd += ["--override", "%s=%s" % (k, v)]
        return cmd

    def start(self, timeout=60):
        self.starts += 1
        self.log_path = os.path.join(self.data_dir, "broker-%d-%d.log" % (self.port, self.starts))
        log = open(self.log_path, "wb")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                if self.chosen_port and self.starts == 1 and "Socket server failed to bind" in self.log():
                    self.port, self.starts = free_port(), 0  # a parallel test took it first
                    return self.start(timeout)
                raise AssertionError("broker exited with %s during startup:\n%s" % (self.proc.returncode, self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            if not _listens(self.proc.pid, self.port):  # the port may answer for another test's broker
                time.sleep(0.05)
                continue
            if self.coordinator:
                make_offsets_topic(self.port)
            return self
        self.kill()
        raise AssertionError("broker did not start listening within %ss:\n%s" % (timeout, self.log()))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout=60, check=True):
        """SIGTERM and wait; a clean shutdown exits 0 with no sanitizer report."""
        if not self.proc or self.proc.poll() is not None:
            rc = self.proc.returncode if self.proc else 0
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("broker did not stop within %ss after SIGTERM" % timeout)
        if check:
            log = self.log()
            assert "Sanitizer" not in log and "runtime error:" not in log, "sanitizer report in broker log:\n" + log[-20000:]
            assert rc == 0, "broker exited with %s:\n%s" % (rc, log[-5000:])
        return rc

    def kill(self):
        """kill -9: no chance to flush or clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        self.kill()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop()
        finally:
            self.cleanup()
        return False


# ---- a tiny raw Kafka protocol client for protocol-level tests ----

class RawClient:
    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.corr = 0

    def close(self):
        self.sock.close()

    def send_frame(self, body):
        self.sock.sendall(struct.pack(">i", len(body)) + body)

    def request(self, api_key, version, body=b"", client_id=b"raw-test", flexible=False):
        self.corr += 1
        hdr = struct.pack(">hhi", api_key, version, self.corr) + struct.pack(">h", len(client_id)) + client_id
        if flexible:
            hdr += b"\x00"
        self.send_frame(hdr + body)
        return self.corr

    def recv_frame(self):
        size = struct.unpack(">i", self.recv_exact(4))[0]
        return self.recv_exact(size)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("connection closed by broker")
            buf += chunk
        return buf

    def is_closed(self, timeout=5):
        """True when the broker closed the connection (EOF) within timeout."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def wait_for(cond, what, timeout=20, interval=0.1):
    """Polls cond until it returns something true (returned); fails naming what after timeout s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


def answered(client, within):
    """Whether the broker has sent client something (a response) within `within` s."""
    return bool(select.select([client.sock], [], [], within)[0])


def request_once(port, api_key, version, body, flexible=False):
    """One request on a new connection: the response frame (correlation id first)."""
    c = RawClient(port)
    try:
        c.request(api_key, version, body, flexible=flexible)
        return c.recv_frame()
    finally:
        c.close()


def api_versions(port):
    """ApiVersions v0 over a raw socket: {api_key: (min, max)}."""
    c = RawClient(port)
    try:
        corr = c.request(18, 0)
        resp = c.recv_frame()
        got_corr, err, n = struct.unpack(">ihi", resp[:10])
        assert got_corr == corr and err == 0, (got_corr, err)
        out, off = {}, 10
        for _ in range(n):
            k, lo, hi = struct.unpack(">hhh", resp[off:off + 6])
            out[k] = (lo, hi)
            off += 6
        return out
    finally:
        c.close()


def find_coordinator(port, group):
    """FindCoordinator v1 for a group on a new connection -> (error code, node id)."""
    resp = request_once(port, 10, 1, struct.pack(">h", len(group)) + group.encode() + b"\x00")
    err, = struct.unpack_from(">h", resp, 8)  # after the correlation id and throttle time
    msg_len, = struct.unpack_from(">h", resp, 10)
    node, = struct.unpack_from(">i", resp, 12 + max(msg_len, 0))
    return err, node


def make_offsets_topic(port):
    """Has the broker make __consumer_offsets the way a client does, by looking
    for a group coordinator (Kafka makes it then, not at start-up); waits until
    a coordinator is found."""
    return wait_for(lambda: find_coordinator(port, "harness-group")[0] == 0, "a group coordinator")


def run_tests(tests):
    """Runs test functions; prints 'N passed, N failed' and exits non-zero on failure."""
    passed = failed = 0
    only = set(sys.argv[1:])
    for t in tests:
        if only and t.__name__ not in only:
            continue
        start = time.time()
        try:
            t()
            passed += 1
            print("ok   %s (%.1fs)" % (t.__name__, time.time() - start), flush=True)
        except Exception:
            failed += 1
            import traceback
            print("FAIL %s (%.1fs)" % (t.__name__, time.time() - start), flush=True)
            traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or not passed else 0)
