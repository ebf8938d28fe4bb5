#!/usr/bin/env python3
"""The idempotent producer: InitProducerId, and exactly-once, in-order delivery
through connections that break.

Clients reach the broker through CuttingProxy, a proxy in a thread of this
process that forwards bytes both ways and cuts connections at random moments:
after a random number of bytes in a random direction (usually in the middle of
a request or response frame) and, now and then, whatever connection is open.
The broker advertises the proxy's address (advertised.listeners) so clients
keep coming back through it. After the run the partitions are read straight
from the broker (raw Fetch on its own port, no proxy) and every partition must
hold each record exactly once, in order: record values are
"<partition>:<8-digit sequence in that partition>".

Cases: wire-level InitProducerId and bad producer input (Kafka's error codes,
the broker keeps serving); 100,000 records with confluent-kafka (librdkafka,
enable.idempotence=true) through the cutting proxy; and a kill -9 of the
broker in the middle of such a run, restarted on the same port while the same
producer keeps going. kafkajs: test_idempotence_kafkajs.py.
"""
import glob
import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafka_wire as kw  # noqa: E402
from harness import Broker, RawClient, free_port, make_offsets_topic, run_tests  # noqa: E402

N_RECORDS = int(os.environ.get("FRESHET_IDEMPOTENCE_RECORDS", "100000"))
PARTITIONS = 3

NONE, OUT_OF_ORDER, INVALID_PRODUCER_EPOCH = 0, 45, 47
INVALID_REQUEST, INVALID_RECORD = 42, 87
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53


# ---- the proxy ----

class _Link:
    """One proxied connection: client socket, broker socket, and where to cut it."""

    def __init__(self, client, broker, cut_dir, budget):
        self.socks = (client, broker)
        self.cut_dir = cut_dir        # "c2b", "b2c" or None
        self.budget = budget          # bytes to pass in cut_dir before the cut
        self.frame_left = {"c2b": 0, "b2c": 0}  # bytes left in the current frame (0: at a boundary)
        self.hdr = {"c2b": b"", "b2c": b""}     # partial size prefix
        self.lock = threading.Lock()
        self.closed = False

    def advance(self, d, data):
        """Follows the 4-byte size prefixes of Kafka frames through data."""
        i = 0
        while i < len(data):
            if self.frame_left[d] == 0:
                need = 4 - len(self.hdr[d])
                self.hdr[d] += data[i:i + need]
                i += min(need, len(data) - i)
                if len(self.hdr[d]) == 4:
                    self.frame_left[d] = struct.unpack(">i", self.hdr[d])[0]
                    self.hdr[d] = b""
            else:
                take = min(self.frame_left[d], len(data) - i)
                self.frame_left[d] -= take
                i += take

    def mid_frame(self, d):
        return self.frame_left[d] != 0 or self.hdr[d] != b""

    def cut(self):
        with self.lock:
            if self.closed:
                return False
            self.closed = True
        for s in self.socks:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        return True


class CuttingProxy:
    """127.0.0.1:<port> -> 127.0.0.1:<target_port>, cutting connections while
    `cutting` is on. Each new connection gets a byte budget in one random
    direction (uniform in [1, max_budget[direction]]: requests carry the
    records, responses are small); when it runs out, the bytes up to the
    budget are forwarded and both sides are cut, mid-frame as often as not. A
    timer also cuts a random open connection every `timer_cut` seconds (on
    average)."""

    def __init__(self, target_port, seed=1, max_budget=None, timer_cut=0.5):
        self.target_port = target_port
        self.seed = seed
        self.rng = random.Random(seed)
        self.max_budget = max_budget or {"c2b": 96 * 1024, "b2c": 2048}
        self.timer_cut = timer_cut
        self.cutting = False
        self.stats = {"connections": 0, "cuts_c2b": 0, "cuts_b2c": 0, "mid_frame": 0, "timer_cuts": 0,
                      "refused": 0}
        self.links = set()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(128)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._accept_loop, daemon=True).start()
        threading.Thread(target=self._timer_loop, daemon=True).start()

    def _accept_loop(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.lsock.accept()
            except OSError:
                return
            try:
                broker = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
                broker.settimeout(None)
            except OSError:
                self.stats["refused"] += 1  # the broker is down (restart case)
                client.close()
                continue
            for s in (client, broker):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.stats["connections"] += 1
                cut_dir = self.rng.choice(("c2b", "b2c")) if self.cutting else None
                budget = self.rng.randint(1, self.max_budget[cut_dir or "c2b"])
                link = _Link(client, broker, cut_dir, budget)
                self.links.add(link)
            threading.Thread(target=self._pump, args=(link, client, broker, "c2b"), daemon=True).start()
            threading.Thread(target=self._pump, args=(link, broker, client, "b2c"), daemon=True).start()

    def _pump(self, link, src, dst, d):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if link.cut_dir == d and self.cutting and len(data) >= link.budget:
                    head = data[:link.budget]
                    dst.sendall(head)
                    link.advance(d, head)
                    with self.lock:
                        self.stats["cuts_" + d] += 1
                        self.stats["mid_frame"] += link.mid_frame(d)
                    break
                if link.cut_dir == d:
                    link.budget -= len(data)
                link.advance(d, data)
                dst.sendall(data)
        except OSError:
            pass
        link.cut()
        with self.lock:
            self.links.discard(link)

    def _timer_loop(self):
        while not self.stopped.wait(self.rng.uniform(0.05, 2 * self.timer_cut)):
            if not self.cutting:
                continue
            with self.lock:
                links = list(self.links)
            if links and self.rng.choice(links).cut():
                with self.lock:
                    self.stats["timer_cuts"] += 1

    def cuts(self):
        return self.stats["cuts_c2b"] + self.stats["cuts_b2c"] + self.stats["timer_cuts"]

    def close(self):
        self.stopped.set()
        self.lsock.close()
        with self.lock:
            links = list(self.links)
        for link in links:
            link.cut()


def proxied_broker(extra=None):
    """A broker that advertises a proxy in front of it; returns (broker, proxy),
    both started. The broker logs at debug level, which names every
    duplicate it recognises (see duplicates_seen)."""
    os.environ["FR_LOG_LEVEL"] = "debug"
    port = free_port()
    proxy = CuttingProxy(port, seed=int(os.environ.get("FRESHET_PROXY_SEED", "0")) or random.randrange(1 << 30))
    overrides = {"advertised.listeners": "PLAINTEXT://127.0.0.1:%d" % proxy.port,
                 "auto.create.topics.enable": "false", "log.segment.bytes": "262144"}
    overrides.update(extra or {})
    b = Broker(overrides=overrides, port=port)
    b.start()
    return b, proxy


def duplicates_seen(b):
    """Batches the broker recognised as retries of batches already in the log
    (its debug line), over every start of the broker."""
    n = 0
    for path in glob.glob(os.path.join(b.data_dir, "broker-*.log")):
        with open(path, "rb") as f:
            n += f.read().count(b"not appended again")
    return n


# ---- wire helpers: idempotent batches, InitProducerId, reading partitions ----

def idempotent_batch(values, pid, epoch, seq, base_ts=None):
    """Timestamps are now's by default: a restart forgets producers whose newest batch is
    older than producer.id.expiration.ms (a day), as Kafka does."""
    if base_ts is None:
        base_ts = int(time.time() * 1000)
    body = b""
    for i, v in enumerate(values):
        r = b"\x00" + kw.varint(0) + kw.varint(i) + kw.varint(-1) + kw.varint(len(v)) + v + kw.varint(0)
        body += kw.varint(len(r)) + r
    after_crc = struct.pack(">hiqqqhii", 0, len(values) - 1, base_ts, base_ts, pid, epoch, seq, len(values)) + body
    return struct.pack(">qiibI", 0, 4 + 1 + 4 + len(after_crc), -1, 2, kw.crc32c(after_crc)) + after_crc


def produce(c, topic, partition, batch):
    c.request(0, 3, kw.produce_v3(topic, partition, batch, acks=-1))
    _, res = kw.parse_produce_v3_response(c.recv_frame())
    assert len(res) == 1, res
    return res[0][2], res[0][3]


def init_producer_id(c, version, txn=None, timeout=60000, pid=-1, epoch=-1):
    """-> (error, producer_id, epoch)"""
    flexible = version >= 2
    if flexible:
        t = b"\x00" if txn is None else kw.uvarint(len(txn) + 1) + txn.encode()
    else:
        t = kw.string(txn)
    body = t + struct.pack(">i", timeout)
    if version >= 3:
        body += struct.pack(">qh", pid, epoch)
    if flexible:
        body += b"\x00"
    corr = c.request(22, version, body, flexible=flexible)
    resp = c.recv_frame()
    got, = struct.unpack_from(">i", resp, 0)
    assert got == corr
    off = 5 if flexible else 4  # response header v1 has a tag section
    _throttle, err, pid_out, epoch_out = struct.unpack_from(">ihqh", resp, off)
    return err, pid_out, epoch_out


def decode_records(blob):
    """(offset, value) of every record of the whole uncompressed batches in blob."""
    out, off = [], 0
    while off + 61 <= len(blob):
        base, blen = struct.unpack_from(">qi", blob, off)
        end = off + 12 + blen
        if end > len(blob):
            break  # a partial batch at the end of a fetch
        attrs, = struct.unpack_from(">h", blob, off + 21)
        assert attrs & 7 == 0, "compressed batch at offset %d" % base
        count, = struct.unpack_from(">i", blob, off + 57)
        p = off + 61
        for _ in range(count):
            _length, p = _varint(blob, p)
            p += 1  # attributes
            _, p = _varint(blob, p)  # timestamp delta
            delta, p = _varint(blob, p)
            klen, p = _varint(blob, p)
            p += max(klen, 0)
            vlen, p = _varint(blob, p)
            value = blob[p:p + vlen] if vlen >= 0 else None
            p += max(vlen, 0)
            nh, p = _varint(blob, p)
            for _ in range(nh):
                hk, p = _varint(blob, p)
                p += hk
                hv, p = _varint(blob, p)
                p += max(hv, 0)
            out.append((base + delta, value))
        off = end
    return out


def _varint(b, p):
    """A zigzag varint at p -> (value, offset after it)"""
    u, p = kw.read_uvarint(b, p)
    return (u >> 1) ^ -(u & 1), p


def read_partition(port, topic, partition):
    """Every (offset, value) of a partition, fetched from the broker's own port."""
    c = RawClient(port, timeout=30)
    out, offset = [], 0
    try:
        while True:
            c.request(1, 4, kw.fetch_v4(topic, [(partition, offset)], max_wait=0, partition_max_bytes=4 << 20))
            err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[partition]
            assert err == 0, "fetch error %d at offset %d" % (err, offset)
            got = [r for r in decode_records(recs) if r[0] >= offset]
            out += got
            if got:
                offset = got[-1][0] + 1
            if offset >= hw:
                return out
            assert got, "no progress reading %s-%d at %d (hw %d)" % (topic, partition, offset, hw)
    finally:
        c.close()


def create_topic(port, topic, partitions=PARTITIONS):
    c = RawClient(port)
    try:
        kw.create_topic(c, topic, partitions)
    finally:
        c.close()


def check_exactly_once_in_order(port, topic, counts):
    """Each partition p holds "p:00000000".."p:<counts[p]-1>" once each, in order."""
    for p in range(PARTITIONS):
        values = [v for _, v in read_partition(port, topic, p)]
        want = [b"%d:%08d" % (p, i) for i in range(counts[p])]
        if values != want:
            seen, dups = set(), []
            for v in values:
                if v in seen:
                    dups.append(v)
                seen.add(v)
            missing = [v for v in want if v not in seen]
            first_bad = next((i for i, (a, b) in enumerate(zip(values, want)) if a != b), min(len(values), len(want)))
            raise AssertionError("%s-%d: %d records, want %d; %d duplicated (e.g. %s), %d missing (e.g. %s), "
                                 "first difference at index %d" % (topic, p, len(values), len(want), len(dups),
                                                                   dups[:3], len(missing), missing[:3], first_bad))


def test_a_transactional_producer_is_told_at_init_that_transactions_are_not_served():
    """Transactions are not served yet, so no transactional id is authorized: the
    transaction coordinator's lookup and InitProducerId with a transactional id are
    TRANSACTIONAL_ID_AUTHORIZATION_FAILED (Kafka's answer for an id its authorizer
    refuses), and librdkafka's init_transactions fails at once with a fatal error.
    Before, the lookup was a retriable COORDINATOR_NOT_AVAILABLE: init_transactions
    waited out its whole timeout, and the Java admin's fenceProducers asked again
    without back-off, thousands of times a second."""
    from confluent_kafka import KafkaError, KafkaException, Producer
    b = Broker()
    try:
        b.start()
        c = RawClient(b.port)
        c.request(10, 1, kw.string("tx-1") + b"\x01")  # FindCoordinator v1, key type TRANSACTION
        resp = c.recv_frame()
        err, = struct.unpack_from(">h", resp, 8)
        why, _ = kw._read_string(resp, 10)
        assert err == TRANSACTIONAL_ID_AUTHORIZATION_FAILED and "does not serve transactions" in why, (err, why)
        # v4 (batched keys): each key answered alike; a group key still finds this broker
        make_offsets_topic(b.port)
        body = b"\x01" + kw.uvarint(3) + kw.uvarint(5) + b"tx-1" + kw.uvarint(5) + b"tx-2" + b"\x00"
        corr = c.request(10, 4, body, flexible=True)
        resp = c.recv_frame()
        assert struct.unpack_from(">i", resp, 0)[0] == corr
        off = 4 + 1 + 4  # correlation id, header tags, throttle time
        n = resp[off] - 1
        off += 1
        keys = []
        for _ in range(n):
            klen = resp[off] - 1
            key = resp[off + 1:off + 1 + klen].decode()
            off += 1 + klen
            node, = struct.unpack_from(">i", resp, off)
            off += 4
            off += resp[off]  # host (compact string: length + 1, then bytes)
            port, code = struct.unpack_from(">ih", resp, off)
            off += 6
            mlen = resp[off] - 1
            msg = resp[off + 1:off + 1 + mlen].decode() if mlen >= 0 else None
            off += 1 + max(mlen, 0) + 1  # message, tags
            keys.append((key, node, port, code, msg is not None and "transactions" in msg))
        assert keys == [("tx-1", -1, -1, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, True),
                        ("tx-2", -1, -1, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, True)], keys
        corr = c.request(10, 4, b"\x00" + kw.uvarint(2) + kw.uvarint(4) + b"grp" + b"\x00", flexible=True)
        resp = c.recv_frame()
        off = 4 + 1 + 4 + 1 + 1  # to the first key's text: header, throttle, array length, key length
        assert struct.unpack_from(">i", resp, 0)[0] == corr and resp[off:off + 3] == b"grp" and struct.unpack_from(">i", resp, off + 3)[0] == 0, resp
        # InitProducerId with a transactional id, even an empty one, at every version
        for version in range(5):
            for txn in ("tx-1", ""):
                assert init_producer_id(c, version, txn=txn) == (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1), \
                    (version, txn)
        c.close()
        p = Producer({"bootstrap.servers": b.bootstrap, "transactional.id": "tx-1"})
        t0 = time.monotonic()
        try:
            p.init_transactions(30)
            raise AssertionError("init_transactions succeeded")
        except KafkaException as e:
            assert e.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED and e.args[0].fatal(), e
            assert "does not serve transactions" in e.args[0].str(), e
        # the failure is immediate, not the call's 30 s timeout (a bound far above any load)
        assert time.monotonic() - t0 < 20, time.monotonic() - t0
        b.stop()
    finally:
        b.cleanup()


# ---- wire-level cases ----

def test_init_producer_id_and_bad_producer_input():
    b = Broker(overrides={"auto.create.topics.enable": "false"})
    try:
        b.start()
        create_topic(b.port, "idem-wire", 1)
        create_topic(b.port, "idem-unknown", 1)
        c = RawClient(b.port)
        err, pid, epoch = init_producer_id(c, 0)
        assert (err, epoch) == (NONE, 0) and pid >= 0, (err, pid, epoch)
        err, pid2, _ = init_producer_id(c, 4, pid=pid, epoch=0)
        assert err == NONE and pid2 > pid, (err, pid2)  # idempotent producers get a new id (Kafka's answer)
        for version in (1, 2):
            assert init_producer_id(c, version)[0] == NONE
        # bad InitProducerId requests
        assert init_producer_id(c, 3, pid=5, epoch=-1)[0] == INVALID_REQUEST
        assert init_producer_id(c, 3, pid=-1, epoch=5)[0] == INVALID_REQUEST
        # any other pair, below -1 too, is one Kafka passes on: an idempotent producer gets a new id
        for odd in ((-5, -5), (-2, 3)):
            err, pid3, e3 = init_producer_id(c, 3, pid=odd[0], epoch=odd[1])
            assert (err, e3) == (NONE, 0) and pid3 > pid2, (odd, err, pid3, e3)
            pid2 = pid3
        # a transactional id is refused before its timeout or pair is looked at, as Kafka's
        # authorizer check comes first (the epoch rules for ids: test_producer_state_ids.c)
        assert init_producer_id(c, 4, txn="tx", timeout=0)[0] == TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        assert init_producer_id(c, 3, txn="tx", pid=5, epoch=-1)[0] == TRANSACTIONAL_ID_AUTHORIZATION_FAILED

        # Produce: sequences, duplicates, epochs, unknown and bogus producers
        t = "idem-wire"
        assert produce(c, t, 0, idempotent_batch([b"a", b"b"], pid, 0, 0)) == (NONE, 0)
        assert produce(c, t, 0, idempotent_batch([b"c"], pid, 0, 2)) == (NONE, 2)
        assert produce(c, t, 0, idempotent_batch([b"a", b"b"], pid, 0, 0)) == (NONE, 0)  # a retry: original offset
        assert produce(c, t, 0, idempotent_batch([b"x"], pid, 0, 7))[0] == OUT_OF_ORDER
        # an epoch below the producer's, -1 too, is fenced (Kafka checks no epoch in LogValidator)
        assert produce(c, t, 0, idempotent_batch([b"x"], pid, -1, 3))[0] == INVALID_PRODUCER_EPOCH
        assert produce(c, t, 0, idempotent_batch([b"x"], pid, 0, -5))[0] == INVALID_RECORD
        assert produce(c, t, 0, idempotent_batch([b"d"], pid, 1, 0)) == (NONE, 3)  # a new epoch from 0
        assert produce(c, t, 0, idempotent_batch([b"x"], pid, 0, 3))[0] == INVALID_PRODUCER_EPOCH  # fenced
        assert produce(c, t, 0, idempotent_batch([b"x"], pid, 2, 1))[0] == OUT_OF_ORDER
        assert produce(c, t, 0, kw.record_batch([(None, b"plain")])) == (NONE, 4)  # non-idempotent still fine
        assert produce(c, t, 0, idempotent_batch([b"e"], pid, 1, 1)) == (NONE, 5)
        # a producer this partition does not know (its state expired, or its batches were deleted)
        # goes on from any sequence, as Kafka's ProducerAppendInfo.checkSequence allows, and is then
        # held to it: its retry is a duplicate, a gap is out of order
        u = "idem-unknown"
        assert produce(c, u, 0, idempotent_batch([b"u3"], 987654321, 4, 3)) == (NONE, 0)
        assert produce(c, u, 0, idempotent_batch([b"u3"], 987654321, 4, 3)) == (NONE, 0)
        assert produce(c, u, 0, idempotent_batch([b"u5"], 987654321, 4, 5))[0] == OUT_OF_ORDER
        assert produce(c, u, 0, idempotent_batch([b"u4"], 987654321, 4, 4)) == (NONE, 1)
        c.close()
        assert [v for _, v in read_partition(b.port, t, 0)] == [b"a", b"b", b"c", b"d", b"plain", b"e"]
        assert [v for _, v in read_partition(b.port, u, 0)] == [b"u3", b"u4"]

        # dedup survives a clean restart and a kill -9
        for how in ("restart", "kill"):
            if how == "restart":
                b.restart()
            else:
                b.kill()
                b.start()
            c = RawClient(b.port)
            assert produce(c, t, 0, idempotent_batch([b"e"], pid, 1, 1)) == (NONE, 5), how
            assert produce(c, t, 0, idempotent_batch([b"x"], pid, 0, 9))[0] == INVALID_PRODUCER_EPOCH, how
            err, pid3, _ = init_producer_id(c, 0)
            assert err == NONE and pid3 > pid2, (how, pid3, pid2)  # ids never repeat across restarts
            pid2 = pid3
            c.close()
        assert [v for _, v in read_partition(b.port, t, 0)] == [b"a", b"b", b"c", b"d", b"plain", b"e"]
        b.stop()
    finally:
        b.cleanup()


def test_a_retry_on_a_log_append_time_topic_keeps_its_first_time():
    """A duplicate is answered with the offsets *and* the log append time the
    batch was stored with, as Kafka answers it, not the time of the retry; on a
    CreateTime topic the first append answers -1 and a retry the stored batch's
    max timestamp (UnifiedLog.append: appendInfo.setLogAppendTime(duplicate.timestamp))."""
    from confluent_kafka.admin import AdminClient, NewTopic
    with Broker() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for name, kind in (("lat", "LogAppendTime"), ("ct", "CreateTime")):
            admin.create_topics([NewTopic(name, 1, 1, config={"message.timestamp.type": kind})])[name].result(30)
        c = RawClient(b.port)
        try:
            err, pid, _ = init_producer_id(c, 0)
            assert err == NONE, err

            ts = int(time.time() * 1000) - 5000

            def send(topic, seq):
                c.request(0, 8, kw.produce_v8(topic, 0, idempotent_batch([b"v"], pid, 0, seq, ts), acks=-1))
                [(_, _, err, base, append_time, _, _)] = kw.parse_produce_v8_response(c.recv_frame())
                return err, base, append_time

            err, base, first = send("lat", 0)
            assert (err, base) == (NONE, 0) and first > 1700000000000, (err, base, first)
            time.sleep(0.05)
            assert send("lat", 0) == (NONE, 0, first)  # the retry
            err, base, later = send("lat", 1)
            assert (err, base) == (NONE, 1) and later >= first + 50, (err, base, later, first)
            assert send("ct", 0) == (NONE, 0, -1)
            assert send("ct", 0) == (NONE, 0, ts)
        finally:
            c.close()


def test_producers_expire_by_their_batches_timestamps():
    """producer.id.expiration.ms: a producer is forgotten once its newest batch's
    timestamp is that old (Kafka's lastTimestamp, not the broker's clock), at the
    next check (producer.id.expiration.check.interval.ms); then any sequence
    starts it again, as for a producer the partition never saw."""
    from confluent_kafka.admin import AdminClient, ConfigResource
    with Broker({"producer.id.expiration.ms": "1500", "producer.id.expiration.check.interval.ms": "100"}) as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        res = ConfigResource(ConfigResource.Type.BROKER, "0")
        entry = admin.describe_configs([res])[res].result(30)["producer.id.expiration.ms"]
        assert (entry.value, entry.is_read_only) == ("1500", False), entry  # dynamic, as in Kafka
        create_topic(b.port, "expiry", 1)
        c = RawClient(b.port)
        try:
            _, pid, _ = init_producer_id(c, 0)
            assert produce(c, "expiry", 0, idempotent_batch([b"a"], pid, 0, 0)) == (NONE, 0)
            assert produce(c, "expiry", 0, idempotent_batch([b"a"], pid, 0, 0)) == (NONE, 0)  # a retry
            assert produce(c, "expiry", 0, idempotent_batch([b"g"], pid, 0, 5))[0] == OUT_OF_ORDER
            time.sleep(2)
            # forgotten: the retry goes in again, and a gap starts the producer afresh
            assert produce(c, "expiry", 0, idempotent_batch([b"a"], pid, 0, 0)) == (NONE, 1)
            assert produce(c, "expiry", 0, idempotent_batch([b"g"], pid, 0, 5))[0] == OUT_OF_ORDER
            # a producer whose records are already older than that expires at the next check,
            # however recently the broker saw it
            _, pid2, _ = init_producer_id(c, 0)
            old = int(time.time() * 1000) - 60000
            assert produce(c, "expiry", 0, idempotent_batch([b"o"], pid2, 0, 0, old)) == (NONE, 2)
            time.sleep(0.3)
            assert produce(c, "expiry", 0, idempotent_batch([b"p"], pid2, 0, 7, old)) == (NONE, 3)
            # the setting is dynamic, as in Kafka: an hour now, so that producer is remembered
            res_set = ConfigResource(ConfigResource.Type.BROKER, "0", set_config={"producer.id.expiration.ms": "3600000"})
            admin.alter_configs([res_set])[res_set].result(30)
            _, pid3, _ = init_producer_id(c, 0)
            assert produce(c, "expiry", 0, idempotent_batch([b"q"], pid3, 0, 0, old)) == (NONE, 4)
            time.sleep(0.3)
            assert produce(c, "expiry", 0, idempotent_batch([b"q"], pid3, 0, 0, old)) == (NONE, 4)  # a retry
        finally:
            c.close()


# ---- librdkafka through the proxy ----

def produce_with_librdkafka(proxy_port, topic, n, midway=None):
    """n records, record i to partition i % PARTITIONS; returns per-partition
    counts. midway() is called once half of them are acknowledged."""
    from confluent_kafka import Producer
    errors, delivered = [], [0] * PARTITIONS
    lock = threading.Lock()

    def on_delivery(err, msg):
        with lock:
            if err is not None:
                errors.append(err)
            else:
                delivered[msg.partition()] += 1

    p = Producer({"bootstrap.servers": "127.0.0.1:%d" % proxy_port, "enable.idempotence": True,
                  "linger.ms": 2, "batch.num.messages": 100, "queue.buffering.max.messages": 200000,
                  "reconnect.backoff.ms": 10, "reconnect.backoff.max.ms": 100, "retry.backoff.ms": 20,
                  "message.timeout.ms": 300000, "log_level": 3})
    counts = [0] * PARTITIONS
    for i in range(n):
        part = i % PARTITIONS
        value = b"%d:%08d" % (part, counts[part])
        counts[part] += 1
        while True:
            try:
                p.produce(topic, value=value, partition=part, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        if i % 1000 == 0:
            p.poll(0)
    if midway:
        deadline = time.time() + 120
        while sum(delivered) < n // 2 and time.time() < deadline:
            p.poll(0.01)
        midway(sum(delivered))
    left = p.flush(240)
    assert left == 0, "%d records never delivered" % left
    assert not errors, "delivery errors: %s" % errors[:5]
    assert delivered == counts, (delivered, counts)
    return counts


def run_librdkafka(kill=False):
    b, proxy = proxied_broker()
    try:
        topic = "idem-rdkafka" + ("-kill" if kill else "")
        create_topic(b.port, topic)
        proxy.cutting = True
        restart = {}

        def kill_and_restart(acked):
            """kill -9 with requests in flight; the broker comes back on the same port while librdkafka retries."""
            b.kill()
            restart["acked"] = acked
            restart["thread"] = threading.Thread(target=lambda: (time.sleep(0.5), b.start(), restart.update(up=1)))
            restart["thread"].start()

        start = time.time()
        counts = produce_with_librdkafka(proxy.port, topic, N_RECORDS, kill_and_restart if kill else None)
        elapsed = time.time() - start
        proxy.cutting = False
        if kill:
            restart["thread"].join()
            assert restart.get("up"), "the broker did not come back"
            assert restart["acked"] < N_RECORDS, restart
        check_exactly_once_in_order(b.port, topic, counts)
        dups = duplicates_seen(b)
        print("  librdkafka: %d records in %.1fs through %d connections, %d cuts (%d mid-frame)%s; %d retried "
              "batches were already in the log: exactly once, in order"
              % (N_RECORDS, elapsed, proxy.stats["connections"], proxy.cuts(), proxy.stats["mid_frame"],
                 ", kill -9 after %d acks" % restart["acked"] if kill else "", dups), flush=True)
        assert proxy.cuts() >= 5, proxy.stats
        assert dups > 0, "no retry of an appended batch happened: the run proves nothing about deduplication"
        b.stop()
    finally:
        proxy.close()
        b.cleanup()


def test_librdkafka_exactly_once_through_cut_connections():
    run_librdkafka()


def test_librdkafka_exactly_once_across_kill9():
    run_librdkafka(kill=True)


if __name__ == "__main__":
    run_tests([
        test_a_transactional_producer_is_told_at_init_that_transactions_are_not_served,
        test_init_producer_id_and_bad_producer_input,
        test_a_retry_on_a_log_append_time_topic_keeps_its_first_time,
        test_producers_expire_by_their_batches_timestamps,
        test_librdkafka_exactly_once_through_cut_connections,
        test_librdkafka_exactly_once_across_kill9,
    ])
