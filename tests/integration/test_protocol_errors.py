#!/usr/bin/env python3
"""Bad input at the wire level: malformed frames get an error or a closed
connection, never a crash, and the broker keeps serving the next client.
Also Kafka's error codes for corrupt, oversized and misdirected produce."""
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, api_versions, make_offsets_topic, request_once, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402

CORRUPT_MESSAGE, UNKNOWN_TOPIC_OR_PARTITION, MESSAGE_TOO_LARGE = 2, 3, 10
INVALID_TOPIC_EXCEPTION, UNSUPPORTED_VERSION, TOPIC_ALREADY_EXISTS = 17, 35, 36
INVALID_PARTITIONS, INVALID_REQUEST = 37, 42
UNSUPPORTED_FOR_MESSAGE_FORMAT, INVALID_RECORD, INVALID_REQUIRED_ACKS = 43, 87, 21
TRANSACTIONAL_ID_AUTHORIZATION_FAILED, RECORD_LIST_TOO_LARGE, NONE = 53, 18, 0


def still_serving(broker):
    versions = api_versions(broker.port)
    assert 18 in versions and 0 in versions, versions


def test_malformed_frames_close_connection_and_broker_survives():
    with Broker(overrides={"socket.request.max.bytes": "1048576"}) as b:
        cases = {
            "negative size": struct.pack(">i", -5) + b"xxxx",
            "huge size": struct.pack(">i", 0x7FFFFFF0) + b"xxxx",
            "over socket.request.max.bytes": struct.pack(">i", 2 * 1048576) + b"x" * 100,
            "unknown api key": None,
            "unsupported version": None,
            "garbage body": None,
            "truncated header": struct.pack(">i", 3) + b"\x00\x03\x00",
        }
        for name, raw in cases.items():
            c = RawClient(b.port)
            if name == "unknown api key":
                c.request(999, 0, b"")
            elif name == "unsupported version":
                c.request(3, 99, b"")
            elif name == "garbage body":
                c.request(3, 1, b"\xff\xff\xff\x7f" + bytes(random.getrandbits(8) for _ in range(20)))
            else:
                c.sock.sendall(raw)
            assert c.is_closed(), "broker kept the connection open after %s" % name
            c.close()
            still_serving(b)


def test_truncated_frame_then_disconnect():
    with Broker() as b:
        for cut in (1, 3, 4, 7, 12):
            c = RawClient(b.port)
            frame = struct.pack(">i", 30) + b"\x00\x03\x00\x01\x00\x00\x00\x01" + b"\x00" * 22
            c.sock.sendall(frame[:cut])
            c.close()
        still_serving(b)


def test_random_garbage_never_crashes():
    rnd = random.Random(1234)
    with Broker() as b:
        for _ in range(200):
            c = RawClient(b.port)
            size = rnd.randint(0, 200)
            body = bytes(rnd.getrandbits(8) for _ in range(size))
            if rnd.random() < 0.5:  # a plausible header then garbage
                body = struct.pack(">hhi", rnd.choice([0, 1, 2, 3, 18, 19, 20, 32, 37]), rnd.randint(0, 12), 7) + body
            try:
                c.send_frame(body)
                c.is_closed(timeout=0.2)
            except OSError:
                pass
            c.close()
        still_serving(b)


def api_versions_v3(port, name, version):
    """ApiVersions v3 with a client software name and version -> (error, [api keys])."""
    body = bytes([len(name) + 1]) + name + bytes([len(version) + 1]) + version + b"\x00"
    resp = request_once(port, 18, 3, body, flexible=True)
    err, n = struct.unpack_from(">hb", resp, 4)  # v3's response header has no tagged fields (KIP-511)
    return err, [struct.unpack_from(">h", resp, 7 + 7 * i)[0] for i in range(n - 1)]


def test_api_versions_unsupported_version_gets_v0_error():
    """KIP-511, as Kafka answers: a version the broker does not know gets a v0
    answer with UNSUPPORTED_VERSION and ApiVersions' own range alone; from v3
    the client's software name and version must match Kafka's pattern."""
    with Broker() as b:
        c = RawClient(b.port)
        corr = c.request(18, 99)
        resp = c.recv_frame()
        got, err, n = struct.unpack(">ihi", resp[:10])
        assert got == corr and err == UNSUPPORTED_VERSION and n == 1, (got, err, n)
        assert struct.unpack_from(">hhh", resp, 10) == (18, 0, 3), resp
        c.close()
        err, keys = api_versions_v3(b.port, b"librdkafka", b"2.0.2")
        assert err == 0 and 0 in keys and 18 in keys, (err, keys)
        for name, version in [(b"", b"1.0"), (b"my client", b"1.0"), (b"-x", b"1.0"), (b"x", b"1.0-"),
                              (b"x", b"")]:
            assert api_versions_v3(b.port, name, version) == (INVALID_REQUEST, []), (name, version)


def test_produce_error_codes():
    with Broker(overrides={"auto.create.topics.enable": "false", "message.max.bytes": "2000"}) as b:
        c = RawClient(b.port)
        kw.create_topic(c, "t1", 2)

        good = kw.record_batch([(b"k", b"v")])
        c.request(0, 3, kw.produce_v3("t1", 1, good))
        _, res = kw.parse_produce_v3_response(c.recv_frame())
        assert res == [("t1", 1, 0, 0)], res

        c.request(0, 3, kw.produce_v3("t1", 1, kw.record_batch([(b"k", b"v")], corrupt_crc=True)))
        _, res = kw.parse_produce_v3_response(c.recv_frame())
        assert res[0][2] == CORRUPT_MESSAGE, res

        c.request(0, 3, kw.produce_v3("t1", 0, kw.record_batch([(b"k", b"x" * 5000)])))
        _, res = kw.parse_produce_v3_response(c.recv_frame())
        assert res[0][2] == MESSAGE_TOO_LARGE, res

        c.request(0, 3, kw.produce_v3("nope", 0, good))
        _, res = kw.parse_produce_v3_response(c.recv_frame())
        assert res[0][2] == UNKNOWN_TOPIC_OR_PARTITION, res

        c.request(0, 3, kw.produce_v3("t1", 7, good))
        _, res = kw.parse_produce_v3_response(c.recv_frame())
        assert res[0][2] == UNKNOWN_TOPIC_OR_PARTITION, res

        # two batches for one partition: Kafka takes one (every client sends one), so both are refused
        c.request(0, 3, kw.produce_v3("t1", 1, good + kw.record_batch([(b"k2", b"v2")])))
        _, res = kw.parse_produce_v3_response(c.recv_frame())
        assert res == [("t1", 1, INVALID_RECORD, -1)], res

        # a truncated batch is no batch (Kafka's reader stops before it): INVALID_RECORD
        c.request(0, 3, kw.produce_v3("t1", 0, good[:-3]))
        _, res = kw.parse_produce_v3_response(c.recv_frame())
        assert res[0][2] == INVALID_RECORD, res

        # Produce v2 (message format v0/v1) is advertised for old clients' sake but not stored
        c.request(0, 2, kw.produce_v3("t1", 1, good)[2:])  # v2 = v3 without the transactional id
        _, res = kw.parse_produce_v3_response(c.recv_frame())  # v2's response has v3's layout
        assert res[0][2] == UNSUPPORTED_FOR_MESSAGE_FORMAT, res

        # the good batch is still the only thing in the log: next offset is 1
        c.request(0, 3, kw.produce_v3("t1", 1, good))
        _, res = kw.parse_produce_v3_response(c.recv_frame())
        assert res == [("t1", 1, 0, 1)], res
        c.close()


def produce_v8(port, topic, partition, records, acks=1, client_id=b"raw-test"):
    """One Produce v8 on a new connection -> (error code, base offset, error message)."""
    c = RawClient(port)
    try:
        c.request(0, 8, kw.produce_v8(topic, partition, records, acks=acks), client_id=client_id)
        _topic, _p, err, base, _lat, _errors, msg = kw.parse_produce_v8_response(c.recv_frame())[0]
        return err, base, msg
    finally:
        c.close()


def test_a_batch_too_large_is_refused_in_kafkas_words():
    """UnifiedLog's three size refusals, each worded as Kafka words it: a batch past
    max.message.bytes as produced, one past it once re-compressed for the topic, and
    one past segment.bytes (Kafka's "in append topartition" gets its missing space)."""
    with Broker(overrides={"message.max.bytes": "3000", "log.segment.bytes": "2000",
                           "compression.type": "uncompressed"}) as b:
        c = RawClient(b.port)
        kw.create_topic(c, "t", 1)
        c.close()
        big = kw.record_batch([(b"k", b"x" * 3500)])
        assert produce_v8(b.port, "t", 0, big) == (MESSAGE_TOO_LARGE, -1, (
            "The record batch size in the append to t-0 is %d bytes which exceeds the maximum configured value "
            "of 3000." % len(big)))
        mid = kw.record_batch([(b"k", b"x" * 2500)])
        assert produce_v8(b.port, "t", 0, mid) == (RECORD_LIST_TOO_LARGE, -1, (
            "Message batch size is %d bytes in append to partition t-0, which exceeds the maximum configured "
            "segment size of 2000." % len(mid)))
        packed = kw.record_batch([(b"k", b"y" * 20000)], gzip=True)
        assert len(packed) < 2000
        err, base, msg = produce_v8(b.port, "t", 0, packed)
        assert (err, base) == (MESSAGE_TOO_LARGE, -1) and msg.startswith("Message batch size is ") and msg.endswith(
            " bytes in append to partition t-0 which exceeds the maximum configured size of 3000."), msg
        assert int(msg.split()[4]) > 20000, msg  # the size once stored uncompressed
        assert produce_v8(b.port, "t", 0, kw.record_batch([(b"k", b"fits")])) == (NONE, 0, None)
        # the CRC is checked before the segment size, which applies to the batch as stored: one
        # past segment.bytes as produced fits once the topic compresses it
        bad = kw.record_batch([(b"k", b"x" * 2500)], corrupt_crc=True)
        assert produce_v8(b.port, "t", 0, bad)[0] == CORRUPT_MESSAGE
        c = RawClient(b.port)
        c.request(19, 0, struct.pack(">i", 1) + kw.string("z") + struct.pack(">ihii", 1, 1, 0, 1)
                  + kw.string("compression.type") + kw.string("gzip") + struct.pack(">i", 5000))
        assert kw.parse_create_topics_v0_response(c.recv_frame())[1] == [("z", 0)]
        c.close()
        assert produce_v8(b.port, "z", 0, mid) == (NONE, 0, None)


def test_produce_checks_in_kafkas_order():
    """ProduceRequest.validateRecords, then ReplicaManager: the records' shape
    (exactly one whole v2 batch: INVALID_RECORD; a length or magic no batch can
    have: CORRUPT_MESSAGE; a torn tail after the batch is dropped, as Kafka
    trims it), then acks, then an internal topic, then a baseOffset other
    than 0.  An acks=0 produce that fails closes the connection."""
    with Broker(overrides={"auto.create.topics.enable": "false"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("t", 1))
        c.recv_frame()
        c.close()
        good = kw.record_batch([(b"k", b"v")])
        assert produce_v8(b.port, "t", 0, b"")[0] == INVALID_RECORD
        assert produce_v8(b.port, "t", 0, good[:11])[0] == INVALID_RECORD  # not even a length
        v1 = good[:16] + b"\x01" + good[17:]
        assert produce_v8(b.port, "t", 0, v1)[0] == INVALID_RECORD
        assert produce_v8(b.port, "t", 0, good[:16] + b"\x05" + good[17:])[0] == CORRUPT_MESSAGE
        assert produce_v8(b.port, "t", 0, good[:8] + struct.pack(">i", 13) + good[12:])[0] == CORRUPT_MESSAGE
        # acks is checked after the records, before the topic's own rules
        assert produce_v8(b.port, "t", 0, b"", acks=2)[0] == INVALID_RECORD
        assert produce_v8(b.port, "t", 0, good, acks=2)[0] == INVALID_REQUIRED_ACKS
        # an internal topic takes appends only from Kafka's admin client id
        make_offsets_topic(b.port)
        err, _, msg = produce_v8(b.port, "__consumer_offsets", 0, good)
        assert (err, msg) == (INVALID_TOPIC_EXCEPTION, "Cannot append to internal topic __consumer_offsets"), msg
        assert produce_v8(b.port, "__consumer_offsets", 0, good, acks=2)[0] == INVALID_REQUIRED_ACKS
        err, _, _ = produce_v8(b.port, "__consumer_offsets", 0, good, client_id=b"__admin_client")
        assert err == 0, err
        moved = struct.pack(">q", 5) + good[8:]
        err, _, msg = produce_v8(b.port, "t", 0, moved)
        assert (err, msg) == (INVALID_RECORD, "The baseOffset of the record batch in the append to t-0 should be 0, "
                                              "but it is 5"), msg
        # a whole batch with a torn one behind it: the batch is taken, the tail dropped
        assert produce_v8(b.port, "t", 0, good + good[:30]) == (0, 0, None)
        assert produce_v8(b.port, "t", 0, good) == (0, 1, None)
        c = RawClient(b.port)
        c.request(1, 4, kw.fetch_v4("t", [(0, 0)], max_wait=0))
        err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
        assert (err, hw) == (0, 2) and kw.batch_offsets(recs) == [(0, 1), (1, 1)], (err, hw)
        # a partition twice in one request: Kafka keys the request by partition, so the last copy is
        # appended, and answered once
        first, last = kw.record_batch([(b"k", b"first")]), kw.record_batch([(b"k", b"last"), (b"k2", b"x")])
        body = kw.string(None) + struct.pack(">hii", 1, 5000, 1) + kw.string("t") + struct.pack(">i", 2)
        body += b"".join(struct.pack(">ii", 0, len(r)) + r for r in (first, last))
        c.request(0, 8, body)
        res = kw.parse_produce_v8_response(c.recv_frame())
        assert [(t, p, e, o) for t, p, e, o, _, _, _ in res] == [("t", 0, 0, 2)], res
        c.request(1, 4, kw.fetch_v4("t", [(0, 2)], max_wait=0))
        err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
        assert (err, hw, kw.batch_offsets(recs)) == (0, 4, [(2, 2)]), (err, hw)
        # acks=0: a good produce keeps the connection, a failed one closes it (Kafka's only answer)
        c.request(0, 8, kw.produce_v8("t", 0, good, acks=0))
        assert api_versions_on(c)
        c.request(0, 8, kw.produce_v8("t", 0, b"", acks=0))
        assert c.is_closed(), "the connection stayed open after a failed acks=0 produce"
        still_serving(b)
        # the admin client's record in __consumer_offsets is no group record: reloading skips it
        b.restart()
        still_serving(b)


def test_a_transactional_batch_is_refused():
    """KafkaApis.handleProduceRequest, before anything else: a request carrying a transactional
    batch without a transactional id, or with one not authorized (none is while transactions are
    not served), answers every partition TRANSACTIONAL_ID_AUTHORIZATION_FAILED and appends nothing
    (with acks=0, the connection is closed)."""
    with Broker() as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("tx", 2))
        c.recv_frame()
        c.request(22, 0, kw.init_producer_id_v0())
        err, pid, epoch = kw.parse_init_producer_id_v0_response(c.recv_frame())
        assert err == 0, err
        txn = kw.record_batch([(b"k", b"in a transaction")], producer=(pid, epoch, 0), transactional=True)
        plain = kw.record_batch([(b"k", b"plain")])
        body = kw.string(None) + struct.pack(">hii", 1, 5000, 1) + kw.string("tx") + struct.pack(">i", 2)
        body += b"".join(struct.pack(">ii", p, len(r)) + r for p, r in ((0, txn), (1, plain)))
        c.request(0, 8, body)
        res = kw.parse_produce_v8_response(c.recv_frame())
        why = "Transactional Id authorization failed."
        assert [(t, p, e, o, m) for t, p, e, o, _, _, m in res] == [
            ("tx", 0, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, why),
            ("tx", 1, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, why)], res
        c.request(1, 4, kw.fetch_v4("tx", [(0, 0), (1, 0)], max_wait=0))
        got = kw.parse_fetch_v4_response(c.recv_frame())
        assert {p: (e, hw) for p, (e, hw, _) in got.items()} == {0: (0, 0), 1: (0, 0)}, got
        # with a transactional id the same; without transactional batches the id does not matter
        for partition, batch, want in ((0, txn, (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, why)),
                                       (1, plain, (0, 0, None))):
            body = kw.string("tx-id") + struct.pack(">hii", 1, 5000, 1) + kw.string("tx") + struct.pack(">i", 1)
            c.request(0, 8, body + struct.pack(">ii", partition, len(batch)) + batch)
            res = kw.parse_produce_v8_response(c.recv_frame())
            assert [(p, e, o, m) for _, p, e, o, _, _, m in res] == [(partition,) + want], res
        # a transactional batch cut short is no batch to Kafka's check: the records' shape answers
        assert produce_v8(b.port, "tx", 0, txn[:-5])[0] == INVALID_RECORD
        # the same records as an idempotent (not transactional) batch are taken
        idem = kw.record_batch([(b"k", b"in a transaction")], producer=(pid, epoch, 0))
        assert produce_v8(b.port, "tx", 0, idem) == (0, 0, None)
        c.request(0, 8, kw.produce_v8("tx", 1, txn, acks=0))
        assert c.is_closed(), "the connection stayed open after a refused acks=0 produce"
        still_serving(b)


def api_versions_on(c):
    """ApiVersions v0 on an open connection answers (the connection is alive)."""
    corr = c.request(18, 0)
    return struct.unpack_from(">i", c.recv_frame(), 0)[0] == corr


def test_create_topics_error_codes():
    with Broker() as b:
        c = RawClient(b.port)
        for name, parts, rf, want in [("ok", 3, 1, 0), ("ok", 3, 1, TOPIC_ALREADY_EXISTS),
                                      ("bad/name", 1, 1, INVALID_TOPIC_EXCEPTION), ("..", 1, 1, INVALID_TOPIC_EXCEPTION),
                                      ("x" * 250, 1, 1, INVALID_TOPIC_EXCEPTION), ("zero", 0, 1, INVALID_PARTITIONS),
                                      ("rf3", 1, 3, 38)]:
            c.request(19, 0, kw.create_topics_v0(name, parts, rf))
            _, res = kw.parse_create_topics_v0_response(c.recv_frame())
            assert res == [(name, want)], (name, res)
        c.close()


def test_pipelined_frames_of_any_size_in_any_split():
    # Big and small requests back to back, cut at random points (a big frame's
    # tail and the next frames arrive in one read; a length prefix is split):
    # every request is answered, in order, and every record reads back.
    rng = random.Random(7)
    with Broker() as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("pipe", 1))
        c.recv_frame()
        frames, expect, values = [], [], []
        for i in range(24):
            corr = 1000 + i
            hdr = struct.pack(">hhi", 0, 3, corr) + kw.string("pipe")
            size = rng.choice([10, 300, 70 << 10, 300 << 10, 700 << 10])
            value = bytes([65 + i % 26]) * size
            body = hdr + kw.produce_v3("pipe", 0, kw.record_batch([(b"k%d" % i, value)]))
            frames.append(struct.pack(">i", len(body)) + body)
            expect.append(corr)
            values.append(value)
        blob = b"".join(frames)
        pos = 0
        while pos < len(blob):
            n = rng.choice([1, 3, 4096, 65536 + 5, 400 << 10, 1 << 20])
            c.sock.sendall(blob[pos:pos + n])
            pos += n
        for want in expect:
            corr, res = kw.parse_produce_v3_response(c.recv_frame())
            assert corr == want and res[0][2] == 0, (want, corr, res)
        for off, value in enumerate(values):
            c.request(1, 4, kw.fetch_v4("pipe", [(0, off)], partition_max_bytes=1))
            err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
            assert err == 0 and hw == len(values), (err, hw)
            assert kw.batch_offsets(recs)[0] == (off, 1) and value in recs, off
        c.close()


def test_a_big_frame_in_slow_pieces_then_a_small_request():
    # While a big frame is half read the broker asks the kernel to wake it only
    # when the rest has come; the frame is still answered however its pieces
    # trickle in, and a small request sent alone after it is not left waiting
    # for bytes that will never come.  (The 3 MiB frame is more than the
    # broker ever asks the kernel to gather.)
    with Broker({"message.max.bytes": str(4 << 20)}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("slow", 1))
        c.recv_frame()
        values = []
        for i, size in enumerate([300 << 10, 3 << 20]):
            c.corr += 1
            value = bytes([97 + i]) * size
            body = struct.pack(">hhi", 0, 3, c.corr) + kw.string("slow") + \
                kw.produce_v3("slow", 0, kw.record_batch([(b"k", value)]))
            frame = struct.pack(">i", len(body)) + body
            sent = 0
            for cut in (100, len(frame) // 3, len(frame) - 1, len(frame)):
                c.sock.sendall(frame[sent:cut])
                sent = cut
                time.sleep(0.2)
            corr, res = kw.parse_produce_v3_response(c.recv_frame())
            assert corr == c.corr and res[0][2] == 0, (c.corr, corr, res)
            values.append(value)
            corr = c.request(18, 0)
            got_corr, err = struct.unpack(">ih", c.recv_frame()[:6])  # a lost wakeup: socket.timeout
            assert (got_corr, err) == (corr, 0), (corr, got_corr, err)
        for off, value in enumerate(values):
            c.request(1, 4, kw.fetch_v4("slow", [(0, off)], partition_max_bytes=1))
            err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
            assert err == 0 and hw == 2 and value in recs, (off, err, hw)
        c.close()


def test_sasl_on_a_plaintext_listener_is_illegal_sasl_state():
    """Freshet's listeners are PLAINTEXT.  A SASL handshake or authenticate
    there gets ILLEGAL_SASL_STATE, as Kafka's request handlers answer them on
    a PLAINTEXT listener; before, the APIs were not advertised."""
    from confluent_kafka import KafkaError, Producer
    ILLEGAL_SASL_STATE = 34
    with Broker() as b:
        versions = api_versions(b.port)
        assert versions.get(17) == (0, 1) and versions.get(36) == (0, 2), versions
        resp = request_once(b.port, 17, 1, kw.string("PLAIN"))
        assert struct.unpack_from(">hi", resp, 4) == (ILLEGAL_SASL_STATE, 0), resp  # no mechanisms
        resp = request_once(b.port, 36, 2, b"\x04abc\x00", flexible=True)  # compact bytes, tags
        err, = struct.unpack_from(">h", resp, 5)  # correlation, header tags
        msg = resp[8:8 + resp[7] - 1].decode()
        assert (err, msg) == (ILLEGAL_SASL_STATE, "SaslAuthenticate request received after successful "
                                                  "authentication"), (err, msg)
        errors = []
        p = Producer({"bootstrap.servers": b.bootstrap, "security.protocol": "SASL_PLAINTEXT",
                      "sasl.mechanism": "PLAIN", "sasl.username": "u", "sasl.password": "p",
                      "error_cb": errors.append})
        deadline = time.time() + 10
        while not errors and time.time() < deadline:
            p.poll(0.2)
        assert errors and errors[0].code() == KafkaError._AUTHENTICATION, errors
        assert "Request not valid in current SASL state" in errors[0].str(), errors[0].str()
        still_serving(b)


def test_metadata_by_topic_id_only_from_v12():
    """Metadata v10 and v11 have a topic id and a nullable name on the wire, but
    Kafka looks topics up by id only from v12: asked there by id or with no
    name, the whole request fails INVALID_REQUEST (no brokers, every topic
    echoed, a null name as ""), as KafkaApis and MetadataRequest's error
    response do.  Before, v10 and v11 looked the id up as v12 does."""
    with Broker() as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("known", 2))
        c.recv_frame()
        c.request(3, 12, kw.metadata_by_id(12, [(bytes(16), "known")]), flexible=True)
        [(err, name, tid, parts)] = kw.parse_metadata_v10_plus(12, c.recv_frame())[1]
        assert (err, name, parts) == (0, "known", 2) and tid != bytes(16), (err, name, tid, parts)
        # v12: by id
        c.request(3, 12, kw.metadata_by_id(12, [(tid, None)]), flexible=True)
        assert kw.parse_metadata_v10_plus(12, c.recv_frame()) == (1, [(0, "known", tid, 2)])
        # once any topic is asked for by id, Kafka looks up ids only (useTopicId): a name beside
        # it is not answered, and an id with a wrong name is answered by the id
        c.request(3, 12, kw.metadata_by_id(12, [(bytes(16), "known"), (tid, "other")]), flexible=True)
        assert kw.parse_metadata_v10_plus(12, c.recv_frame()) == (1, [(0, "known", tid, 2)])
        for v in (10, 11):
            c.request(3, v, kw.metadata_by_id(v, [(tid, None)]), flexible=True)
            assert kw.parse_metadata_v10_plus(v, c.recv_frame()) == (0, [(INVALID_REQUEST, "", tid, 0)]), v
            c.request(3, v, kw.metadata_by_id(v, [(bytes(16), "known"), (tid, "known")]), flexible=True)
            assert kw.parse_metadata_v10_plus(v, c.recv_frame()) == (
                0, [(INVALID_REQUEST, "known", bytes(16), 0), (INVALID_REQUEST, "known", tid, 0)]), v
            # by name alone, as these versions are meant to be used
            c.request(3, v, kw.metadata_by_id(v, [(bytes(16), "known")]), flexible=True)
            assert kw.parse_metadata_v10_plus(v, c.recv_frame()) == (1, [(0, "known", tid, 2)]), v
        c.close()
        still_serving(b)


if __name__ == "__main__":
    run_tests([
        test_sasl_on_a_plaintext_listener_is_illegal_sasl_state,
        test_a_big_frame_in_slow_pieces_then_a_small_request,
        test_pipelined_frames_of_any_size_in_any_split,
        test_malformed_frames_close_connection_and_broker_survives,
        test_truncated_frame_then_disconnect,
        test_random_garbage_never_crashes,
        test_api_versions_unsupported_version_gets_v0_error,
        test_produce_error_codes,
        test_produce_checks_in_kafkas_order,
        test_create_topics_error_codes,
        test_a_transactional_batch_is_refused,
        test_a_batch_too_large_is_refused_in_kafkas_words,
        test_metadata_by_topic_id_only_from_v12,
    ])
