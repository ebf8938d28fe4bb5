#!/usr/bin/python3
"""A tiny single-node Kafka stand-in that answers only the topic admin APIs.

    fake_admin_broker.py            prints "127.0.0.1:PORT", serves until killed

It exists so that `freshet topics` can be tested end to end before the real
broker implements these APIs; librdkafka's mock cluster does not have them.
It speaks the classic (non-flexible) versions only:

    ApiVersions 0, Metadata 0-1, CreateTopics 0-4, DeleteTopics 0-3,
    CreatePartitions 0-1, DescribeConfigs 0-1

and keeps topics in memory.  Broker id 1 is leader, only replica and only ISR
member of every partition.  Error messages are the ones Kafka's broker sends.
Standard library only.
"""
import socketserver
import struct
import sys
import threading

NODE_ID = 1

API_VERSIONS, METADATA, CREATE_TOPICS, DELETE_TOPICS, DESCRIBE_CONFIGS, CREATE_PARTITIONS = 18, 3, 19, 20, 32, 37
SUPPORTED = {API_VERSIONS: (0, 0), METADATA: (0, 1), CREATE_TOPICS: (0, 4), DELETE_TOPICS: (0, 3),
             CREATE_PARTITIONS: (0, 1), DESCRIBE_CONFIGS: (0, 1)}

# Kafka error codes
NONE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS = 0, 3, 17, 36, 37
INVALID_REPLICATION_FACTOR, INVALID_CONFIG, UNSUPPORTED_VERSION = 38, 40, 35

# Config sources (DescribeConfigs v1)
DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG = 1, 4, 5
TOPIC_DEFAULTS = [  # name, value, source
    ("cleanup.policy", "delete", DEFAULT_CONFIG),
    ("min.insync.replicas", "1", DEFAULT_CONFIG),
    ("retention.ms", "604800000", DEFAULT_CONFIG),
    ("segment.bytes", "1073741824", STATIC_BROKER_CONFIG),  # as set in server.properties
]
KNOWN_CONFIGS = {name for name, _, _ in TOPIC_DEFAULTS} | {"retention.bytes", "max.message.bytes",
                                                          "compression.type", "segment.ms"}

lock = threading.Lock()
topics = {"__consumer_offsets": {"partitions": 3, "configs": {"cleanup.policy": "compact"}}}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def i8(self): return self.take(">b")
    def i16(self): return self.take(">h")
    def i32(self): return self.take(">i")
    def boolean(self): return self.take(">b") != 0

    def string(self):
        n = self.i16()
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def array(self, item):
        n = self.i32()
        return None if n < 0 else [item() for _ in range(n)]


class Writer:
    def __init__(self):
        self.parts = []

    def i8(self, v): self.parts.append(struct.pack(">b", v)); return self
    def i16(self, v): self.parts.append(struct.pack(">h", v)); return self
    def i32(self, v): self.parts.append(struct.pack(">i", v)); return self
    def boolean(self, v): return self.i8(1 if v else 0)

    def string(self, s):
        if s is None:
            return self.i16(-1)
        b = s.encode()
        self.i16(len(b))
        self.parts.append(b)
        return self

    def array(self, items, write):
        self.i32(len(items))
        for it in items:
            write(it)
        return self

    def bytes(self):
        return b"".join(self.parts)


def api_versions(version, r, w):
    w.i16(NONE if version == 0 else UNSUPPORTED_VERSION)
    w.array(sorted(SUPPORTED.items()), lambda kv: w.i16(kv[0]).i16(kv[1][0]).i16(kv[1][1]))


def metadata(version, r, w, port):
    wanted = r.array(r.string)
    w.array([NODE_ID], lambda n: (w.i32(n).string("127.0.0.1").i32(port),
                                  w.string(None) if version >= 1 else None))
    if version >= 1:
        w.i32(NODE_ID)  # controller
    with lock:
        names = sorted(topics) if wanted is None or (version == 0 and not wanted) else wanted

        def topic(name):
            t = topics.get(name)
            w.i16(NONE if t else UNKNOWN_TOPIC_OR_PARTITION).string(name)
            if version >= 1:
                w.boolean(name.startswith("__"))
            parts = range(t["partitions"]) if t else []
            w.array(list(parts), lambda p: w.i16(NONE).i32(p).i32(NODE_ID)
                    .array([NODE_ID], w.i32).array([NODE_ID], w.i32))
        w.array(names, topic)


def create_topics(version, r, w):
    def topic_req():
        name, parts, rf = r.string(), r.i32(), r.i16()
        assignments = r.array(lambda: (r.i32(), r.array(r.i32)))
        configs = r.array(lambda: (r.string(), r.string()))
        return name, parts, rf, assignments, configs
    reqs = r.array(topic_req)
    r.i32()  # timeout
    validate_only = r.boolean() if version >= 1 else False
    results = []
    with lock:
        for name, parts, rf, assignments, configs in reqs:
            if assignments:
                parts, rf = len(assignments), len(assignments[0][1])
            if parts == -1:
                parts = 1  # num.partitions
            if rf == -1:
                rf = 1
            err, msg = NONE, None
            if name in topics:
                err, msg = TOPIC_ALREADY_EXISTS, "Topic '%s' already exists." % name
            elif not name or len(name) > 249 or any(c not in
                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-" for c in name):
                err, msg = INVALID_TOPIC, "Topic name is invalid: '%s' contains one or more characters" % name
            elif parts < 1:
                err, msg = INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value."
            elif rf != 1:
                err, msg = INVALID_REPLICATION_FACTOR, ("Unable to replicate the partition %d time(s): "
                                                        "The target replication factor of %d cannot be "
                                                        "reached because only 1 broker(s) are registered."
                                                        % (rf, rf))
            else:
                for k, _ in configs:
                    if k not in KNOWN_CONFIGS:
                        err, msg = INVALID_CONFIG, "Unknown topic config name: %s" % k
            if err == NONE and not validate_only:
                topics[name] = {"partitions": parts, "configs": dict(configs)}
            results.append((name, err, msg))
    if version >= 2:
        w.i32(0)
    w.array(results, lambda t: (w.string(t[0]).i16(t[1]), w.string(t[2]) if version >= 1 else None))


def delete_topics(version, r, w):
    names = r.array(r.string)
    r.i32()
    results = []
    with lock:
        for name in names:
            if name in topics:
                del topics[name]
                results.append((name, NONE))
            else:
                results.append((name, UNKNOWN_TOPIC_OR_PARTITION))
    if version >= 1:
        w.i32(0)
    w.array(results, lambda t: w.string(t[0]).i16(t[1]))


def create_partitions(version, r, w):
    reqs = r.array(lambda: (r.string(), r.i32(), r.array(lambda: r.array(r.i32))))
    r.i32()
    validate_only = r.boolean()
    results = []
    with lock:
        for name, count, _ in reqs:
            t = topics.get(name)
            if not t:
                results.append((name, UNKNOWN_TOPIC_OR_PARTITION, "The topic '%s' does not exist." % name))
            elif count <= t["partitions"]:
                results.append((name, INVALID_PARTITIONS, "Topic currently has %d partitions, which is "
                                "higher than the requested %d." % (t["partitions"], count)))
            else:
                if not validate_only:
                    t["partitions"] = count
                results.append((name, NONE, None))
    w.i32(0)
    w.array(results, lambda t: w.string(t[0]).i16(t[1]).string(t[2]))


def describe_configs(version, r, w):
    resources = r.array(lambda: (r.i8(), r.string(), r.array(r.string)))
    if version >= 1:
        r.boolean()  # include_synonyms
    w.i32(0)

    def resource(res):
        rtype, name, _keys = res
        with lock:
            t = topics.get(name) if rtype == 2 else None
            entries = []
            if t:
                overrides = t["configs"]
                for k, v, src in TOPIC_DEFAULTS:
                    if k not in overrides:
                        entries.append((k, v, src))
                entries += [(k, v, DYNAMIC_TOPIC_CONFIG) for k, v in sorted(overrides.items())]
        if t:
            w.i16(NONE).string(None)
        else:
            w.i16(UNKNOWN_TOPIC_OR_PARTITION).string("Topic %s does not exist" % name)
        w.i8(rtype).string(name)

        def entry(e):
            w.string(e[0]).string(e[1]).boolean(False)
            if version == 0:
                w.boolean(e[2] == DEFAULT_CONFIG)
            else:
                w.i8(e[2])
            w.boolean(False)
            if version >= 1:
                w.array([], None)  # synonyms
        w.array(entries, entry)
    w.array(resources, resource)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        port = self.server.server_address[1]
        while True:
            head = self.recv_exact(4)
            if head is None:
                return
            (size,) = struct.unpack(">i", head)
            body = self.recv_exact(size)
            if body is None:
                return
            r = Reader(body)
            api_key, version, correlation = r.i16(), r.i16(), r.i32()
            r.string()  # client id
            w = Writer()
            lo_hi = SUPPORTED.get(api_key)
            if api_key == API_VERSIONS:
                api_versions(version, r, w)
            elif lo_hi is None or not lo_hi[0] <= version <= lo_hi[1]:
                return  # as Kafka does for an unknown API or version: close the connection
            elif api_key == METADATA:
                metadata(version, r, w, port)
            elif api_key == CREATE_TOPICS:
                create_topics(version, r, w)
            elif api_key == DELETE_TOPICS:
                delete_topics(version, r, w)
            elif api_key == CREATE_PARTITIONS:
                create_partitions(version, r, w)
            elif api_key == DESCRIBE_CONFIGS:
                describe_configs(version, r, w)
            payload = struct.pack(">i", correlation) + w.bytes()
            sock.sendall(struct.pack(">i", len(payload)) + payload)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print("127.0.0.1:%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
