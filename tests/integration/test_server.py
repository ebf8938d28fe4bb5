#!/usr/bin/env python3
"""freshet server: configuration handling, the log-dir lock, clean shutdown on
signals, and topics/offsets/data surviving a restart."""
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FRESHET, Broker, RawClient, api_versions, free_port, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402


def run_server(args, timeout=20):
    return subprocess.run([FRESHET, "server"] + args, capture_output=True, text=True, timeout=timeout)


def test_invalid_values_are_refused_naming_the_key():
    d = tempfile.mkdtemp()
    for key, val in [("log.segment.bytes", "abc"), ("num.partitions", "0"), ("auto.create.topics.enable", "maybe"),
                     ("listeners", "nonsense"), ("message.max.bytes", "-5"), ("socket.send.buffer.bytes", "0"),
                     ("socket.receive.buffer.bytes", "-2"), ("socket.send.buffer.bytes", "big"),
                     ("log4j.rootLogger.level", "verbose")]:
        r = run_server(["--override", "log.dirs=" + d, "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % free_port(),
                        "--override", "%s=%s" % (key, val)])
        assert r.returncode != 0, (key, r)
        assert key in r.stderr, (key, r.stderr)


def broker_side_buffers(port):
    """(SO_SNDBUF, SO_RCVBUF) of the broker's end of each connection to port, as ss shows
    them (the kernel keeps twice what setsockopt asked for)."""
    out = subprocess.run(["ss", "-tmnH", "state", "established", "( sport = :%d )" % port],
                         capture_output=True, text=True, check=True).stdout
    return [(int(tb), int(rb)) for rb, tb in re.findall(r"rb(\d+),t\d+,tb(\d+)", out)]


def test_socket_buffer_sizes_apply_to_each_connection():
    # set: what each accepted connection gets, and what DescribeConfigs reports
    with Broker(overrides={"socket.send.buffer.bytes": "65536", "socket.receive.buffer.bytes": "98304"}) as b:
        c = RawClient(b.port)
        c.request(18, 0)
        c.recv_frame()
        assert broker_side_buffers(b.port) == [(131072, 196608)], broker_side_buffers(b.port)
        c.close()
        out = subprocess.run([FRESHET, "configs", "--bootstrap-server", b.bootstrap, "--describe", "--all",
                              "--entity-type", "brokers", "--entity-name", "0"], capture_output=True, text=True,
                             timeout=60).stdout
        assert re.search(r"^  socket\.send\.buffer\.bytes=65536 .*STATIC_BROKER_CONFIG", out, re.M), out
        assert re.search(r"^  socket\.receive\.buffer\.bytes=98304 .*STATIC_BROKER_CONFIG", out, re.M), out
    # defaults: a bounded send buffer, and the receive buffer left to the kernel, which starts
    # an autotuned one at tcp_rmem's middle value; -1 leaves the send buffer to it too
    with open("/proc/sys/net/ipv4/tcp_rmem") as f:
        kernel_rcvbuf = int(f.read().split()[1])
    for overrides, want_send in (({}, 2 * 262144), ({"socket.send.buffer.bytes": "-1"}, None)):
        with Broker(overrides=overrides) as b:
            c = RawClient(b.port)
            c.request(18, 0)
            c.recv_frame()
            [(send, recv)] = broker_side_buffers(b.port)
            if want_send:
                assert send == want_send, (overrides, send)
            else:
                assert send != 2 * 262144, (overrides, send)
            assert recv == kernel_rcvbuf, (overrides, recv, kernel_rcvbuf)
            c.close()


def test_missing_config_file_is_an_error():
    r = run_server(["/nonexistent/server.properties"])
    assert r.returncode != 0 and "/nonexistent/server.properties" in r.stderr, r


def test_properties_file_and_unknown_key_warning():
    d = tempfile.mkdtemp()
    port = free_port()
    path = os.path.join(d, "server.properties")
    with open(path, "w") as f:
        f.write("broker.id=7\nlisteners=PLAINTEXT://127.0.0.1:%d\nlog.dirs=%s/logs\nnum.partitions=4\n"
                "num.network.threads=3\nmy.made.up.key=1\nlog4j.rootLogger.level=info\n" % (port, d))
    b = Broker(config_file=path, port=port, data_dir=d)
    b.overrides = {}
    b.command = lambda: [FRESHET, "server", path]
    with b:
        assert "my.made.up.key" in b.log() and "isn't a known config" in b.log(), b.log()
        assert "num.network.threads" not in b.log() and "log4j" not in b.log(), b.log()
        c = RawClient(port)
        c.request(3, 1, kw.metadata_v1(["auto"]))
        resp = c.recv_frame()
        # brokers array: one broker with node id 7
        assert resp[4:8] == b"\x00\x00\x00\x01" and resp[8:12] == (7).to_bytes(4, "big"), resp[:16]
        c.close()
    assert os.path.isdir(os.path.join(d, "logs", "auto-3")), os.listdir(os.path.join(d, "logs"))


def test_second_instance_on_same_dirs_is_refused():
    with Broker() as b:
        other = Broker(data_dir=b.data_dir)
        other.overrides = {}
        r = subprocess.run(other.command(), capture_output=True, text=True, timeout=20)
        assert r.returncode != 0, r
        assert "lock" in (r.stdout + r.stderr).lower(), r
        other.own_dir = False
        assert api_versions(b.port)


def test_sigint_and_sigterm_shut_down_cleanly():
    for sig in (signal.SIGINT, signal.SIGTERM):
        b = Broker().start()
        try:
            b.proc.send_signal(sig)
            rc = b.proc.wait(timeout=30)
            assert rc == 0, (sig, rc, b.log())
            assert "shut down completed" in b.log(), b.log()
        finally:
            b.cleanup()


def test_topics_offsets_and_data_survive_restart():
    b = Broker(overrides={"log.segment.bytes": "4096"})
    try:
        b.start()
        c = RawClient(b.port)
        kw.create_topic(c, "keep", 3)
        for i in range(200):
            c.request(0, 3, kw.produce_v3("keep", i % 3, kw.record_batch([(b"k%d" % i, b"v" * 100)])))
            _, res = kw.parse_produce_v3_response(c.recv_frame())
            assert res[0][2] == 0 and res[0][3] == i // 3, res
        c.close()
        b.restart()
        c = RawClient(b.port)
        c.request(3, 1, kw.metadata_v1(["keep"]))
        c.recv_frame()
        for p, want in ((0, 67), (1, 67), (2, 66)):
            c.request(0, 3, kw.produce_v3("keep", p, kw.record_batch([(b"after", b"restart")])))
            _, res = kw.parse_produce_v3_response(c.recv_frame())
            assert res == [("keep", p, 0, want)], res
        c.close()
        segs = [f for f in os.listdir(os.path.join(b.log_dir, "keep-0")) if f.endswith(".log")]
        assert len(segs) > 1, segs  # 4 KiB segments rolled
    finally:
        b.stop()
        b.cleanup()


def metadata_brokers(port):
    """Metadata v1 on a new connection to port -> [(node id, host, port)]"""
    c = RawClient(port)
    try:
        c.request(3, 1, kw.metadata_v1([]))
        resp = c.recv_frame()
    finally:
        c.close()
    nb, = struct.unpack_from(">i", resp, 4)
    off, out = 8, []
    for _ in range(nb):
        node, = struct.unpack_from(">i", resp, off)
        host, off = kw._read_string(resp, off + 4)
        out.append((node, host, struct.unpack_from(">i", resp, off)[0]))
        off += 4
        _rack, off = kw._read_string(resp, off)
    return out


def refused_connection(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except OSError:
        return True


def test_every_plaintext_listener_is_served_and_answers_with_its_own_address():
    """Kafka's named listeners: every listener that listener.security.protocol.map
    makes PLAINTEXT is served, and Metadata answers a client with the advertised
    address of the listener it came in on (KafkaApis: getAliveBrokerNodes(
    request.context.listenerName)); a controller.listener.names listener carries
    no clients, and one of another protocol is left out with a warning.  Before,
    only a listener named PLAINTEXT was served, and a configuration without one
    (the usual INTERNAL/EXTERNAL pair) did not start."""
    internal, external, controller, secure = (free_port() for _ in range(4))
    overrides = {
        "listeners": "INTERNAL://127.0.0.1:%d,external://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d,SECURE://127.0.0.1:%d"
                     % (internal, external, controller, secure),
        "listener.security.protocol.map": "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,SECURE:SSL",
        "controller.listener.names": "CONTROLLER",
        "advertised.listeners": "EXTERNAL://localhost:%d" % external,
    }
    from confluent_kafka import Consumer, Producer
    with Broker(overrides=overrides, port=internal) as b:
        assert metadata_brokers(internal) == [(0, "127.0.0.1", internal)]  # not advertised: its own address
        assert metadata_brokers(external) == [(0, "localhost", external)]
        assert refused_connection(controller) and refused_connection(secure)
        assert "listener SECURE is not served" in b.log(), b.log()
        p = Producer({"bootstrap.servers": "localhost:%d" % external})
        p.produce("via-external", b"hello")
        assert p.flush(30) == 0
        c = Consumer({"bootstrap.servers": "localhost:%d" % external, "group.id": "ext",
                      "auto.offset.reset": "earliest"})
        c.subscribe(["via-external"])
        got = None
        deadline = time.time() + 30
        while got is None and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got = m.value()
        c.close()
        assert got == b"hello", got

    # Kafka's own KRaft example: the controller listener needs no protocol map entry; and a
    # wildcard listener that advertised.listeners leaves out is no error (Kafka advertises it not)
    kraft, wild = free_port(), free_port()
    with Broker(port=kraft, overrides={
            "listeners": "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d,DOCKER://0.0.0.0:%d"
                         % (kraft, free_port(), wild),
            "process.roles": "broker,controller", "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,DOCKER:PLAINTEXT",
            "advertised.listeners": "PLAINTEXT://127.0.0.1:%d" % kraft}):
        assert metadata_brokers(kraft) == [(0, "127.0.0.1", kraft)]
        assert metadata_brokers(wild)[0][2] == wild  # its host is the machine's name
    with Broker(port=kraft, overrides={
            "listeners": "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (kraft, free_port()),
            "controller.listener.names": "CONTROLLER"}):
        assert metadata_brokers(kraft) == [(0, "127.0.0.1", kraft)]

    d = tempfile.mkdtemp()
    port = free_port()
    for settings, message in [
            ({"listeners": "PLAINTEXT://0.0.0.0:%d" % port}, "cannot use the nonroutable meta-address"),
            ({"listeners": "INTERNAL://127.0.0.1:%d" % port}, "No security protocol defined for listener INTERNAL"),
            ({"listeners": "A://127.0.0.1:%d,B://127.0.0.1:%d" % (port, port),
              "listener.security.protocol.map": "A:PLAINTEXT,B:PLAINTEXT"}, "Each listener must have a different port"),
            ({"listeners": "PLAINTEXT://127.0.0.1:%d" % port, "advertised.listeners": "OTHER://h:1"},
             "advertised.listeners listener names must be equal to or a subset"),
            ({"listeners": "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (port, free_port()),
              "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
              "controller.listener.names": "CONTROLLER", "advertised.listeners": "CONTROLLER://h:1"},
             "must not contain KRaft controller listeners"),
            ({"listeners": "SSL://127.0.0.1:%d" % port}, "no PLAINTEXT listener")]:
        args = ["--override", "log.dirs=" + d]
        for k, v in settings.items():
            args += ["--override", "%s=%s" % (k, v)]
        r = run_server(args)
        assert r.returncode != 0 and message in r.stderr, (settings, r.returncode, r.stderr)


# Kafka's tools that take --version (CommandDefaultOptions); the perf producer
# (argparse) and the end-to-end latency tool (positional) take none, as in Kafka.
VERSIONED_TOOLS = ["topics", "console-producer", "console-consumer", "consumer-groups", "configs",
                   "delete-records", "log-dirs", "dump-log-segments", "consumer-perf-test"]


def project_version():
    cmake = open(os.path.join(os.environ.get("FRESHET_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                              "CMakeLists.txt")).read()
    return re.search(r"project\(freshet VERSION ([0-9.]+)", cmake).group(1)


def test_every_tool_and_the_server_print_the_version():
    version = project_version()
    for args in [["--version"], ["server", "--version"], ["server", "--override", "x=y", "--version"]] + \
            [[tool, "--version"] for tool in VERSIONED_TOOLS]:
        # without the options each tool requires: Kafka's tools answer --version before checking them
        r = subprocess.run([FRESHET] + args, capture_output=True, text=True, timeout=30)
        assert (r.returncode, r.stdout, r.stderr) == (0, version + "\n", ""), (args, r)
    for tool in VERSIONED_TOOLS:
        r = subprocess.run([FRESHET, tool, "--help"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and re.search(r"^--version +Display Freshet version\.$", r.stdout, re.M), (tool, r)
    # --help comes first, as Kafka's server checks it first
    r = subprocess.run([FRESHET, "server", "--version", "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "" and "USAGE: freshet server" in r.stderr, r
    with Broker() as b:
        assert "Freshet version: %s" % version in b.log(), b.log()[-2000:]


if __name__ == "__main__":
    run_tests([
        test_every_plaintext_listener_is_served_and_answers_with_its_own_address,
        test_invalid_values_are_refused_naming_the_key,
        test_socket_buffer_sizes_apply_to_each_connection,
        test_missing_config_file_is_an_error,
        test_properties_file_and_unknown_key_warning,
        test_second_instance_on_same_dirs_is_refused,
        test_sigint_and_sigterm_shut_down_cleanly,
        test_topics_offsets_and_data_survive_restart,
        test_every_tool_and_the_server_print_the_version,
    ])
