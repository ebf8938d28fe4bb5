/*
 * Recovery: build a multi-segment log, then damage a copy of it in many ways
 * (torn tail of the active segment at many cut points, a flipped byte in it,
 * garbage after it, truncated / garbled / missing index files, a torn older
 * segment) and reopen.  Each time: no crash, the log end offset is that of
 * the last intact batch, every surviving offset reads back exactly the bytes
 * appended, nothing past the damage is served, ListOffsets agrees with a brute
 * force over the surviving batches, and appends continue at the recovered end.
 */
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

static const tb_t *find_batch(int64_t offset) {
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

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static uint8_t *slurp(const char *path, size_t *len) {
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

static void spit(const char *path, const uint8_t *p, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (len && write(fd, p, len) != (ssize_t)len)
        perror("write");
    close(fd);
}

static void snapshot(void) {
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

static void restore(void) {
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    mkdir(dir, 0755);
    for (size_t i = 0; i < npristine; i++) {
        char path[512];
        path_of(path, sizeof(path), pristine[i].name);
        spit(path, pristine[i].data, pristine[i].len);
    }
}

static void seg_path(char *buf, size_t n, int64_t base, const char *suffix) {
    snprintf(buf, n, "%s/%020lld%s", dir, (long long)base, suffix);
}

static int64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* ---- building the log ---- */

static void build_log(void) {
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

static int survives(const tb_t *t, const expect_t *e) {
    return t->last < e->leo && !(t->base >= e->gap_lo && t->base < e->gap_hi);
}

/* One read, checked: whole batches, exact bytes, first one holds `offset` (or
 * is the first after a gap), consecutive, none past the damage. */
static int read_ok(fr_partlog_t *log, int64_t offset, int32_t max_bytes, const expect_t *e) {
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

static int times_ok(fr_partlog_t *log, const expect_t *e) {
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

static int64_t active_base(void) { return seg_bases[nsegs - 1]; }

/*
 * Opens the damaged copy and checks everything; returns 1 when all is well.
 * active_size >= 0: what the active segment's file must have been cut to.
 */
static int64_t open_recovery_point = INT64_MAX; /* what reopen_and_check opens with */

static int reopen_and_check(const expect_t *e, int64_t active_size, const char *what) {
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

static expect_t full(void) { return (expect_t){batches[nbatches - 1].last + 1, 0, 0}; }

/* Log end offset when the active segment keeps its bytes [0, keep); *end is
 * where its last whole batch ends. */
static int64_t leo_if_active_keeps(int64_t keep, int64_t *end) {
    int64_t leo = active_base();
    *end = 0;
    for (size_t i = 0; i < nbatches; i++)
        if (batches[i].segment == active_base() && batches[i].position + (int64_t)batches[i].len <= keep) {
            leo = batches[i].last + 1;
            *end = batches[i].position + (int64_t)batches[i].len;
        }
    return leo;
}

static void truncate_file(const char *path, int64_t len) {
    if (truncate(path, len) != 0)
        perror("truncate");
}

/* ---- the damage ---- */

FR_TEST(intact_log_reopens) {
    restore();
    expect_t e = full();
    FR_CHECK(nsegs >= 8);
    FR_CHECK_EQ_INT(reopen_and_check(&e, -1, "intact"), 1);
}

FR_TEST(torn_active_segment_at_many_cuts) {
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    int64_t size;
    leo_if_active_keeps(INT64_MAX, &size);
    FR_CHECK(size > 1000);
    int bad = 0;
    srand(11);
    /* every batch boundary, one byte either side of it, and random cuts */
    for (size_t i = 0; i < nbatches; i++) {
        if (batches[i].segment != active_base())
            continue;
        for (int d = -1; d <= 1; d++) {
            int64_t cut = batches[i].position + d;
            if (cut < 0 || cut > size)
                continue;
            restore();
            truncate_file(path, cut);
            int64_t end;
            expect_t e = {leo_if_active_keeps(cut, &end), 0, 0};
            char what[64];
            snprintf(what, sizeof(what), "active cut at %lld", (long long)cut);
            bad += !reopen_and_check(&e, end, what);
        }
    }
    for (int k = 0; k < 25; k++) {
        int64_t cut = rand() % size;
        restore();
        truncate_file(path, cut);
        int64_t end;
        expect_t e = {leo_if_active_keeps(cut, &end), 0, 0};
        char what[64];
        snprintf(what, sizeof(what), "active cut at %lld", (long long)cut);
        bad += !reopen_and_check(&e, end, what);
    }
    FR_CHECK_EQ_INT(bad, 0);
}

FR_TEST(flipped_byte_in_active_segment) {
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    const file_copy_t *orig = NULL;
    for (size_t i = 0; i < npristine; i++)
        if (strcmp(pristine[i].name + 20, ".log") == 0 && strtoll(pristine[i].name, NULL, 10) == active_base())
            orig = &pristine[i];
    FR_CHECK(orig != NULL);
    if (!orig)
        return;
    int bad = 0, trials = 0;
    srand(13);
    while (trials < 50) {
        int64_t at = rand() % (int64_t)orig->len;
        const tb_t *hit = NULL;
        for (size_t i = 0; i < nbatches; i++)
            if (batches[i].segment == active_base() && batches[i].position <= at &&
                at < batches[i].position + (int64_t)batches[i].len)
                hit = &batches[i];
        int64_t in_batch = at - hit->position;
        if (in_batch >= FR_BATCH_OFF_LEADER_EPOCH && in_batch < FR_BATCH_OFF_MAGIC)
            continue; /* the leader epoch is covered by no checksum, by Kafka's design */
        trials++;
        restore();
        uint8_t *copy = malloc(orig->len);
        memcpy(copy, orig->data, orig->len);
        copy[at] ^= (uint8_t)(1 + rand() % 255);
        spit(path, copy, orig->len);
        free(copy);
        expect_t e = {hit->base, 0, 0};
        char what[80];
        snprintf(what, sizeof(what), "flip at %lld (byte %lld of batch %lld)", (long long)at,
                 (long long)in_batch, (long long)hit->base);
        bad += !reopen_and_check(&e, hit->position, what);
    }
    FR_CHECK_EQ_INT(bad, 0);
}

FR_TEST(garbage_after_active_segment) {
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    int64_t size;
    leo_if_active_keeps(INT64_MAX, &size);
    static const size_t lens[] = {1, 11, 12, 17, 61, 4096};
    int bad = 0;
    for (int zero = 0; zero <= 1; zero++)
        for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
            restore();
            uint8_t junk[4096];
            for (size_t i = 0; i < lens[k]; i++)
                junk[i] = zero ? 0 : (uint8_t)(i * 31 + 7);
            int fd = open(path, O_WRONLY | O_APPEND);
            if (write(fd, junk, lens[k]) != (ssize_t)lens[k])
                bad++;
            close(fd);
            expect_t e = full();
            bad += !reopen_and_check(&e, size, zero ? "zeros after the tail" : "junk after the tail");
        }
    FR_CHECK_EQ_INT(bad, 0);
}

static void damage_index(int64_t base, const char *suffix, int how, unsigned seed) {
    char path[256];
    seg_path(path, sizeof(path), base, suffix);
    int64_t size = file_size(path);
    srand(seed);
    switch (how) {
    case 0: /* truncated anywhere */
        truncate_file(path, size > 0 ? rand() % size : 0);
        break;
    case 1: /* garbled bytes */
        for (int i = 0; i < 1 + rand() % 4 && size > 0; i++) {
            int fd = open(path, O_WRONLY);
            uint8_t b = (uint8_t)rand();
            if (pwrite(fd, &b, 1, rand() % size) != 1)
                perror("pwrite");
            close(fd);
        }
        break;
    case 2: /* missing */
        unlink(path);
        break;
    case 3: { /* junk appended */
        int fd = open(path, O_WRONLY | O_APPEND);
        uint8_t junk[24];
        for (size_t i = 0; i < sizeof(junk); i++)
            junk[i] = (uint8_t)rand();
        if (write(fd, junk, (size_t)(1 + rand() % 24)) < 0)
            perror("write");
        close(fd);
        break;
    }
    case 4: /* emptied */
        truncate_file(path, 0);
        break;
    case 5: /* cut to whole entries */
        truncate_file(path, size / 2 / (strcmp(suffix, ".index") == 0 ? 8 : 12) *
                                (strcmp(suffix, ".index") == 0 ? 8 : 12));
        break;
    }
}

FR_TEST(damaged_index_files) {
    static const char *const suffixes[] = {".index", ".timeindex"};
    int bad = 0;
    unsigned seed = 17;
    size_t older[3] = {0, (nsegs - 1) / 2, nsegs - 2}; /* first, middle, last older segment */
    for (size_t k = 0; k < 3; k++)
        for (int sfx = 0; sfx < 2; sfx++)
            for (int how = 0; how < 6; how++) {
                size_t s = older[k];
                restore();
                damage_index(seg_bases[s], suffixes[sfx], how, seed++);
                expect_t e = full();
                char what[96];
                snprintf(what, sizeof(what), "segment %lld %s damage %d", (long long)seg_bases[s],
                         suffixes[sfx], how);
                bad += !reopen_and_check(&e, -1, what);
            }
    /* every index of every older segment garbled at once */
    restore();
    for (size_t s = 0; s + 1 < nsegs; s++) {
        damage_index(seg_bases[s], ".index", 1, seed++);
        damage_index(seg_bases[s], ".timeindex", 1, seed++);
    }
    expect_t e = full();
    bad += !reopen_and_check(&e, -1, "all indexes garbled");
    /* the active segment's index files do not matter at all */
    restore();
    damage_index(active_base(), ".index", 1, seed++);
    damage_index(active_base(), ".timeindex", 0, seed++);
    bad += !reopen_and_check(&e, -1, "active indexes garbled");
    FR_CHECK_EQ_INT(bad, 0);
}

/* A torn older segment loses its tail; later segments stay, leaving a gap. */
FR_TEST(torn_older_segment_leaves_a_gap) {
    int bad = 0;
    for (size_t s = 1; s + 1 < nsegs; s += 3) {
        char path[256];
        seg_path(path, sizeof(path), seg_bases[s], ".log");
        int64_t size = file_size(path);
        int64_t cut = size / 2;
        restore();
        truncate_file(path, cut);
        /* the first batch of segment s that does not fit below the cut */
        int64_t lost = seg_bases[s + 1];
        for (size_t i = nbatches; i-- > 0;)
            if (batches[i].segment == seg_bases[s] && batches[i].position + (int64_t)batches[i].len > cut)
                lost = batches[i].base;
        expect_t e = full();
        e.gap_lo = lost;
        e.gap_hi = seg_bases[s + 1];
        char what[64];
        snprintf(what, sizeof(what), "older segment %lld cut at %lld", (long long)seg_bases[s], (long long)cut);
        bad += !reopen_and_check(&e, -1, what);
    }
    FR_CHECK_EQ_INT(bad, 0);
}

/* The second batch of segment s, whose records the cheap load of an older segment never reads. */
static const tb_t *second_batch_of(size_t s) {
    int seen = 0;
    for (size_t i = 0; i < nbatches; i++)
        if (batches[i].segment == seg_bases[s] && seen++ == 1)
            return &batches[i];
    return NULL;
}

static void flip_record_byte(const tb_t *b) {
    char path[256];
    seg_path(path, sizeof(path), b->segment, ".log");
    int fd = open(path, O_RDWR);
    uint8_t c = 0;
    off_t at = (off_t)(b->position + 61 + 2); /* inside the first record, under the CRC */
    if (pread(fd, &c, 1, at) != 1 || (c ^= 0x20, pwrite(fd, &c, 1, at)) != 1)
        perror("flip");
    close(fd);
}

/* After a crash: an older segment that reaches the recovery point was written after the last
 * flush, so it is scanned in full; a bad batch in its middle is found, the segment is cut there
 * and becomes the active one, and the later segments go (Kafka's LogLoader.recoverLog). */
FR_TEST(unflushed_older_segment_is_scanned_and_cut) {
    int bad = 0;
    for (size_t s = 0; s + 1 < nsegs; s += 3) {
        const tb_t *b = second_batch_of(s);
        FR_CHECK(b != NULL);
        if (!b)
            continue;
        /* the recovery point at the segment's base, or inside it: either way it is unflushed */
        for (int64_t rp = seg_bases[s]; rp <= seg_bases[s] + 1; rp++) {
            restore();
            flip_record_byte(b);
            expect_t e = {b->base, 0, 0};
            char what[96];
            snprintf(what, sizeof(what), "segment %lld flipped, recovery point %lld", (long long)seg_bases[s],
                     (long long)rp);
            open_recovery_point = rp;
            bad += !reopen_and_check(&e, -1, what);
            open_recovery_point = INT64_MAX;
            char path[256];
            seg_path(path, sizeof(path), seg_bases[s], ".log");
            if (file_size(path) != b->position) { /* cut at the bad batch; the probe went to a new segment */
                fprintf(stderr, "%s: segment is %lld bytes, want %lld\n", what, (long long)file_size(path),
                        (long long)b->position);
                bad++;
            }
            for (size_t later = s + 1; later < nsegs; later++) {
                seg_path(path, sizeof(path), seg_bases[later], ".log");
                if (file_size(path) >= 0) {
                    fprintf(stderr, "%s: segment %lld is still there\n", what, (long long)seg_bases[later]);
                    bad++;
                }
            }
        }
    }
    FR_CHECK_EQ_INT(bad, 0);
}

/* Batch k (0-based) of segment s. */
static const tb_t *batch_of(size_t s, int k) {
    int seen = 0;
    for (size_t i = 0; i < nbatches; i++)
        if (batches[i].segment == seg_bases[s] && seen++ == k)
            return &batches[i];
    return NULL;
}

/* A cut segment with a gap (compaction removes whole batches) is sealed, and appends go to a new
 * segment after it: the active segment allows no gap, so otherwise the next open would cut it
 * again, at the gap, and lose what came after. */
FR_TEST(a_cut_segment_with_a_gap_survives_the_next_open) {
    size_t s = nsegs / 3;
    const tb_t *b1 = batch_of(s, 1), *b2 = batch_of(s, 2), *b3 = batch_of(s, 3);
    FR_CHECK(b1 && b2 && b3 && b3->segment == seg_bases[s]);
    if (!b1 || !b2 || !b3)
        return;
    restore();
    char path[256];
    seg_path(path, sizeof(path), seg_bases[s], ".log");
    size_t len;
    uint8_t *data = slurp(path, &len);
    memmove(data + b1->position, data + b1->position + b1->len, len - (size_t)b1->position - b1->len);
    len -= b1->len;
    data[b3->position - (int64_t)b1->len + 61 + 2] ^= 0x20; /* and damage batch 3, now past the gap */
    spit(path, data, len);
    free(data);
    for (int x = 0; x < 2; x++) { /* the indexes no longer match: gone, as after a crash that tore them */
        seg_path(path, sizeof(path), seg_bases[s], x ? ".index" : ".timeindex");
        unlink(path);
    }
    expect_t e = {b3->base, b1->base, b2->base};
    open_recovery_point = seg_bases[s];
    FR_CHECK_EQ_INT(reopen_and_check(&e, -1, "cut after a gap"), 1); /* appends a 2-record probe */
    open_recovery_point = INT64_MAX;
    seg_path(path, sizeof(path), b3->base, ".log");
    FR_CHECK(file_size(path) > 0); /* the probe went to a segment of its own */
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), b3->base + 2);
    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, b1->base, 1, &rr), 0); /* the gap reads from the next batch */
    FR_CHECK_EQ_INT(rr.file_position, b2->position - (int64_t)b1->len);
    if (rr.unref)
        rr.unref(rr.ref);
    FR_CHECK_EQ_INT(fr_partlog_read(log, b3->base + 1, 1 << 20, &rr), 0);
    FR_CHECK(rr.len > 0);
    if (rr.unref)
        rr.unref(rr.ref);
    fr_partlog_close(log);
}

/* A roll made by an append that then writes nothing (an idempotent producer's retry) is reported
 * by the next append that writes, so that the broker still flushes the rolled segment. */
FR_TEST(a_roll_is_reported_by_the_next_append_that_succeeds) {
    restore();
    fr_partlog_t *log;
    fr_log_config_t c = cfg;
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &c, &log), 0);
    bb_record_t rec = {.key = "k", .key_len = 1, .value = "v", .value_len = 1, .timestamp = 200000};
    bb_batch_t b = bb_defaults();
    b.producer_id = 77;
    b.producer_epoch = 0;
    fr_append_info_t info;
    fr_writer_t w;
    fr_writer_init(&w);
    b.base_sequence = 0;
    bb_build(&w, &b, &rec, 1);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    c.segment_bytes = (int64_t)w.len + 10; /* the next append rolls (the active segment holds more) */
    fr_partlog_set_config(log, &c);
    size_t before = fr_partlog_segment_count(log);
    fr_writer_reset(&w);
    b.base_sequence = 0; /* a retry of the first: a duplicate, found after the roll */
    bb_build(&w, &b, &rec, 1);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    FR_CHECK_EQ_INT(info.duplicate, 1);
    FR_CHECK_EQ_INT(info.rolled, 0);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), before + 1);
    c.segment_bytes = 1 << 20;
    fr_partlog_set_config(log, &c);
    fr_writer_reset(&w);
    b.base_sequence = 1;
    bb_build(&w, &b, &rec, 1);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    FR_CHECK_EQ_INT(info.rolled, 1);
    fr_writer_reset(&w);
    b.base_sequence = 2;
    bb_build(&w, &b, &rec, 1);
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
    FR_CHECK_EQ_INT(info.rolled, 0);
    fr_writer_free(&w);
    fr_partlog_close(log);
}

/* Below the recovery point a segment was fsynced before the crash and is trusted: the same
 * damage is not looked for (that is what the recovery point saves at start), nothing is cut. */
FR_TEST(flushed_older_segment_is_trusted) {
    size_t s = nsegs / 2;
    const tb_t *b = second_batch_of(s);
    FR_CHECK(b != NULL);
    restore();
    flip_record_byte(b);
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open_from(dir, &cfg, seg_bases[s + 1], &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), full().leo);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), seg_bases[s + 1]);
    fr_partlog_close(log);
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    FR_CHECK(file_size(path) > 0);
}

/* The recovery point moves only with flushes, to the log end each one covered; a roll says so. */
FR_TEST(recovery_point_follows_flushes) {
    restore();
    fr_partlog_t *log;
    FR_CHECK_EQ_INT(fr_partlog_open_from(dir, &cfg, 5, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), 5);
    int64_t leo = fr_partlog_end_offset(log);
    int rolled = 0;
    for (int i = 0; i < 40; i++) {
        fr_writer_t w;
        fr_writer_init(&w);
        bb_build_simple(&w, 2, 100, 200000 + i, 9);
        fr_append_info_t info;
        FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1000, &info), 0);
        rolled += info.rolled;
        if (info.rolled) { /* the new segment starts with this append */
            char path[256];
            seg_path(path, sizeof(path), info.base_offset, ".log");
            FR_CHECK(file_size(path) > 0);
        }
        fr_writer_free(&w);
    }
    FR_CHECK(rolled >= 1);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), 5);
    FR_CHECK_EQ_INT(fr_partlog_flush(log), 0);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), leo + 80);
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_recovery_point(log), leo + 80); /* a clean open: all of it */
    fr_partlog_close(log);
}

int main(void) {
    if (!getenv("FR_LOG_LEVEL"))
        fr_logging_set_level(FR_LOG_ERROR); /* the damage makes a warning per reopen */
    build_log();
    FR_RUN(intact_log_reopens);
    FR_RUN(torn_active_segment_at_many_cuts);
    FR_RUN(flipped_byte_in_active_segment);
    FR_RUN(garbage_after_active_segment);
    FR_RUN(damaged_index_files);
    FR_RUN(torn_older_segment_leaves_a_gap);
    FR_RUN(unflushed_older_segment_is_scanned_and_cut);
    FR_RUN(flushed_older_segment_is_trusted);
    FR_RUN(a_cut_segment_with_a_gap_survives_the_next_open);
    FR_RUN(a_roll_is_reported_by_the_next_append_that_succeeds);
    FR_RUN(recovery_point_follows_flushes);
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < nbatches; i++)
        free(batches[i].bytes);
    free(batches);
    for (size_t i = 0; i < npristine; i++)
        free(pristine[i].data);
    free(pristine);
    free(seg_bases);
    return fr_test_done();
}
