/* Storage: fr_partlog_release_cache keeps a log's newest bytes in the page
 * cache and writes back and drops the rest.  Residency is read from the
 * kernel (mincore on a mapping of each segment file), so the assertions are
 * about what the page cache holds, not about our own bookkeeping; and
 * fr_partlog_cold_range names the reads that would have to wait for the disk.  The log
 * lives under the working directory (the build tree, a real file system):
 * tmpfs pages cannot be dropped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "batch_builder.h"
#include "fr_err.h"
#include "fr_partlog.h"
#include "fr_test.h"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Bytes of [from, to) of the file that are in the page cache (whole pages). */
static int64_t resident(const char *path, int64_t from, int64_t to) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    long page = sysconf(_SC_PAGESIZE);
    size_t pages = ((size_t)st.st_size + (size_t)page - 1) / (size_t)page;
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    unsigned char *vec = malloc(pages);
    int64_t n = -1;
    if (m != MAP_FAILED && vec && mincore(m, (size_t)st.st_size, vec) == 0) {
        n = 0;
        for (size_t i = (size_t)(from / page); i < pages && (int64_t)i * page < to; i++)
            n += (vec[i] & 1) ? page : 0;
    }
    free(vec);
    if (m != MAP_FAILED)
        munmap(m, (size_t)st.st_size);
    close(fd);
    return n;
}

static int64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* 32 KiB batches of eight 4000-byte values. */
static void append_batches_at(fr_partlog_t *log, int n, int64_t now_ms) {
    static char value[4000];
    memset(value, 'p', sizeof(value));
    for (int b = 0; b < n; b++) {
        bb_batch_t bt = bb_defaults();
        bb_record_t recs[8];
        for (int i = 0; i < 8; i++)
            recs[i] = (bb_record_t){.key = "k", .key_len = 1, .value = value, .value_len = sizeof(value),
                                    .timestamp = now_ms + b}; /* segment.ms goes by these */
        fr_writer_t w;
        fr_writer_init(&w);
        bb_build(&w, &bt, recs, 8);
        fr_append_info_t info;
        FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, now_ms, &info), 0);
        fr_writer_free(&w);
    }
}

static void append_batches(fr_partlog_t *log, int n) { append_batches_at(log, n, 1700000000000); }

/* One batch of n 4000-byte values. */
static void append_batch_of(fr_partlog_t *log, int n) {
    static char value[4000];
    memset(value, 'q', sizeof(value));
    bb_record_t *recs = calloc((size_t)n, sizeof(*recs));
    FR_CHECK(recs != NULL);
    for (int i = 0; i < n; i++)
        recs[i] = (bb_record_t){.value = value, .value_len = sizeof(value), .timestamp = 1700000000000};
    bb_batch_t bt = bb_defaults();
    fr_writer_t w;
    fr_writer_init(&w);
    bb_build(&w, &bt, recs, n);
    fr_append_info_t info;
    FR_CHECK_EQ_INT(fr_partlog_append(log, w.buf, w.len, 1700000000000, &info), 0);
    fr_writer_free(&w);
    free(recs);
}

/* A partition log in a fresh directory under the working directory. */
typedef struct temp_log {
    char tmp[64], dir[256], seg0[300]; /* seg0: the first segment's .log */
    fr_log_config_t cfg;
    fr_partlog_t *log;
} temp_log_t;

static void temp_log_open(temp_log_t *t, int64_t segment_bytes) {
    snprintf(t->tmp, sizeof(t->tmp), "./fr-page-cache-XXXXXX");
    FR_CHECK(mkdtemp(t->tmp) != NULL);
    snprintf(t->dir, sizeof(t->dir), "%s/t-0", t->tmp);
    snprintf(t->seg0, sizeof(t->seg0), "%s/%020d.log", t->dir, 0);
    fr_log_config_defaults(&t->cfg);
    if (segment_bytes > 0)
        t->cfg.segment_bytes = segment_bytes;
    FR_CHECK_EQ_INT(fr_partlog_open(t->dir, &t->cfg, &t->log), 0);
}

static void temp_log_remove(temp_log_t *t) {
    nftw(t->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The first batch at offset reads back whole, CRC and records valid. */
static void check_readable(fr_partlog_t *log, int64_t offset) {
    fr_read_result_t rr;
    FR_CHECK_EQ_INT(fr_partlog_read(log, offset, 64 << 10, &rr), 0);
    FR_CHECK(rr.len > 0);
    uint8_t *buf = malloc(rr.len);
    FR_CHECK(pread(rr.fd, buf, rr.len, rr.file_position) == (ssize_t)rr.len);
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    const char *why = NULL;
    fr_batch_iter_init(&it, buf, rr.len);
    FR_CHECK(fr_batch_iter_next(&it, &h, &batch, &blen));
    FR_CHECK(h.base_offset <= offset && offset <= fr_batch_last_offset(&h));
    FR_CHECK_EQ_INT(fr_batch_validate(batch, blen, &h, FR_BATCH_V_CLIENT | FR_BATCH_V_RECORDS, &why), 0);
    free(buf);
    rr.unref(rr.ref);
}

FR_TEST(release_keeps_the_newest_bytes_cached) {
    temp_log_t t;
    temp_log_open(&t, 1 << 20);
    fr_partlog_t *log = t.log;
    const char *dir = t.dir, *seg0 = t.seg0;
    const fr_log_config_t cfg = t.cfg;
    append_batches(log, 110); /* ~3.4 MiB: three full segments and part of a fourth */
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 4);

    char active[300];
    int64_t released = -1, total = fr_partlog_size_bytes(log);
    FR_CHECK(resident(seg0, 0, INT64_MAX) > 0); /* just written: cached */

    /* keep < 0: the page cache is the kernel's */
    FR_CHECK_EQ_INT(fr_partlog_release_cache(log, -1, &released), 0);
    FR_CHECK_EQ_INT(released, 0);
    FR_CHECK_EQ_INT(resident(seg0, 0, INT64_MAX), (file_size(seg0) + 4095) / 4096 * 4096);

    const int64_t keep = 128 << 10;
    FR_CHECK_EQ_INT(fr_partlog_release_cache(log, keep, &released), 0);
    /* everything but the newest 128 KiB (page-aligned within each file) went */
    FR_CHECK(released > total - keep - 4 * 4096 && released <= total - keep);
    FR_CHECK_EQ_INT(resident(seg0, 0, INT64_MAX), 0);
    /* the active segment: its last 128 KiB stay, what is before them went */
    int64_t leo = fr_partlog_end_offset(log);
    int64_t active_base = 0;
    for (int64_t off = 0; off < leo; off += 8) { /* find the active segment's file: the last one that exists */
        char p[300];
        snprintf(p, sizeof(p), "%s/%020lld.log", dir, (long long)off);
        if (access(p, F_OK) == 0)
            active_base = off;
    }
    snprintf(active, sizeof(active), "%s/%020lld.log", dir, (long long)active_base);
    int64_t asize = file_size(active);
    FR_CHECK(asize > keep);
    FR_CHECK_EQ_INT(resident(active, asize - keep + 4096, asize), ((asize + 4095) / 4096 * 4096) - (asize - keep + 4096) / 4096 * 4096);
    /* the kernel drops whole folios only: one that straddles the boundary
     * (ext4 uses large folios) stays, nothing further back does */
    int64_t before = resident(active, 0, (asize - keep) / 4096 * 4096);
    FR_CHECK(before >= 0 && before <= 64 << 10);
    FR_CHECK_EQ_INT(resident(active, 0, (asize - keep) / 4096 * 4096 - (64 << 10)), 0);

    /* nothing new appended: nothing more to do */
    FR_CHECK_EQ_INT(fr_partlog_release_cache(log, keep, &released), 0);
    FR_CHECK_EQ_INT(released, 0);

    /* the data is all still there, from disk */
    check_readable(log, 0);
    check_readable(log, leo / 2);
    check_readable(log, leo - 1);
    FR_CHECK_EQ_INT(fr_partlog_flush(log), 0);
    fr_partlog_close(log);
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    check_readable(log, 0);
    /* after a reopen the first call walks every segment once; the newest bytes stay */
    FR_CHECK_EQ_INT(fr_partlog_release_cache(log, keep, &released), 0);
    FR_CHECK_EQ_INT(resident(seg0, 0, INT64_MAX), 0);
    fr_partlog_close(log);
    temp_log_remove(&t);
}

/* The release also starts the writeback of what it keeps: once that I/O is
 * done those pages are clean, so the kernel can drop them without writing.
 * The check waits only for writeback already under way (WAIT_BEFORE starts
 * none), then asks the kernel to drop the range: pages still dirty would
 * have their writeback only begun by the advice and stay cached. */
FR_TEST(release_starts_the_writeback_of_the_bytes_it_keeps) {
    temp_log_t t;
    temp_log_open(&t, 0);
    fr_partlog_t *log = t.log;
    const char *seg0 = t.seg0;
    append_batches(log, 140); /* 4.5 MB, one segment */
    int64_t size = file_size(seg0), released = -1;
    FR_CHECK(size >= 4 << 20);
    FR_CHECK_EQ_INT(fr_partlog_release_cache(log, 1LL << 30, &released), 0);
    FR_CHECK_EQ_INT(released, 0); /* all of it is kept */
    FR_CHECK(resident(seg0, 0, INT64_MAX) >= size - 4096);

    int fd = open(seg0, O_RDONLY);
    FR_CHECK(fd >= 0);
    FR_CHECK_EQ_INT(sync_file_range(fd, 0, size, SYNC_FILE_RANGE_WAIT_BEFORE), 0);
    FR_CHECK_EQ_INT(posix_fadvise(fd, 0, size, POSIX_FADV_DONTNEED), 0);
    close(fd);
    /* the last partial page is still being written: one folio at the end may stay */
    FR_CHECK_EQ_INT(resident(seg0, 0, (size & ~4095LL) - (64 << 10)), 0);
    check_readable(log, 0);
    fr_partlog_close(log);
    temp_log_remove(&t);
}

/* Bytes allocated to the file past the block holding its last byte: blocks
 * reserved ahead, give or take the file system's own metadata (an extent
 * tree block counts in st_blocks too: METADATA_SLACK). */
static int64_t reserved_past_end(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (int64_t)st.st_blocks * 512 - (st.st_size + 4095) / 4096 * 4096;
}
#define METADATA_SLACK (64 << 10)

/* Appends reserve disk blocks ahead of the active segment (fallocate,
 * KEEP_SIZE): the file size stays the bytes written; the reserve stops at
 * segment.bytes; the roll and the close give it back; recovery does not
 * mistake reserved blocks for data. */
FR_TEST(appends_reserve_blocks_ahead_and_give_them_back) {
    temp_log_t t;
    temp_log_open(&t, 64 << 20);
    fr_partlog_t *log = t.log;
    const char *seg0 = t.seg0, *dir = t.dir;
    const fr_log_config_t cfg = t.cfg;

    append_batches(log, 16); /* 512 KiB: a small log reserves nothing */
    FR_CHECK(reserved_past_end(seg0) <= METADATA_SLACK);
    int64_t most = 0;
    for (int i = 0; i < 200 && most < (512 << 10); i++) { /* on past 1 MiB, until a fresh reserve */
        append_batches(log, 1);
        int64_t r = reserved_past_end(seg0);
        most = r > most ? r : most;
    }
    FR_CHECK(most >= 512 << 10);
    FR_CHECK_EQ_INT(file_size(seg0), fr_partlog_size_bytes(log)); /* the size is the data */
    /* a batch a week later rolls the segment (segment.ms): the reserve goes back */
    append_batches_at(log, 1, 1700000000000 + 8 * 86400000LL);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 2);
    FR_CHECK(reserved_past_end(seg0) <= METADATA_SLACK);
    append_batches(log, 40); /* the new segment: over 1 MiB, reserving */
    int64_t leo = fr_partlog_end_offset(log);
    fr_partlog_close(log);

    /* the close gave the active segment's reserve back */
    char active[300];
    int64_t active_base = 0;
    for (int64_t off = 0; off < leo; off += 8) {
        char p[300];
        snprintf(p, sizeof(p), "%s/%020lld.log", dir, (long long)off);
        if (access(p, F_OK) == 0)
            active_base = off;
    }
    snprintf(active, sizeof(active), "%s/%020lld.log", dir, (long long)active_base);
    FR_CHECK(active_base > 0);
    FR_CHECK(reserved_past_end(active) <= METADATA_SLACK);
    /* what a crash leaves: blocks reserved past the active segment's end */
    int fd = open(active, O_RDWR);
    FR_CHECK(fd >= 0);
    int64_t asize = file_size(active);
    FR_CHECK_EQ_INT(fallocate(fd, FALLOC_FL_KEEP_SIZE, asize, 4 << 20), 0);
    close(fd);
    FR_CHECK(reserved_past_end(active) >= 4 << 20);
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    FR_CHECK_EQ_INT(file_size(active), asize);
    check_readable(log, leo - 1);
    fr_partlog_close(log);
    FR_CHECK(reserved_past_end(active) <= METADATA_SLACK);
    temp_log_remove(&t);

    /* a small segment: the reserve never passes segment.bytes */
    temp_log_open(&t, 2 << 20);
    append_batches(t.log, 60); /* 1.9 MB of 2 MiB */
    FR_CHECK_EQ_INT(fr_partlog_segment_count(t.log), 1);
    struct stat st;
    FR_CHECK(stat(t.seg0, &st) == 0 && (int64_t)st.st_blocks * 512 <= (2 << 20) + METADATA_SLACK);
    fr_partlog_close(t.log);
    temp_log_remove(&t);
}

/* Drops every .log in dir from the page cache (they are synced: clean pages go). */
static void drop_cached_logs(const char *dir) {
    DIR *d = opendir(dir);
    FR_CHECK(d != NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 4, ".log") != 0)
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
        FR_CHECK(fd >= 0);
        FR_CHECK_EQ_INT(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
        close(fd);
    }
    closedir(d);
}

/* Which reads may wait for the disk (the fetch warms those off the loop):
 * bytes released from the cache, and bytes found on disk at open; never the
 * bytes this process wrote and keeps. */
FR_TEST(cold_ranges_are_the_released_and_the_reopened_bytes) {
    temp_log_t t;
    temp_log_open(&t, 1 << 20);
    append_batches(t.log, 110); /* 880 records in four segments */
    fr_read_result_t rr;
    int64_t leo = fr_partlog_end_offset(t.log);
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, 0, 64 << 10, &rr), 0); /* just written */
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, leo - 1, 64 << 10, &rr), 0);
    FR_CHECK(rr.unref == NULL && rr.fd == -1);

    const int64_t keep = 128 << 10;
    FR_CHECK_EQ_INT(fr_partlog_release_cache(t.log, keep, NULL), 0);
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, leo - 1, 64 << 10, &rr), 0); /* kept */
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, 0, 64 << 10, &rr), 1);
    /* the range starts where the read will, and covers what it returns */
    fr_read_result_t read;
    FR_CHECK_EQ_INT(fr_partlog_read(t.log, 0, 64 << 10, &read), 0);
    FR_CHECK_EQ_INT(rr.file_position, read.file_position);
    FR_CHECK(rr.len >= read.len && rr.len <= (64 << 10) + (size_t)t.cfg.index_interval_bytes);
    FR_CHECK(rr.fd == read.fd);
    read.unref(read.ref);
    rr.unref(rr.ref);
    /* from an index entry in the middle of a segment */
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, 100, 64 << 10, &rr), 1);
    FR_CHECK_EQ_INT(fr_partlog_read(t.log, 100, 64 << 10, &read), 0);
    FR_CHECK(rr.file_position <= read.file_position && read.file_position < rr.file_position + (int64_t)rr.len);
    read.unref(read.ref);
    rr.unref(rr.ref);
    /* out of range: nothing to warm */
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, leo, 64 << 10, &rr), 0);
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, -1, 64 << 10, &rr), 0);

    /* a cold range read since is cached: the kernel says so (cachestat, Linux
     * 6.5), or, where it cannot, the range stays cold (warming it again costs
     * only the warming) */
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, 0, 64 << 10, &rr), 1);
    uint8_t *buf = malloc(rr.len);
    FR_CHECK(pread(rr.fd, buf, rr.len, rr.file_position) == (ssize_t)rr.len);
    free(buf);
    rr.unref(rr.ref);
    int cachestat_works = syscall(451, -1, NULL, NULL, 0) < 0 && errno != ENOSYS && errno != EPERM;
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, 0, 64 << 10, &rr), cachestat_works ? 0 : 1);
    if (rr.unref)
        rr.unref(rr.ref);

    /* reopened: the bytes found on disk may be cold, new ones are not */
    FR_CHECK_EQ_INT(fr_partlog_flush(t.log), 0);
    fr_partlog_close(t.log);
    drop_cached_logs(t.dir); /* as after a reboot */
    FR_CHECK_EQ_INT(fr_partlog_open(t.dir, &t.cfg, &t.log), 0);
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, 0, 64 << 10, &rr), 1); /* (the open's recovery read the active segment) */
    rr.unref(rr.ref);
    append_batches(t.log, 1);
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, leo, 64 << 10, &rr), 0);
    fr_partlog_close(t.log);
    temp_log_remove(&t);
}

/* A fetch returns its first batch whole however small its limit; the cold
 * range is sized by the limit, so the warm-up reads on to that batch's end
 * (else the rest would be read on the network loop). */
FR_TEST(a_cold_range_reaches_the_end_of_a_batch_bigger_than_the_limit) {
    temp_log_t t;
    temp_log_open(&t, 1 << 20);
    append_batches(t.log, 3);      /* offsets 0..23, 32 KiB batches */
    append_batch_of(t.log, 64);    /* offsets 24..87, one ~256 KiB batch */
    append_batches(t.log, 3);
    FR_CHECK_EQ_INT(fr_partlog_release_cache(t.log, 0, NULL), 0);
    const int64_t limit = 16 << 10;
    fr_read_result_t rr, read;
    for (int64_t offset = 24; offset <= 87; offset += 63) { /* its first and last record */
        FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, offset, limit, &rr), 1);
        FR_CHECK_EQ_INT(fr_partlog_read(t.log, offset, (int32_t)limit, &read), 0);
        FR_CHECK(read.len > 64 * 4000); /* the big batch, whole */
        FR_CHECK(rr.file_position + (int64_t)rr.len < read.file_position + (int64_t)read.len);
        FR_CHECK_EQ_INT(fr_partlog_cold_range_end(&rr), read.file_position + (int64_t)read.len);
        read.unref(read.ref);
        rr.unref(rr.ref);
    }
    /* a first batch that fits (32 KiB in 64): the range's own end */
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, 8, 64 << 10, &rr), 1);
    FR_CHECK_EQ_INT(fr_partlog_cold_range_end(&rr), rr.file_position + (int64_t)rr.len);
    rr.unref(rr.ref);
    /* a header that is not one ends the walk: the range as it was */
    FR_CHECK_EQ_INT(fr_partlog_cold_range(t.log, 24, limit, &rr), 1);
    fr_read_result_t shifted = rr;
    shifted.file_position += 7;
    shifted.len -= 7;
    FR_CHECK_EQ_INT(fr_partlog_cold_range_end(&shifted), shifted.file_position + (int64_t)shifted.len);
    rr.unref(rr.ref);
    fr_partlog_close(t.log);
    temp_log_remove(&t);
}

int main(void) {
    FR_RUN(release_keeps_the_newest_bytes_cached);
    FR_RUN(release_starts_the_writeback_of_the_bytes_it_keeps);
    FR_RUN(appends_reserve_blocks_ahead_and_give_them_back);
    FR_RUN(cold_ranges_are_the_released_and_the_reopened_bytes);
    FR_RUN(a_cold_range_reaches_the_end_of_a_batch_bigger_than_the_limit);
    return fr_test_done();
}
