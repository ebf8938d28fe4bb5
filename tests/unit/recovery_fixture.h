/*
 * recovery_fixture.h — what the recovery tests (test_recovery.c,
 * test_recovery_crash.c) share: a multi-segment log built once and kept as a
 * pristine copy (restore() puts it back before each damage), a model of every
 * batch appended, and reopen_and_check, which opens the damaged copy and
 * checks it against the model: log end, every surviving offset's bytes,
 * nothing past the damage, ListOffsets by time, and appends at the end.
 */
#ifndef FR_RECOVERY_FIXTURE_H
#define FR_RECOVERY_FIXTURE_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_builder.h"
#include "fr_logging.h"
#include "fr_partlog.h"
#include "fr_test.h"

/* ---- a model of what was appended ---- */

typedef struct tb {
    int64_t base, last, max_ts;
    int64_t segment;  /* base offset of the segment holding it */
    int64_t position; /* in that segment's .log */
    uint8_t *bytes;
    size_t len;
} tb_t;

static tb_t *batches;
static size_t nbatches;
static int64_t *seg_bases;
static size_t nsegs;

static inline const tb_t *find_batch(int64_t offset) {
    for (size_t i = 0; i < nbatches; i++)
        if (batches[i].base <= offset && offset <= batches[i].last)
            return &batches[i];
    return NULL;
}

/* ---- files ---- */

typedef struct file_copy {
    char name[256];
    uint8_t *data;
    size_t len;
} file_copy_t;

static char tmp[64], dir[128];
static file_copy_t *pristine;
static size_t npristine;
static fr_log_config_t cfg;

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static inline uint8_t *slurp(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    uint8_t *p = malloc((size_t)st.st_size + 1);
    *len = (size_t)st.st_size;
    if (pread(fd, p, *len, 0) != (ssize_t)*len)
        *len = 0;
    close(fd);
    return p;
}

static inline void spit(const char *path, const uint8_t *p, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (len && write(fd, p, len) != (ssize_t)len)
        perror("write");
    close(fd);
}

static inline void snapshot(void) {
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        pristine = realloc(pristine, (npristine + 1) * sizeof(*pristine));
        file_copy_t *f = &pristine[npristine++];
        char path[512];
        snprintf(f->name, sizeof(f->name), "%s", e->d_name);
        path_of(path, sizeof(path), e->d_name);
        f->data = slurp(path, &f->len);
    }
    closedir(d);
}

static inline void restore(void) {
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    mkdir(dir, 0755);
    for (size_t i = 0; i < npristine; i++) {
        char path[512];
        path_of(path, sizeof(path), pristine[i].name);
        spit(path, pristine[i].data, pristine[i].len);
    }
}

static inline void seg_path(char *buf, size_t n, int64_t base, const char *suffix) {
    snprintf(buf, n, "%s/%020lld%s", dir, (long long)base, suffix);
}

static inline int64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* ---- building the log ---- */

static inline void build_log(void) {
    fr_partlog_t *log;
    fr_log_config_defaults(&cfg);
    cfg.segment_bytes = 3000;
    cfg.index_interval_bytes = 200;
    snprintf(tmp, sizeof(tmp), "/tmp/fr-recovery-XXXXXX");
    if (!mkdtemp(tmp))
        exit(1);
    snprintf(dir, sizeof(dir), "%s/t-0", tmp);
    if (fr_partlog_open(dir, &cfg, &log) != 0)
        exit(1);
    srand(7);
    int64_t active_bytes = 0;
    for (int i = 0; i < 150 || active_bytes < 1500; i++) {
        fr_writer_t w;
        fr_writer_init(&w);
        int nb = 1 + rand() % 2;
        for (int k = 0; k < nb; k++) {
            int64_t ts = 100000 + 100 * i - (rand() % 4 == 0 ? 350 : 0);
            bb_build_simple(&w, 1 + rand() % 4, (size_t)(10 + rand() % 140), ts, (uint32_t)rand());
        }
        fr_append_info_t info;
        if (fr_partlog_append(log, w.buf, w.len, 1000, &info) != 0)
            exit(1);
        char path[256];
        seg_path(path, sizeof(path), info.base_offset, ".log");
        if (access(path, F_OK) == 0)
            active_bytes = 0; /* this append rolled */
        active_bytes += (int64_t)w.len;
        fr_batch_iter_t it;
        fr_batch_header_t h;
        const uint8_t *b;
        size_t blen;
        fr_batch_iter_init(&it, w.buf, w.len);
        while (fr_batch_iter_next(&it, &h, &b, &blen)) {
            batches = realloc(batches, (nbatches + 1) * sizeof(*batches));
            tb_t *t = &batches[nbatches++];
            t->base = h.base_offset;
            t->last = fr_batch_last_offset(&h);
            t->max_ts = h.max_timestamp;
            t->len = blen;
            t->bytes = malloc(blen);
            memcpy(t->bytes, b, blen);
        }
        fr_writer_free(&w);
    }
    fr_partlog_close(log);

    /* where each batch landed: segments are named after their first batch */
    int64_t pos = 0, seg = -1;
    for (size_t i = 0; i < nbatches; i++) {
        char path[256];
        seg_path(path, sizeof(path), batches[i].base, ".log");
        if (access(path, F_OK) == 0) {
            seg = batches[i].base;
            pos = 0;
            seg_bases = realloc(seg_bases, (nsegs + 1) * sizeof(*seg_bases));
            seg_bases[nsegs++] = seg;
        }
        batches[i].segment = seg;
        batches[i].position = pos;
        pos += (int64_t)batches[i].len;
    }
    snapshot();
}

/* ---- checking a recovered log ---- */

typedef struct expect {
    int64_t leo;              /* recovered log end offset */
    int64_t gap_lo, gap_hi;   /* offsets [gap_lo, gap_hi) lost in the middle (none: equal) */
} expect_t;

static inline int survives(const tb_t *t, const expect_t *e) {
    return t->last < e->leo && !(t->base >= e->gap_lo && t->base < e->gap_hi);
}

/* One read, checked: whole batches, exact bytes, first one holds `offset` (or
 * is the first after a gap), consecutive, none past the damage. */
static inline int read_ok(fr_partlog_t *log, int64_t offset, int32_t max_bytes, const expect_t *e) {
    fr_read_result_t rr;
    int rc = fr_partlog_read(log, offset, max_bytes, &rr);
    if (rc != 0 || rr.len == 0) {
        fprintf(stderr, "read %lld: rc %d len %zu\n", (long long)offset, rc, rr.len);
        if (rc == 0 && rr.unref)
            rr.unref(rr.ref);
        return 0;
    }
    uint8_t *buf = malloc(rr.len);
    int ok = pread(rr.fd, buf, rr.len, rr.file_position) == (ssize_t)rr.len;
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *b;
    size_t blen;
    int64_t want_first = offset >= e->gap_lo && offset < e->gap_hi ? e->gap_hi : offset;
    int n = 0;
    fr_batch_iter_init(&it, buf, rr.len);
    while (ok && fr_batch_iter_next(&it, &h, &b, &blen)) {
        const tb_t *t = find_batch(h.base_offset);
        ok = t && t->base == h.base_offset && t->len == blen && memcmp(t->bytes, b, blen) == 0 &&
             survives(t, e);
        if (ok && n == 0)
            ok = t->base <= want_first && want_first <= t->last;
        n++;
    }
    ok = ok && !it.err && (n == 1 || rr.len <= (size_t)max_bytes);
    if (!ok)
        fprintf(stderr, "read %lld max %d: wrong bytes\n", (long long)offset, max_bytes);
    free(buf);
    rr.unref(rr.ref);
    return ok;
}

static inline int times_ok(fr_partlog_t *log, const expect_t *e) {
    int bad = 0;
    for (int64_t ts = 99000; ts < 116000; ts += 53) {
        int64_t want = -1, want_ts = -1, off, got_ts;
        for (size_t i = 0; i < nbatches && want < 0; i++) {
            fr_batch_header_t h;
            fr_record_iter_t it;
            fr_record_t rec;
            if (!survives(&batches[i], e))
                continue;
            fr_batch_parse_header(batches[i].bytes, batches[i].len, &h);
            fr_record_iter_init(&it, batches[i].bytes, batches[i].len, &h);
            while (want < 0 && fr_record_iter_next(&it, &rec))
                if (rec.timestamp >= ts) {
                    want = rec.offset;
                    want_ts = rec.timestamp;
                }
        }
        if (fr_partlog_offset_for_time(log, ts, &off, &got_ts) != 0 || off != want || got_ts != want_ts) {
            if (bad++ < 3)
                fprintf(stderr, "offset_for_time %lld: got %lld want %lld\n", (long long)ts,
                        (long long)off, (long long)want);
        }
    }
    return bad == 0;
}

static inline int64_t active_base(void) { return seg_bases[nsegs - 1]; }

/*
 * Opens the damaged copy and checks everything; returns 1 when all is well.
 * active_size >= 0: what the active segment's file must have been cut to.
 */
static int64_t open_recovery_point = INT64_MAX; /* what reopen_and_check opens with */

static inline int reopen_and_check(const expect_t *e, int64_t active_size, const char *what) {
    fr_partlog_t *log;
    int ok = 1;
    if (fr_partlog_open_from(dir, &cfg, open_recovery_point, &log) != 0) {
        fprintf(stderr, "%s: open failed\n", what);
        return 0;
    }
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    if (active_size >= 0 && file_size(path) != active_size) {
        fprintf(stderr, "%s: active segment is %lld bytes, want %lld\n", what,
                (long long)file_size(path), (long long)active_size);
        ok = 0;
    }
    if (fr_partlog_end_offset(log) != e->leo) {
        fprintf(stderr, "%s: leo %lld, want %lld\n", what, (long long)fr_partlog_end_offset(log),
                (long long)e->leo);
        ok = 0;
    }
    for (int64_t o = 0; ok && o < e->leo; o++)
        ok = read_ok(log, o, o % 3 == 0 ? 1 : o % 3 == 1 ? 900 : 1 << 20, e);
    fr_read_result_t rr;
    if (ok && (fr_partlog_read(log, e->leo, 1 << 20, &rr) != 0 || rr.len != 0))
        ok = 0;
    if (ok && fr_partlog_read(log, e->leo + 1, 1 << 20, &rr) != FR_ERR_OFFSET_OUT_OF_RANGE)
        ok = 0;
    if (ok)
        ok = times_ok(log, e);
    /* appends continue at the recovered end */
    fr_writer_t w;
    fr_writer_init(&w);
    bb_build_simple(&w, 2, 10, 200000, 5);
    fr_append_info_t info;
    if (ok && (fr_partlog_append(log, w.buf, w.len, 1000, &info) != 0 || info.base_offset != e->leo ||
               fr_partlog_end_offset(log) != e->leo + 2))
        ok = 0;
    if (ok && (fr_partlog_read(log, e->leo + 1, 1, &rr) != 0 || rr.len != w.len))
        ok = 0;
    else if (ok)
        rr.unref(rr.ref);
    fr_writer_free(&w);
    fr_partlog_close(log);
    if (!ok)
        fprintf(stderr, "FAILED: %s\n", what);
    return ok;
}

static inline expect_t full(void) { return (expect_t){batches[nbatches - 1].last + 1, 0, 0}; }

/* Log end offset when the active segment keeps its bytes [0, keep); *end is
 * where its last whole batch ends. */
static inline int64_t leo_if_active_keeps(int64_t keep, int64_t *end) {
    int64_t leo = active_base();
    *end = 0;
    for (size_t i = 0; i < nbatches; i++)
        if (batches[i].segment == active_base() && batches[i].position + (int64_t)batches[i].len <= keep) {
            leo = batches[i].last + 1;
            *end = batches[i].position + (int64_t)batches[i].len;
        }
    return leo;
}

static inline void truncate_file(const char *path, int64_t len) {
    if (truncate(path, len) != 0)
        perror("truncate");
}

/* The second batch of segment s, whose records the cheap load of an older segment never reads. */
static inline const tb_t *second_batch_of(size_t s) {
    int seen = 0;
    for (size_t i = 0; i < nbatches; i++)
        if (batches[i].segment == seg_bases[s] && seen++ == 1)
            return &batches[i];
    return NULL;
}

static inline void flip_record_byte(const tb_t *b) {
    char path[256];
    seg_path(path, sizeof(path), b->segment, ".log");
    int fd = open(path, O_RDWR);
    uint8_t c = 0;
    off_t at = (off_t)(b->position + 61 + 2); /* inside the first record, under the CRC */
    if (pread(fd, &c, 1, at) != 1 || (c ^= 0x20, pwrite(fd, &c, 1, at)) != 1)
        perror("flip");
    close(fd);
}

/* Batch k (0-based) of segment s. */
static inline const tb_t *batch_of(size_t s, int k) {
    int seen = 0;
    for (size_t i = 0; i < nbatches; i++)
        if (batches[i].segment == seg_bases[s] && seen++ == k)
            return &batches[i];
    return NULL;
}

/* Quiet logs (the damage makes a warning per reopen; FR_LOG_LEVEL overrides) and the log built. */
static inline void fixture_setup(void) {
    if (!getenv("FR_LOG_LEVEL"))
        fr_logging_set_level(FR_LOG_ERROR);
    build_log();
}

static inline void fixture_free(void) {
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < nbatches; i++)
        free(batches[i].bytes);
    free(batches);
    for (size_t i = 0; i < npristine; i++)
        free(pristine[i].data);
    free(pristine);
    free(seg_bases);
}

#endif
