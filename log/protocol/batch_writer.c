#include "batch_writer.h"

#include "crc32c.h"
#include "record_batch.h"

/* Header layout (Kafka's): baseOffset 0, batchLength 8, partitionLeaderEpoch 12,
 * magic 16, crc 17, attributes 21, lastOffsetDelta 23, baseTimestamp 27,
 * maxTimestamp 35, producerId 43, producerEpoch 51, baseSequence 53, recordsCount 57. */
#define HDR_SIZE 61

void fr_batch_writer_begin(fr_batch_writer_t *bw, fr_writer_t *w, int64_t base_timestamp) {
    bw->w = w;
    bw->start = w->len;
    bw->count = 0;
    bw->base_timestamp = base_timestamp;
    bw->max_timestamp = base_timestamp;
    fr_write_i64(w, 0);
    fr_write_i32(w, 0);
    fr_write_i32(w, -1);
    fr_write_i8(w, 2);
    fr_write_u32(w, 0);
    fr_write_i16(w, 0);
    fr_write_i32(w, 0);
    fr_write_i64(w, base_timestamp);
    fr_write_i64(w, base_timestamp);
    fr_write_i64(w, -1);
    fr_write_i16(w, -1);
    fr_write_i32(w, -1);
    fr_write_i32(w, 0);
}

void fr_batch_writer_add(fr_batch_writer_t *bw, fr_slice_t key, fr_slice_t value, int64_t timestamp) {
    int64_t ts_delta = timestamp - bw->base_timestamp;
    int32_t body = 1 + (int32_t)fr_varlong_size(ts_delta) + (int32_t)fr_varint_size(bw->count);
    body += key.len < 0 ? 1 : (int32_t)fr_varint_size(key.len) + key.len;
    body += value.len < 0 ? 1 : (int32_t)fr_varint_size(value.len) + value.len;
    body += 1; /* header count 0 */
    fr_writer_t *w = bw->w;
    fr_write_varint(w, body);
    fr_write_i8(w, 0);
    fr_write_varlong(w, ts_delta);
    fr_write_varint(w, bw->count);
    fr_write_varint(w, key.len < 0 ? -1 : key.len);
    if (key.len > 0)
        fr_write_raw(w, key.ptr, (size_t)key.len);
    fr_write_varint(w, value.len < 0 ? -1 : value.len);
    if (value.len > 0)
        fr_write_raw(w, value.ptr, (size_t)value.len);
    fr_write_varint(w, 0);
    bw->count++;
    if (timestamp > bw->max_timestamp)
        bw->max_timestamp = timestamp;
}

int fr_batch_writer_finish(fr_batch_writer_t *bw) {
    fr_writer_t *w = bw->w;
    if (w->err)
        return w->err;
    uint8_t *b = w->buf + bw->start;
    size_t len = w->len - bw->start;
    fr_put_be32(b + 8, (uint32_t)(len - 12));
    fr_put_be32(b + 23, (uint32_t)(bw->count > 0 ? bw->count - 1 : 0));
    fr_put_be64(b + 35, (uint64_t)bw->max_timestamp);
    fr_put_be32(b + 57, (uint32_t)bw->count);
    fr_put_be32(b + 17, fr_crc32c(b + 21, len - 21));
    return 0;
}
