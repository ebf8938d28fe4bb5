"""Minimal encoders for protocol tests: a magic-v2 record batch (with CRC32C)
and a few classic (non-flexible) request bodies.  Written from the protocol
spec so tests can send exactly the bytes they mean, including wrong ones."""
import struct

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
    u = (v << 1) ^ (v >> 63)
    out = b""
    while u >= 0x80:
        out += bytes([(u & 0x7F) | 0x80])
        u >>= 7
    return out + bytes([u])


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">h", len(b)) + b


def record_batch(records, base_ts=1700000000000, corrupt_crc=False):
    """records: list of (key bytes|None, value bytes|None)."""
    body = b""
    for i, (k, v) in enumerate(records):
        r = b"\x00" + varint(0) + varint(i)
        r += varint(-1) if k is None else varint(len(k)) + k
        r += varint(-1) if v is None else varint(len(v)) + v
        r += varint(0)
        body += varint(len(r)) + r
    after_crc = struct.pack(">hiqqqhii", 0, len(records) - 1, base_ts, base_ts, -1, -1, -1, len(records)) + body
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0xDEADBEEF
    # baseOffset, batchLength, partitionLeaderEpoch, magic, crc
    batch_len = 4 + 1 + 4 + len(after_crc)
    return struct.pack(">qiibI", 0, batch_len, -1, 2, crc) + after_crc


def produce_v3(topic, partition, batch, acks=1, timeout=5000):
    return (string(None) + struct.pack(">hi", acks, timeout) + struct.pack(">i", 1) + string(topic)
            + struct.pack(">i", 1) + struct.pack(">i", partition) + struct.pack(">i", len(batch)) + batch)


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


def metadata_v1(topics):
    if topics is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(topics)) + b"".join(string(t) for t in topics)


def create_topics_v0(name, partitions, rf=1):
    return (struct.pack(">i", 1) + string(name) + struct.pack(">ih", partitions, rf)
            + struct.pack(">i", 0) + struct.pack(">i", 0) + struct.pack(">i", 5000))


def parse_create_topics_v0_response(resp):
    corr, n = struct.unpack_from(">ii", resp, 0)
    off, out = 8, []
    for _ in range(n):
        tl, = struct.unpack_from(">h", resp, off); off += 2
        name = resp[off:off + tl].decode(); off += tl
        err, = struct.unpack_from(">h", resp, off); off += 2
        out.append((name, err))
    return corr, out


def fetch_v4(topic, partitions, max_wait=500, min_bytes=1, max_bytes=0x7FFFFFFF, partition_max_bytes=1 << 20):
    """partitions: list of (partition, fetch_offset)."""
    body = struct.pack(">iiiib", -1, max_wait, min_bytes, max_bytes, 0) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">i", len(partitions))
    for p, off in partitions:
        body += struct.pack(">iqi", p, off, partition_max_bytes)
    return body


def parse_fetch_v4_response(resp):
    """-> {partition: (error, high_watermark, records_bytes)}"""
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
            out[p] = (err, hw, recs)
    return out


def batch_offsets(records_bytes):
    """Base offsets and record counts of the batches in a fetched records blob."""
    out, off = [], 0
    while off + 61 <= len(records_bytes):
        base, blen = struct.unpack_from(">qi", records_bytes, off)
        count, = struct.unpack_from(">i", records_bytes, off + 57)
        out.append((base, count))
        off += 12 + blen
    return out
