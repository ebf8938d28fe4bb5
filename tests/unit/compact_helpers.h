/*
 * compact_helpers.h — what the compaction tests (test_compact.c,
 * test_compact_merge.c) share: a log in a temp dir, key/value batches
 * appended to it, and the whole log read back as a consumer reads it.
 */
#ifndef FR_COMPACT_HELPERS_H
#define FR_COMPACT_HELPERS_H

#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_builder.h"
#include "compression.h"
#include "fr_err.h"
#include "fr_partlog.h"
#include "fr_test.h"

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline char *make_tmp(void) {
    char *d = strdup("/tmp/fr-compact-XXXXXX");
    if (!mkdtemp(d)) {
        perror("mkdtemp");
        exit(1);
    }
    return d;
}

static inline void cleanup(char *tmp) {
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(tmp);
}

/* A partition log with Kafka's defaults in a new temp dir (*tmp, for cleanup); c gets its config. */
static inline fr_partlog_t *open_default(char **tmp, fr_log_config_t *c) {
    fr_partlog_t *log = NULL;
    *tmp = make_tmp();
    fr_log_config_defaults(c);
    FR_CHECK_EQ_INT(fr_partlog_open(*tmp, c, &log), 0);
    return log;
}

static inline int append_kv_as(fr_partlog_t *log, int codec, int n, const char *const *keys, const char *const *values,
                        int64_t ts, int64_t pid, int32_t seq);

/* Appends one batch (codec 0..4) of n records key keys[i], value values[i] (NULL: tombstone), stamped ts. */
static inline int append_kv(fr_partlog_t *log, int codec, int n, const char *const *keys, const char *const *values,
                     int64_t ts) {
    return append_kv_as(log, codec, n, keys, values, ts, -1, -1);
}

/* The same from idempotent producer pid (epoch 0, first sequence seq); pid -1 for none. */
static inline int append_kv_as(fr_partlog_t *log, int codec, int n, const char *const *keys, const char *const *values,
                        int64_t ts, int64_t pid, int32_t seq) {
    bb_record_t recs[64];
    fr_writer_t w, z;
    fr_append_info_t info;
    for (int i = 0; i < n; i++)
        recs[i] = (bb_record_t){.key = keys[i], .key_len = keys[i] ? (int32_t)strlen(keys[i]) : -1, .value = values[i],
                                .value_len = values[i] ? (int32_t)strlen(values[i]) : -1, .timestamp = ts};
    fr_writer_init(&w);
    fr_writer_init(&z);
    bb_batch_t b = bb_defaults();
    if (pid >= 0) {
        b.producer_id = pid;
        b.producer_epoch = 0;
        b.base_sequence = seq;
    }
    bb_build(&w, &b, recs, n);
    if (codec) {
        fr_writer_t c;
        fr_writer_init(&c);
        if (fr_compress(codec, w.buf + FR_BATCH_HEADER_SIZE, w.len - FR_BATCH_HEADER_SIZE, &c))
            return -1;
        b.attributes = (int16_t)codec;
        bb_build_raw(&z, &b, n, ts, ts, c.buf, c.len);
        fr_writer_free(&c);
    }
    fr_writer_t *use = codec ? &z : &w;
    int rc = fr_partlog_append(log, use->buf, use->len, ts, &info);
    fr_writer_free(&w);
    fr_writer_free(&z);
    return rc;
}

typedef struct seen {
    int n;
    int64_t off[4096];
    char key[4096][16];
    char val[4096][24]; /* "" for a tombstone (null) */
    int tomb[4096];
    int64_t ts[4096];
    int horizon[4096];  /* its batch carries a delete horizon */
    int64_t empty_batches[16]; /* base offsets of batches with no record */
    int nempty;
    int codec_ok;       /* every batch validated (CRC) and decoded */
} seen_t;

/* Reads the whole log from its start, as a consumer would. */
static inline int read_all(fr_partlog_t *log, seen_t *s) {
    int64_t off = fr_partlog_start_offset(log), end = fr_partlog_end_offset(log);
    fr_writer_t scratch;
    fr_writer_init(&scratch);
    s->n = 0;
    s->nempty = 0;
    s->codec_ok = 1;
    while (off < end) {
        fr_read_result_t rr;
        int rc = fr_partlog_read(log, off, 1 << 20, &rr);
        if (rc || rr.len == 0) {
            fr_writer_free(&scratch);
            return rc ? rc : -1;
        }
        uint8_t *buf = malloc(rr.len);
        if (pread(rr.fd, buf, rr.len, rr.file_position) != (ssize_t)rr.len)
            s->codec_ok = 0;
        rr.unref(rr.ref);
        fr_batch_iter_t it;
        fr_batch_header_t h;
        const uint8_t *batch;
        size_t blen;
        int64_t next = off;
        fr_batch_iter_init(&it, buf, rr.len);
        while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
            const char *why;
            if (fr_batch_validate(batch, blen, &h, 0, &why))
                s->codec_ok = 0;
            if (h.records_count == 0 && s->nempty < 16)
                s->empty_batches[s->nempty++] = h.base_offset;
            fr_record_iter_t ri;
            fr_record_t rec;
            if (fr_record_iter_init_any(&ri, batch, blen, &h, &scratch, 0)) {
                s->codec_ok = 0;
                continue;
            }
            while (fr_record_iter_next(&ri, &rec)) {
                if (rec.offset < off || s->n >= 4096)
                    continue;
                int i = s->n++;
                s->off[i] = rec.offset;
                snprintf(s->key[i], sizeof(s->key[i]), "%.*s", rec.key.len > 0 ? rec.key.len : 0,
                         rec.key.ptr ? (const char *)rec.key.ptr : "");
                s->tomb[i] = fr_slice_is_null(rec.value);
                s->ts[i] = rec.timestamp;
                s->horizon[i] = (h.attributes & FR_BATCH_ATTR_DELETE_HORIZON) != 0;
                snprintf(s->val[i], sizeof(s->val[i]), "%.*s", rec.value.len > 0 ? rec.value.len : 0,
                         rec.value.ptr ? (const char *)rec.value.ptr : "");
            }
            if (ri.err)
                s->codec_ok = 0;
            next = fr_batch_last_offset(&h) + 1;
        }
        free(buf);
        if (next <= off) {
            fr_writer_free(&scratch);
            return -1;
        }
        off = next;
    }
    fr_writer_free(&scratch);
    return 0;
}

/* The cleaner takes only fsynced segments (the broker fsyncs each one it
 * rolls): flushes the log first, then runs one pass. */
static inline int flush_and_compact(fr_partlog_t *log, const fr_compact_policy_t *p, int64_t now_ms,
                                    int64_t *first_dirty, fr_compact_result_t *res) {
    FR_CHECK_EQ_INT(fr_partlog_flush(log), 0);
    return fr_partlog_compact(log, p, now_ms, first_dirty, res);
}

/* One cleaner pass at now_ms with p (first_dirty in and out), then the whole log read back into s. */
static inline void clean_and_read(fr_partlog_t *log, const fr_compact_policy_t *p, int64_t now_ms, int64_t *first_dirty,
                           seen_t *s) {
    fr_compact_result_t res;
    FR_CHECK_EQ_INT(flush_and_compact(log, p, now_ms, first_dirty, &res), 0);
    FR_CHECK_EQ_INT(read_all(log, s), 0);
}

static inline fr_compact_policy_t policy(int64_t delete_retention_ms) {
    return (fr_compact_policy_t){.min_cleanable_ratio = 0.01, .min_lag_ms = 0, .max_lag_ms = INT64_MAX,
                                 .delete_retention_ms = delete_retention_ms};
}

#endif
