/* Storage: failed and short writes on append (a full disk).  RLIMIT_FSIZE
 * (with SIGXFSZ ignored) makes real writes stop part-way with EFBIG, the way
 * ENOSPC does on a full file system: the append must fail with
 * KAFKA_STORAGE_ERROR and leave the log exactly as before (file size, log
 * end, size, producer state), a failed roll must leave the log usable, and
 * once writes work again everything appended reads back, also after reopen. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_builder.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_partlog.h"
#include "fr_test.h"

static struct rlimit saved_limit;

/* From now on no file may grow past `bytes`. */
static void limit_file_size(rlim_t bytes) {
    struct rlimit r = saved_limit;
    r.rlim_cur = bytes;
    if (setrlimit(RLIMIT_FSIZE, &r) < 0) {
        perror("setrlimit");
        exit(1);
    }
}

static void unlimit_file_size(void) {
    if (setrlimit(RLIMIT_FSIZE, &saved_limit) < 0) {
        perror("setrlimit");
        exit(1);
    }
}

static int64_t file_size(const char *dir, int64_t base) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%020lld.log", dir, (long long)base);
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static int file_exists(const char *dir, int64_t base, const char *suffix) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%020lld%s", dir, (long long)base, suffix);
    return access(path, F_OK) == 0;
}

/* One batch from an idempotent producer (pid 7, epoch 0) at base_sequence seq. */
static void build_idempotent(fr_writer_t *w, int32_t seq, int n, size_t value_size) {
    static char value[4096];
    bb_batch_t b = bb_defaults();
    b.producer_id = 7;
    b.producer_epoch = 0;
    b.base_sequence = seq;
    bb_record_t recs[8];
    memset(value, 'v', sizeof(value));
    for (int i = 0; i < n; i++)
        recs[i] = (bb_record_t){.key = "k", .key_len = 1, .value = value, .value_len = (int32_t)value_size,
                                .timestamp = 1700000000000 + seq + i};
    bb_build(w, &b, recs, n);
}

static int append_idempotent(fr_partlog_t *log, int32_t seq, int n, size_t value_size, fr_append_info_t *info) {
    fr_writer_t w;
    fr_writer_init(&w);
    build_idempotent(&w, seq, n, value_size);
    int rc = fr_partlog_append(log, w.buf, w.len, 1700000000000, info);
    fr_writer_free(&w);
    return rc;
}

/* Reads the whole log from 0 and checks it is n_batches batches of n records, offsets contiguous. */
static int64_t read_all(fr_partlog_t *log) {
    int64_t off = 0, end = fr_partlog_end_offset(log);
    while (off < end) {
        fr_read_result_t rr;
        if (fr_partlog_read(log, off, 1 << 20, &rr) != 0 || rr.len == 0)
            return -1;
        uint8_t *buf = malloc(rr.len);
        int ok = pread(rr.fd, buf, rr.len, rr.file_position) == (ssize_t)rr.len;
        fr_batch_iter_t it;
        fr_batch_header_t h;
        const uint8_t *batch;
        size_t blen;
        fr_batch_iter_init(&it, buf, rr.len);
        while (ok && fr_batch_iter_next(&it, &h, &batch, &blen)) {
            const char *why;
            if (h.base_offset != off ||
                fr_batch_validate(batch, blen, &h, FR_BATCH_V_CLIENT | FR_BATCH_V_RECORDS, &why) != 0)
                ok = 0;
            off = fr_batch_last_offset(&h) + 1;
        }
        ok = ok && !it.err;
        free(buf);
        rr.unref(rr.ref);
        if (!ok)
            return -1;
    }
    return off;
}

FR_TEST(failed_and_short_writes_change_nothing) {
    char tmp[] = "/tmp/fr-write-errors-XXXXXX";
    char dir[256];
    FR_CHECK(mkdtemp(tmp) != NULL);
    snprintf(dir, sizeof(dir), "%s/t-0", tmp);
    fr_log_config_t cfg;
    fr_log_config_defaults(&cfg);
    cfg.segment_bytes = 6000;
    cfg.index_interval_bytes = 300;
    fr_partlog_t *log;
    fr_append_info_t info;
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0);

    int32_t seq = 0;
    for (int i = 0; i < 5; i++, seq += 2)
        FR_CHECK_EQ_INT(append_idempotent(log, seq, 2, 200, &info), 0);
    int64_t leo = fr_partlog_end_offset(log), size = fr_partlog_size_bytes(log);
    int64_t base = 0, fsize = file_size(dir, base);
    FR_CHECK_EQ_INT(leo, 10);
    FR_CHECK(fsize > 0);

    /* A short write: the batch is ~450 bytes, only 100 fit. */
    limit_file_size((rlim_t)fsize + 100);
    FR_CHECK_EQ_INT(append_idempotent(log, seq, 2, 200, &info), FR_ERR_KAFKA_STORAGE_ERROR);
    FR_CHECK_EQ_INT(file_size(dir, base), fsize); /* cut back: no torn tail */
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    FR_CHECK_EQ_INT(fr_partlog_size_bytes(log), size);
    /* Nothing fits at all. */
    limit_file_size((rlim_t)fsize);
    FR_CHECK_EQ_INT(append_idempotent(log, seq, 2, 200, &info), FR_ERR_KAFKA_STORAGE_ERROR);
    FR_CHECK_EQ_INT(file_size(dir, base), fsize);
    FR_CHECK_EQ_INT(read_all(log), leo);

    /* Space returns: the same sequence is new to the producer state (not a
     * duplicate, not out of order), and lands at the old log end. */
    unlimit_file_size();
    FR_CHECK_EQ_INT(append_idempotent(log, seq, 2, 200, &info), 0);
    FR_CHECK_EQ_INT(info.duplicate, 0);
    FR_CHECK_EQ_INT(info.base_offset, leo);
    seq += 2;

    /* Fill the segment close to segment_bytes, then fail the roll's writes:
     * index files and snapshot cannot be written, the new segment stays empty. */
    while (fr_partlog_size_bytes(log) + 500 < cfg.segment_bytes) {
        FR_CHECK_EQ_INT(append_idempotent(log, seq, 2, 200, &info), 0);
        seq += 2;
    }
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 1);
    leo = fr_partlog_end_offset(log);
    size = fr_partlog_size_bytes(log);
    limit_file_size(16); /* index files (and the snapshot) are larger than this */
    for (int i = 0; i < 3; i++)
        FR_CHECK_EQ_INT(append_idempotent(log, seq, 2, 1000, &info), FR_ERR_KAFKA_STORAGE_ERROR);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    FR_CHECK_EQ_INT(fr_partlog_size_bytes(log), size);
    FR_CHECK_EQ_INT(fr_partlog_segment_count(log), 2); /* rolled once, to an empty segment */
    FR_CHECK(!file_exists(dir, 0, ".index"));          /* no half-written index left behind */
    FR_CHECK(!file_exists(dir, 0, ".timeindex"));
    FR_CHECK_EQ_INT(file_size(dir, leo), 0);
    FR_CHECK_EQ_INT(read_all(log), leo);
    unlimit_file_size();
    FR_CHECK_EQ_INT(append_idempotent(log, seq, 2, 1000, &info), 0);
    FR_CHECK_EQ_INT(info.base_offset, leo);
    seq += 2;
    leo = fr_partlog_end_offset(log);
    FR_CHECK_EQ_INT(read_all(log), leo);

    /* Close while writes fail (indexes, snapshot): reported, not fatal; the reopen rebuilds. */
    limit_file_size(16);
    fr_partlog_close(log);
    unlimit_file_size();
    FR_CHECK_EQ_INT(fr_partlog_open(dir, &cfg, &log), 0);
    FR_CHECK_EQ_INT(fr_partlog_end_offset(log), leo);
    FR_CHECK_EQ_INT(read_all(log), leo);
    FR_CHECK_EQ_INT(append_idempotent(log, seq, 2, 200, &info), 0); /* producer state recovered */
    FR_CHECK_EQ_INT(info.base_offset, leo);
    fr_partlog_close(log);
    fr_rmtree(tmp);
}

int main(void) {
    signal(SIGXFSZ, SIG_IGN); /* writes past RLIMIT_FSIZE fail with EFBIG instead of killing us */
    if (getrlimit(RLIMIT_FSIZE, &saved_limit) < 0) {
        perror("getrlimit");
        return 1;
    }
    FR_RUN(failed_and_short_writes_change_nothing);
    return fr_test_done();
}
