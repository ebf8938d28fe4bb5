#include "log_validator.h"

#include "batch_rewrite.h"
#include "fr_err.h"
#include "record_batch.h"

/*
 * A compacted topic keeps the newest record of each key; a record without one
 * could be neither kept nor dropped by that rule, so Kafka refuses it.
 */
static int check_keys(const uint8_t *batch, size_t len, const fr_batch_header_t *h, fr_writer_t *scratch,
                      fr_log_validation_t *v) {
    fr_record_iter_t it;
    fr_record_t rec;
    int rc = fr_record_iter_init_any(&it, batch, len, h, scratch, 0);
    while (rc == 0 && fr_record_iter_next(&it, &rec)) {
        if (rec.key.len < 0) {
            v->bad_record = v->n_records + it.index - 1;
            v->why = "Compacted topic cannot accept message without key";
            return FR_ERR_INVALID_RECORD;
        }
    }
    if (rc || it.err) {
        v->why = it.why;
        return it.err ? it.err : rc;
    }
    return 0;
}

/* Kafka's limits on a batch as it is to be stored. */
static int check_size(const fr_log_config_t *cfg, size_t blen, const char **why) {
    if ((int64_t)blen > cfg->max_message_bytes) {
        *why = "batch larger than max.message.bytes";
        return FR_ERR_MESSAGE_TOO_LARGE;
    }
    if ((int64_t)blen > cfg->segment_bytes) {
        *why = "batch larger than segment.bytes";
        return FR_ERR_RECORD_LIST_TOO_LARGE;
    }
    return 0;
}

int fr_log_validate(const fr_log_config_t *cfg, const uint8_t *buf, size_t len, fr_log_validation_t *v) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_writer_t scratch;
    int rc = 0;

    *v = (fr_log_validation_t){.max_ts = -1, .bad_record = -1};
    fr_writer_init(&scratch); /* allocates nothing until a compressed batch on a compacted topic */
    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        if ((rc = check_size(cfg, blen, &v->why)) != 0)
            break;
        /* on a compacted topic check_keys walks the records with the same checks */
        if ((rc = fr_batch_validate(batch, blen, &h, FR_BATCH_V_CLIENT | (cfg->compacted ? 0 : FR_BATCH_V_RECORDS),
                                    &v->why)) != 0)
            break;
        if (h.producer_id >= 0 && h.producer_epoch < 0) {
            v->why = "batch with a producer id but a negative producer epoch";
            rc = FR_ERR_INVALID_RECORD;
            break;
        }
        if (cfg->compacted && (rc = check_keys(batch, blen, &h, &scratch, v)) != 0)
            break;
        v->idempotent |= h.producer_id >= 0;
        v->convert |= cfg->recompress && fr_batch_compression(&h) != cfg->codec;
        v->n_offsets += (int64_t)h.last_offset_delta + 1;
        v->n_records += h.records_count;
        if (h.max_timestamp > v->max_ts)
            v->max_ts = h.max_timestamp;
    }
    fr_writer_free(&scratch);
    if (rc == 0 && it.err) {
        v->why = it.err == FR_ERR_NEED_MORE ? "partial batch at the end of the records" : it.why;
        rc = FR_ERR_CORRUPT_MESSAGE;
    }
    return rc;
}

/* Mirrors fr_log_validate's and fr_log_convert's rules, by the headers alone. */
size_t fr_partlog_codec_bytes(const fr_log_config_t *cfg, const uint8_t *buf, size_t len) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen, bytes = 0;

    if (!cfg->recompress && !cfg->compacted)
        return 0;
    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        int codec = fr_batch_compression(&h);
        if ((cfg->recompress && codec != cfg->codec) || (cfg->compacted && codec != FR_COMPRESSION_NONE))
            bytes += blen;
    }
    return bytes;
}

int fr_log_convert(const fr_log_config_t *cfg, const uint8_t *buf, size_t len, fr_writer_t *out,
                   const char **why) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_writer_t scratch;
    int rc = 0;

    fr_writer_init(&scratch);
    fr_batch_iter_init(&it, buf, len);
    while (rc == 0 && fr_batch_iter_next(&it, &h, &batch, &blen)) {
        size_t start = out->len;
        if (fr_batch_compression(&h) == cfg->codec)
            fr_write_raw(out, batch, blen);
        else if ((rc = fr_batch_recompress(batch, blen, &h, cfg->codec, &scratch, out, why)) == 0)
            rc = check_size(cfg, out->len - start, why); /* the limits apply to what is stored */
    }
    fr_writer_free(&scratch);
    if (rc == 0 && out->err) {
        *why = "out of memory";
        rc = FR_ERR_NOMEM;
    }
    return rc;
}

void fr_log_stamp_append_time(uint8_t *buf, size_t len, int64_t now_ms) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;

    fr_batch_iter_init(&it, buf, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen))
        fr_batch_stamp_append_time(buf + (batch - buf), blen, now_ms);
}
