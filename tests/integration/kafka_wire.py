"""Minimal encoders for protocol tests: a magic-v2 record batch (with CRC32C)
and a few classic (non-flexible) request bodies.  Written from the protocol
spec so tests can send exactly the bytes they mean, including wrong ones."""
import struct
import time

_CRC32C_TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _CRC32C_TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(v):
    """A zigzag varint (record fields)."""
    return uvarint((v << 1) ^ (v >> 63))


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">h", len(b)) + b


def record_batch(records, base_ts=None, corrupt_crc=False, zstd=False, gzip=False, producer=(-1, -1, -1),
                 lz4=False, snappy=False, offset_deltas=None, ts_deltas=None, max_ts=None, log_append_time=False,
                 transactional=False, lz4_linked=False):
    """records: list of (key bytes|None, value bytes|None).  zstd: the records
    section is one zstd frame (attributes codec 4); gzip: one gzip member (codec 1);
    lz4: one lz4 frame (codec 3; lz4_linked: of dependent blocks, which Kafka's Java
    clients cannot read); snappy: one raw snappy block, as librdkafka writes
    (codec 2).  producer: (producer id, epoch, base sequence) of an idempotent
    producer.  offset_deltas: each record's offset delta instead of 0, 1, 2, ...
    (a malformed batch whose CRC still holds).  ts_deltas: each record's
    timestamp delta instead of 0; max_ts: the header's maxTimestamp instead of
    the records' largest; log_append_time: the batch says LogAppendTime (only
    a broker should); transactional: the batch says it belongs to a transaction.
    base_ts: the first timestamp (ms), now by default: a stamp older than the
    topic's retention.ms would have the broker's first retention pass (30 s
    after it starts) delete the records under a test that runs that long."""
    if base_ts is None:
        base_ts = int(time.time() * 1000)
    body = b""
    for i, (k, v) in enumerate(records):
        r = b"\x00" + varint(0 if ts_deltas is None else ts_deltas[i])
        r += varint(i if offset_deltas is None else offset_deltas[i])
        r += varint(-1) if k is None else varint(len(k)) + k
        r += varint(-1) if v is None else varint(len(v)) + v
        r += varint(0)
        body += varint(len(r)) + r
    attributes = 0
    if zstd:
        import zstandard
        body = zstandard.ZstdCompressor().compress(body)
        attributes = 4
    elif gzip:
        import gzip as gz
        body = gz.compress(body)
        attributes = 1
    elif lz4:
        import lz4.frame
        body = (lz4.frame.compress(body, block_linked=True, block_size=lz4.frame.BLOCKSIZE_MAX64KB) if lz4_linked
                else lz4.frame.compress(body, block_linked=False))  # Kafka's clients' frames, as kafka-python's
        attributes = 3
    elif snappy:
        import snappy as sn
        body = sn.compress(body)
        attributes = 2
    if log_append_time:
        attributes |= 0x08
    if transactional:
        attributes |= 0x10
    if max_ts is None:
        max_ts = base_ts + max(ts_deltas or [0])
    after_crc = struct.pack(">hiqqqhii", attributes, len(records) - 1, base_ts, max_ts, *producer,
                            len(records)) + body
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0xDEADBEEF
    # baseOffset, batchLength, partitionLeaderEpoch, magic, crc
    batch_len = 4 + 1 + 4 + len(after_crc)
    return struct.pack(">qiibI", 0, batch_len, -1, 2, crc) + after_crc


def init_producer_id_v0(timeout=60000):
    """InitProducerId v0 of an idempotent (not transactional) producer."""
    return string(None) + struct.pack(">i", timeout)


def parse_init_producer_id_v0_response(resp):
    """-> (error, producer_id, epoch)"""
    _corr, _throttle, err, pid, epoch = struct.unpack_from(">iihqh", resp, 0)
    return err, pid, epoch


def idempotent_batches(c, topic, value, timeout, acks=-1):
    """InitProducerId on RawClient c -> batch(seq): a Produce v3 body for
    partition 0 of one record from that producer, sequence seq, value
    value(seq), stamped now (a producer whose batches are old expires when a
    restart loads it)."""
    c.request(22, 0, init_producer_id_v0())
    err, pid, epoch = parse_init_producer_id_v0_response(c.recv_frame())
    assert err == 0, err

    def batch(seq):
        records = record_batch([(b"k", value(seq))], producer=(pid, epoch, seq))
        return produce_v3(topic, 0, records, acks=acks, timeout=timeout)
    return batch


def produce_v3(topic, partition, batch, acks=1, timeout=5000):
    return (string(None) + struct.pack(">hi", acks, timeout) + struct.pack(">i", 1) + string(topic)
            + struct.pack(">i", 1) + struct.pack(">i", partition) + struct.pack(">i", len(batch)) + batch)


def produce_now(c, topic, partition, value, key=b"k"):
    """One record stamped with the current time, produced with acks=1 on RawClient c;
    -> (topic, partition, error_code, base_offset) from the response."""
    batch = record_batch([(key, value)])
    c.request(0, 3, produce_v3(topic, partition, batch))
    return parse_produce_v3_response(c.recv_frame())[1][0]


def parse_produce_v3_response(resp):
    """-> (correlation_id, [(topic, partition, error_code, base_offset)])"""
    off = 0
    corr, = struct.unpack_from(">i", resp, off); off += 4
    n, = struct.unpack_from(">i", resp, off); off += 4
    out = []
    for _ in range(n):
        tl, = struct.unpack_from(">h", resp, off); off += 2
        name = resp[off:off + tl].decode(); off += tl
        pn, = struct.unpack_from(">i", resp, off); off += 4
        for _ in range(pn):
            p, err, base, _ts = struct.unpack_from(">ihqq", resp, off); off += 22
            out.append((name, p, err, base))
    return corr, out


def parse_produce_v5_response(resp):
    """v5-v7 add log_start_offset to v3's partition.  -> [(topic, partition, error_code, base_offset)]"""
    return _parse_produce_response(resp, with_record_errors=False)


def produce_v8(topic, partition, batch, acks=1, timeout=5000):
    """v8's request is v3's; its response adds record_errors and error_message."""
    return produce_v3(topic, partition, batch, acks, timeout)


def parse_produce_v8_response(resp):
    """-> [(topic, partition, error_code, base_offset, log_append_time, record_errors, error_message)],
    record_errors as [(batch_index, message)]"""
    return _parse_produce_response(resp, with_record_errors=True)


def _parse_produce_response(resp, with_record_errors):
    off = 4  # correlation id
    n, = struct.unpack_from(">i", resp, off); off += 4
    out = []
    for _ in range(n):
        name, off = _read_string(resp, off)
        pn, = struct.unpack_from(">i", resp, off); off += 4
        for _ in range(pn):
            p, err, base, append_time, _start = struct.unpack_from(">ihqqq", resp, off); off += 30
            if not with_record_errors:
                out.append((name, p, err, base))
                continue
            en, = struct.unpack_from(">i", resp, off); off += 4
            errors = []
            for _ in range(en):
                idx, = struct.unpack_from(">i", resp, off); off += 4
                msg, off = _read_string(resp, off)
                errors.append((idx, msg))
            msg, off = _read_string(resp, off)
            out.append((name, p, err, base, append_time, errors, msg))
    return out


def metadata_v1(topics):
    if topics is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(topics)) + b"".join(string(t) for t in topics)


def parse_metadata_v1_response(resp):
    """-> (correlation_id, {topic: (error_code, partition count)})"""
    corr, nb = struct.unpack_from(">ii", resp, 0)
    off = 8
    for _ in range(nb):
        off += 4
        _host, off = _read_string(resp, off)
        off += 4
        _rack, off = _read_string(resp, off)
    off += 4  # controller id
    n, = struct.unpack_from(">i", resp, off); off += 4
    topics = {}
    for _ in range(n):
        err, = struct.unpack_from(">h", resp, off); off += 2
        name, off = _read_string(resp, off)
        off += 1  # is_internal
        pn, = struct.unpack_from(">i", resp, off); off += 4
        for _ in range(pn):
            off += 10  # error code, index, leader
            for _ in range(2):  # replicas, isr
                k, = struct.unpack_from(">i", resp, off); off += 4 + 4 * k
        topics[name] = (err, pn)
    return corr, topics


def create_topics_v0(name, partitions, rf=1, timeout=5000):
    return (struct.pack(">i", 1) + string(name) + struct.pack(">ih", partitions, rf)
            + struct.pack(">i", 0) + struct.pack(">i", 0) + struct.pack(">i", timeout))


def parse_topic_errors_v0(resp):
    """CreateTopics v0 and DeleteTopics v0 answer alike: -> (correlation_id, [(topic, error_code)])"""
    corr, n = struct.unpack_from(">ii", resp, 0)
    off, out = 8, []
    for _ in range(n):
        tl, = struct.unpack_from(">h", resp, off); off += 2
        name = resp[off:off + tl].decode(); off += tl
        err, = struct.unpack_from(">h", resp, off); off += 2
        out.append((name, err))
    return corr, out


parse_create_topics_v0_response = parse_topic_errors_v0


def create_topic(c, name, partitions):
    """CreateTopics v0 of one topic on RawClient c, which must succeed."""
    c.request(19, 0, create_topics_v0(name, partitions))
    got = parse_topic_errors_v0(c.recv_frame())[1]
    assert got == [(name, 0)], got


def delete_topics_v0(names, timeout=5000):
    return struct.pack(">i", len(names)) + b"".join(string(n) for n in names) + struct.pack(">i", timeout)


parse_delete_topics_v0_response = parse_topic_errors_v0


def create_partitions_v0(name, count, timeout=5000, validate_only=False):
    return (struct.pack(">i", 1) + string(name) + struct.pack(">ii", count, -1)
            + struct.pack(">ib", timeout, 1 if validate_only else 0))


def parse_create_partitions_v0_response(resp):
    """-> (correlation_id, [(topic, error_code, error_message)])"""
    corr, _throttle, n = struct.unpack_from(">iii", resp, 0)
    off, out = 12, []
    for _ in range(n):
        name, off = _read_string(resp, off)
        err, ml = struct.unpack_from(">hh", resp, off); off += 4
        msg = None
        if ml >= 0:
            msg = resp[off:off + ml].decode(); off += ml
        out.append((name, err, msg))
    return corr, out


def list_offsets_v1(topic, partitions):
    """partitions: list of (partition, timestamp); -1 latest, -2 earliest."""
    body = struct.pack(">i", -1) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", len(partitions))
    for p, ts in partitions:
        body += struct.pack(">iq", p, ts)
    return body


def parse_list_offsets_v1_response(resp):
    """-> {partition: (error, timestamp, offset)} of the first topic"""
    off = 4  # correlation id
    ntopics, = struct.unpack_from(">i", resp, off); off += 4
    assert ntopics == 1, ntopics
    _, off = _read_string(resp, off)
    n, = struct.unpack_from(">i", resp, off); off += 4
    out = {}
    for _ in range(n):
        p, err, ts, o = struct.unpack_from(">ihqq", resp, off); off += 22
        out[p] = (err, ts, o)
    return out


def fetch_v4(topic, partitions, max_wait=500, min_bytes=1, max_bytes=0x7FFFFFFF, partition_max_bytes=1 << 20,
             isolation=0):
    """partitions: list of (partition, fetch_offset); isolation 1 is read_committed."""
    body = struct.pack(">iiiib", -1, max_wait, min_bytes, max_bytes, isolation) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">i", len(partitions))
    for p, off in partitions:
        body += struct.pack(">iqi", p, off, partition_max_bytes)
    return body


def parse_fetch_v4_partitions(resp):
    """-> {partition: (error, high_watermark, last_stable_offset, aborted transactions
    (None when null, else a count), records_bytes)}"""
    off = 8  # correlation id, throttle
    n, = struct.unpack_from(">i", resp, off); off += 4
    out = {}
    for _ in range(n):
        tl, = struct.unpack_from(">h", resp, off); off += 2 + tl
        pn, = struct.unpack_from(">i", resp, off); off += 4
        for _ in range(pn):
            p, err, hw, lso = struct.unpack_from(">ihqq", resp, off); off += 22
            na, = struct.unpack_from(">i", resp, off); off += 4
            off += max(na, 0) * 16
            rl, = struct.unpack_from(">i", resp, off); off += 4
            recs = resp[off:off + max(rl, 0)]; off += max(rl, 0)
            out[p] = (err, hw, lso, None if na < 0 else na, recs)
    return out


def parse_fetch_v4_response(resp):
    """-> {partition: (error, high_watermark, records_bytes)}"""
    return {p: (err, hw, recs) for p, (err, hw, _lso, _aborted, recs) in parse_fetch_v4_partitions(resp).items()}


def fetch_v7(topics, session_id=0, epoch=-1, forgotten=(), max_wait=0, min_bytes=1, max_bytes=0x7FFFFFFF,
             partition_max_bytes=1 << 20):
    """A Fetch v7 body (the first with sessions).  topics: [(topic, [(partition, fetch_offset)])];
    forgotten: [(topic, [partition])]."""
    body = struct.pack(">iiiibii", -1, max_wait, min_bytes, max_bytes, 0, session_id, epoch)
    body += struct.pack(">i", len(topics))
    for topic, parts in topics:
        body += string(topic) + struct.pack(">i", len(parts))
        for p, off in parts:
            body += struct.pack(">iqqi", p, off, -1, partition_max_bytes)
    body += struct.pack(">i", len(forgotten))
    for topic, parts in forgotten:
        body += string(topic) + struct.pack(">i", len(parts)) + b"".join(struct.pack(">i", p) for p in parts)
    return body


def parse_fetch_v7_response(resp):
    """-> (error, session_id, [(topic, partition, error, high_watermark, log_start_offset, records_bytes)])
    in the response's order."""
    _corr, _throttle, err, sid, n = struct.unpack_from(">iihii", resp, 0)
    off, out = 18, []
    for _ in range(n):
        topic, off = _read_string(resp, off)
        pn, = struct.unpack_from(">i", resp, off); off += 4
        for _ in range(pn):
            p, perr, hw, _lso, lstart = struct.unpack_from(">ihqqq", resp, off); off += 30
            na, = struct.unpack_from(">i", resp, off); off += 4
            off += max(na, 0) * 16
            rl, = struct.unpack_from(">i", resp, off); off += 4
            out.append((topic, p, perr, hw, lstart, resp[off:off + max(rl, 0)]))
            off += max(rl, 0)
    assert off == len(resp), (off, len(resp))
    return err, sid, out


def metadata_by_id(v, topics):
    """Metadata v10-v12 (flexible) asking for [(topic id bytes, name or None)]."""
    body = bytes([len(topics) + 1])
    for tid, name in topics:
        body += tid + (b"\x00" if name is None else bytes([len(name) + 1]) + name.encode()) + b"\x00"
    body += b"\x00" + (b"\x00" if v == 10 else b"") + b"\x00" + b"\x00"  # auto-create, cluster ops (v10), topic ops
    return body


def parse_metadata_v10_plus(v, resp):
    """-> (broker count, [(error, name, topic id, partition count)]) of a v10-v12 response"""
    off = 4 + 1 + 4  # correlation id, header tags, throttle
    brokers = resp[off] - 1
    off += 1
    for _ in range(brokers):
        off += 4
        n = resp[off] - 1
        off += 1 + n + 4  # host, port
        off += 1 + max(resp[off] - 1, 0) + 1  # rack (compact nullable), tags
    off += 1 + max(resp[off] - 1, 0) + 4  # cluster id, controller id
    ntopics = resp[off] - 1
    off += 1
    topics = []
    for _ in range(ntopics):
        err = struct.unpack_from(">h", resp, off)[0]
        off += 2
        n = resp[off] - 1
        name = resp[off + 1:off + 1 + n].decode() if n >= 0 else None
        off += 1 + max(n, 0)
        tid = resp[off:off + 16]
        off += 16 + 1  # id, is_internal
        parts = resp[off] - 1
        off += 1
        for _p in range(parts):  # error, index, leader, epoch, replicas, isr, offline, tags: one node each
            off += 2 + 4 + 4 + 4
            for _arr in range(3):
                off += 1 + 4 * (resp[off] - 1)
            off += 1
        off += 4 + 1  # authorized operations, tags
        topics.append((err, name, tid, parts))
    return brokers, topics


def fetch_flexible(topics, version=13, session_id=0, epoch=-1, forgotten=(), max_wait=0, min_bytes=1,
                   max_bytes=0x7FFFFFFF, partition_max_bytes=1 << 20):
    """A Fetch v12-v17 body (flexible: send with flexible=True).  topics: [(topic, [(partition,
    fetch_offset)])]; forgotten: [(topic, [partition])]; a topic is its name before v13 and its
    16-byte id from v13 (KIP-516).  v15 drops ReplicaId (it moved into a tagged ReplicaState)."""
    def key(t):
        return t if version >= 13 else _compact(t)
    body = struct.pack(">i", -1) if version < 15 else b""
    body += struct.pack(">iiibii", max_wait, min_bytes, max_bytes, 0, session_id, epoch)
    body += uvarint(len(topics) + 1)
    for t, parts in topics:
        body += key(t) + uvarint(len(parts) + 1)
        for p, off in parts:
            body += struct.pack(">iiqiqi", p, -1, off, -1, -1, partition_max_bytes) + b"\x00"
        body += b"\x00"
    body += uvarint(len(forgotten) + 1)
    for t, parts in forgotten:
        body += key(t) + uvarint(len(parts) + 1) + b"".join(struct.pack(">i", p) for p in parts) + b"\x00"
    return body + _compact("") + b"\x00"


def _skip_tags(buf, off):
    n, off = read_uvarint(buf, off)
    for _ in range(n):
        _tag, off = read_uvarint(buf, off)
        size, off = read_uvarint(buf, off)
        off += size
    return off


def parse_fetch_flexible_response(resp, version=13):
    """-> (error, session_id, [(topic, partition, error, high_watermark, log_start_offset, records_bytes)])
    in the response's order (Fetch v12+, response header v1); topic as fetch_flexible has it."""
    off = _skip_tags(resp, 4)  # correlation id, header tags
    _throttle, err, sid = struct.unpack_from(">ihi", resp, off); off += 10
    n, off = read_uvarint(resp, off)
    out = []
    for _ in range(n - 1):
        if version >= 13:
            topic = resp[off:off + 16]; off += 16
        else:
            name, off = _read_compact(resp, off)
            topic = name.decode()
        pn, off = read_uvarint(resp, off)
        for _ in range(pn - 1):
            p, perr, hw, _lso, lstart = struct.unpack_from(">ihqqq", resp, off); off += 30
            na, off = read_uvarint(resp, off)
            for _ in range(max(na - 1, 0)):
                off = _skip_tags(resp, off + 16)
            off += 4  # preferred read replica
            recs, off = _read_compact(resp, off)
            off = _skip_tags(resp, off)
            out.append((topic, p, perr, hw, lstart, recs or b""))
        off = _skip_tags(resp, off)
    off = _skip_tags(resp, off)
    assert off == len(resp), (off, len(resp))
    return err, sid, out


def batch_offsets(records_bytes):
    """Base offsets and record counts of the batches in a fetched records blob."""
    out, off = [], 0
    while off + 61 <= len(records_bytes):
        base, blen = struct.unpack_from(">qi", records_bytes, off)
        count, = struct.unpack_from(">i", records_bytes, off + 57)
        out.append((base, count))
        off += 12 + blen
    return out


def bytes_(b):
    if b is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(b)) + b


def _read_string(buf, off):
    n, = struct.unpack_from(">h", buf, off)
    off += 2
    if n < 0:
        return None, off
    return buf[off:off + n].decode(), off + n


def consumer_subscription(topics):
    """ConsumerProtocolSubscription v0."""
    return struct.pack(">hi", 0, len(topics)) + b"".join(string(t) for t in topics) + bytes_(b"")


def join_group_v0(group, member_id="", session_timeout=10000, topics=("t",)):
    return (string(group) + struct.pack(">i", session_timeout) + string(member_id) + string("consumer")
            + struct.pack(">i", 1) + string("range") + bytes_(consumer_subscription(list(topics))))


def parse_join_group_v0_response(resp):
    """-> (error, generation, protocol, leader, member_id, [member ids])"""
    off = 4
    err, gen = struct.unpack_from(">hi", resp, off); off += 6
    proto, off = _read_string(resp, off)
    leader, off = _read_string(resp, off)
    member, off = _read_string(resp, off)
    n, = struct.unpack_from(">i", resp, off); off += 4
    members = []
    for _ in range(n):
        mid, off = _read_string(resp, off)
        ml, = struct.unpack_from(">i", resp, off); off += 4 + max(ml, 0)
        members.append(mid)
    return err, gen, proto, leader, member, members


def sync_group_v0(group, generation, member_id, assignments):
    body = string(group) + struct.pack(">i", generation) + string(member_id) + struct.pack(">i", len(assignments))
    for mid, data in assignments:
        body += string(mid) + bytes_(data)
    return body


def parse_sync_group_v0_response(resp):
    err, = struct.unpack_from(">h", resp, 4)
    n, = struct.unpack_from(">i", resp, 6)
    return err, resp[10:10 + max(n, 0)]


def heartbeat_v0(group, generation, member_id):
    return string(group) + struct.pack(">i", generation) + string(member_id)


def parse_error_only_v0(resp):
    return struct.unpack_from(">h", resp, 4)[0]


def offset_commit_v2(group, generation, member_id, commits, retention_ms=-1):
    """commits: list of (topic, partition, offset) or (topic, partition, offset, metadata);
    retention_ms -1 leaves the offsets to the broker's offsets.retention.minutes."""
    by_topic = {}
    for t, p, o, *md in commits:
        by_topic.setdefault(t, []).append((p, o, md[0] if md else ""))
    body = string(group) + struct.pack(">i", generation) + string(member_id) + struct.pack(">q", retention_ms)
    body += struct.pack(">i", len(by_topic))
    for t, parts in by_topic.items():
        body += string(t) + struct.pack(">i", len(parts))
        for p, o, md in parts:
            body += struct.pack(">iq", p, o) + string(md)
    return body


def parse_offset_commit_v2_response(resp):
    """-> {(topic, partition): error}"""
    off = 4
    n, = struct.unpack_from(">i", resp, off); off += 4
    out = {}
    for _ in range(n):
        t, off = _read_string(resp, off)
        pn, = struct.unpack_from(">i", resp, off); off += 4
        for _ in range(pn):
            p, err = struct.unpack_from(">ih", resp, off); off += 6
            out[(t, p)] = err
    return out


def offset_fetch_v1(group, topic, partitions):
    return string(group) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", len(partitions)) + b"".join(
        struct.pack(">i", p) for p in partitions)


def parse_offset_fetch_v1_response(resp):
    """-> {(topic, partition): (offset, error)}"""
    off = 4
    n, = struct.unpack_from(">i", resp, off); off += 4
    out = {}
    for _ in range(n):
        t, off = _read_string(resp, off)
        pn, = struct.unpack_from(">i", resp, off); off += 4
        for _ in range(pn):
            p, o = struct.unpack_from(">iq", resp, off); off += 12
            _md, off = _read_string(resp, off)
            err, = struct.unpack_from(">h", resp, off); off += 2
            out[(t, p)] = (o, err)
    return out


def join_group_v5(group, member_id="", instance_id=None, session_timeout=10000, topics=("t",)):
    return (string(group) + struct.pack(">ii", session_timeout, session_timeout) + string(member_id)
            + string(instance_id) + string("consumer") + struct.pack(">i", 1) + string("range")
            + bytes_(consumer_subscription(list(topics))))


def parse_join_group_v5_response(resp):
    """-> (error, generation, leader, member_id, [(member id, instance id)])"""
    off = 8  # correlation id, throttle
    err, gen = struct.unpack_from(">hi", resp, off); off += 6
    _proto, off = _read_string(resp, off)
    leader, off = _read_string(resp, off)
    member, off = _read_string(resp, off)
    n, = struct.unpack_from(">i", resp, off); off += 4
    members = []
    for _ in range(n):
        mid, off = _read_string(resp, off)
        iid, off = _read_string(resp, off)
        ml, = struct.unpack_from(">i", resp, off); off += 4 + max(ml, 0)
        members.append((mid, iid))
    return err, gen, leader, member, members


def uvarint(n):
    """An unsigned varint (flexible versions' lengths)."""
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def _compact(b):
    """A compact (flexible) string or bytes; None is null."""
    if b is None:
        return b"\x00"
    b = b.encode() if isinstance(b, str) else b
    return uvarint(len(b) + 1) + b


def read_uvarint(buf, off):
    """-> (value, offset after it)"""
    shift = n = 0
    while True:
        b = buf[off]
        off += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n, off
        shift += 7


def _read_compact(buf, off):
    n, off = read_uvarint(buf, off)
    if n == 0:
        return None, off
    return buf[off:off + n - 1], off + n - 1


def join_group_v9(group, member_id="", instance_id=None, session_timeout=10000, topics=("t",)):
    """JoinGroup v9 (flexible; send with flexible=True): v5's fields and a null reason."""
    protocol = _compact("range") + _compact(consumer_subscription(list(topics))) + b"\x00"
    return (_compact(group) + struct.pack(">ii", session_timeout, session_timeout) + _compact(member_id)
            + _compact(instance_id) + _compact("consumer") + uvarint(2) + protocol + _compact(None) + b"\x00")


def parse_join_group_v9_response(resp):
    """-> (error, generation, leader, skip_assignment, member_id, [(member id, instance id)])"""
    off = 4 + 1  # correlation id, header tags
    _throttle, err, gen = struct.unpack_from(">ihi", resp, off); off += 10
    _ptype, off = _read_compact(resp, off)
    _pname, off = _read_compact(resp, off)
    leader, off = _read_compact(resp, off)
    skip = resp[off] != 0; off += 1
    member, off = _read_compact(resp, off)
    n, off = read_uvarint(resp, off)
    members = []
    for _ in range(n - 1):
        mid, off = _read_compact(resp, off)
        iid, off = _read_compact(resp, off)
        _meta, off = _read_compact(resp, off)
        off += 1  # tags
        members.append((mid.decode(), iid.decode() if iid is not None else None))
    return err, gen, leader.decode(), skip, member.decode(), members


def heartbeat_v3(group, generation, member_id, instance_id=None):
    return string(group) + struct.pack(">i", generation) + string(member_id) + string(instance_id)


def parse_heartbeat_v3_response(resp):
    return struct.unpack_from(">h", resp, 8)[0]


def describe_groups_v0(groups):
    return struct.pack(">i", len(groups)) + b"".join(string(g) for g in groups)


def parse_describe_groups_v0_response(resp):
    """-> {group: (error, state, protocol_type, protocol, [member ids])}"""
    off = 4
    n, = struct.unpack_from(">i", resp, off); off += 4
    out = {}
    for _ in range(n):
        err, = struct.unpack_from(">h", resp, off); off += 2
        gid, off = _read_string(resp, off)
        state, off = _read_string(resp, off)
        ptype, off = _read_string(resp, off)
        proto, off = _read_string(resp, off)
        mn, = struct.unpack_from(">i", resp, off); off += 4
        members = []
        for _ in range(mn):
            mid, off = _read_string(resp, off)
            _cid, off = _read_string(resp, off)
            _host, off = _read_string(resp, off)
            l1, = struct.unpack_from(">i", resp, off); off += 4 + max(l1, 0)
            l2, = struct.unpack_from(">i", resp, off); off += 4 + max(l2, 0)
            members.append(mid)
        out[gid] = (err, state, ptype, proto, members)
    return out

def list_offsets_flex(topic, partitions, version):
    """ListOffsets v6+ (flexible): partitions: list of (partition, timestamp); v10 adds a timeout."""
    body = struct.pack(">ib", -1, 0) + uvarint(2) + _compact(topic) + uvarint(len(partitions) + 1)
    for p, ts in partitions:
        body += struct.pack(">iiq", p, -1, ts) + b"\x00"
    body += b"\x00"  # the topic's tags
    if version >= 10:
        body += struct.pack(">i", 30000)
    return body + b"\x00"


def parse_list_offsets_flex_response(resp):
    """-> {partition: (error, timestamp, offset, leader_epoch)} of the only topic"""
    off = 4 + 1 + 4  # correlation id, header tags, throttle
    ntopics, off = read_uvarint(resp, off)
    assert ntopics == 2, ntopics
    _, off = _read_compact(resp, off)
    n, off = read_uvarint(resp, off)
    out = {}
    for _ in range(n - 1):
        p, err, ts, o, epoch = struct.unpack_from(">ihqqi", resp, off)
        off += 26 + 1  # and the partition's (empty) tags
        out[p] = (err, ts, o, epoch)
    return out
