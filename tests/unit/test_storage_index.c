/* Storage: the offset index and the time index: lookups at, between, before
 * and after entries, and writing, loading and refusing damaged index files. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fr_buf.h"
#include "fr_err.h"
#include "fr_test.h"
#include "offset_index.h"
#include "time_index.h"

FR_TEST(offset_index_lookups) {
    fr_offset_index_t idx;
    int64_t off, pos;
    fr_offset_index_init(&idx, 100, 8 * 4);
    FR_CHECK_EQ_INT(fr_offset_index_lookup(&idx, 150, &off, &pos), -1);
    FR_CHECK_EQ_INT(off, 100);
    FR_CHECK_EQ_INT(pos, 0);
    FR_CHECK_EQ_INT(fr_offset_index_append(&idx, 110, 1000), 0);
    FR_CHECK_EQ_INT(fr_offset_index_append(&idx, 120, 2000), 0);
    FR_CHECK_EQ_INT(fr_offset_index_append(&idx, 130, 3000), 0);
    FR_CHECK_EQ_INT(fr_offset_index_append(&idx, 130, 4000), FR_ERR_INVALID_ARG); /* same offset */
    FR_CHECK_EQ_INT(fr_offset_index_append(&idx, 140, 3000), FR_ERR_INVALID_ARG); /* same position */
    FR_CHECK_EQ_INT(fr_offset_index_append(&idx, 99, 5000), FR_ERR_INVALID_ARG);  /* below base */
    /* before the segment, before the first entry */
    FR_CHECK_EQ_INT(fr_offset_index_lookup(&idx, 50, &off, &pos), -1);
    FR_CHECK_EQ_INT(pos, 0);
    FR_CHECK_EQ_INT(fr_offset_index_lookup(&idx, 109, &off, &pos), -1);
    FR_CHECK_EQ_INT(off, 100);
    /* exact hits */
    FR_CHECK_EQ_INT(fr_offset_index_lookup(&idx, 110, &off, &pos), 0);
    FR_CHECK_EQ_INT(pos, 1000);
    FR_CHECK_EQ_INT(fr_offset_index_lookup(&idx, 130, &off, &pos), 2);
    FR_CHECK_EQ_INT(off, 130);
    FR_CHECK_EQ_INT(pos, 3000);
    /* between and after */
    FR_CHECK_EQ_INT(fr_offset_index_lookup(&idx, 119, &off, &pos), 0);
    FR_CHECK_EQ_INT(fr_offset_index_lookup(&idx, 121, &off, &pos), 1);
    FR_CHECK_EQ_INT(off, 120);
    FR_CHECK_EQ_INT(fr_offset_index_lookup(&idx, 1000000, &off, &pos), 2);
    /* by position */
    FR_CHECK_EQ_INT(fr_offset_index_lookup_position(&idx, 999, &off, &pos), -1);
    FR_CHECK_EQ_INT(pos, 0);
    FR_CHECK_EQ_INT(fr_offset_index_lookup_position(&idx, 2000, &off, &pos), 1);
    FR_CHECK_EQ_INT(fr_offset_index_lookup_position(&idx, 2999, &off, &pos), 1);
    FR_CHECK_EQ_INT(fr_offset_index_lookup_position(&idx, 1 << 30, &off, &pos), 2);
    /* full at 4 entries */
    FR_CHECK_EQ_INT(fr_offset_index_is_full(&idx), 0);
    FR_CHECK_EQ_INT(fr_offset_index_append(&idx, 140, 4000), 0);
    FR_CHECK_EQ_INT(fr_offset_index_is_full(&idx), 1);
    FR_CHECK_EQ_INT(fr_offset_index_append(&idx, 150, 5000), FR_ERR_INVALID_ARG);

    /* file round trip and checks */
    char path[] = "/tmp/fr-index-XXXXXX";
    int fd = mkstemp(path);
    const char *why = NULL;
    size_t bad;
    FR_CHECK_EQ_INT(fr_offset_index_write(&idx, fd), 0);
    fr_offset_index_t back;
    fr_offset_index_init(&back, 100, 8 * 4);
    FR_CHECK_EQ_INT(fr_offset_index_load(&back, fd, &why), 0);
    FR_CHECK_EQ_INT(back.n, 4);
    FR_CHECK(memcmp(back.entries, idx.entries, 32) == 0);
    FR_CHECK_EQ_INT(fr_offset_index_check(&back, 5000, 200, &why, &bad), 0);
    FR_CHECK_EQ_INT(fr_offset_index_check(&back, 4000, 200, &why, &bad), FR_ERR_CORRUPT); /* position */
    FR_CHECK_EQ_INT(bad, 3);
    FR_CHECK_EQ_INT(fr_offset_index_check(&back, 5000, 140, &why, &bad), FR_ERR_CORRUPT); /* offset */
    fr_put_be32(back.entries + 8, 5); /* entry 1: relative offset 5 < entry 0's 10 */
    FR_CHECK_EQ_INT(fr_offset_index_check(&back, 5000, 200, &why, &bad), FR_ERR_CORRUPT);
    FR_CHECK_EQ_INT(bad, 1);
    FR_CHECK_EQ_INT(ftruncate(fd, 31), 0);
    FR_CHECK_EQ_INT(fr_offset_index_load(&back, fd, &why), FR_ERR_CORRUPT);
    close(fd);
    unlink(path);
    fr_offset_index_free(&back);
    fr_offset_index_free(&idx);
}

FR_TEST(time_index_lookups) {
    fr_time_index_t idx;
    int64_t ts, off;
    fr_time_index_init(&idx, 1000, 12 * 4); /* full at 3 entries: the last slot is the final entry's */
    FR_CHECK_EQ_INT(fr_time_index_lookup(&idx, 5000, &ts, &off), -1);
    FR_CHECK_EQ_INT(off, 1000);
    FR_CHECK_EQ_INT(ts, -1);
    FR_CHECK_EQ_INT(fr_time_index_maybe_append(&idx, 100, 1005, 0), 0);
    FR_CHECK_EQ_INT(fr_time_index_maybe_append(&idx, 100, 1006, 0), 0); /* not greater: ignored */
    FR_CHECK_EQ_INT(fr_time_index_maybe_append(&idx, 90, 1007, 0), 0);  /* smaller: ignored */
    FR_CHECK_EQ_INT(fr_time_index_maybe_append(&idx, -1, 1007, 0), 0);  /* no timestamp: ignored */
    FR_CHECK_EQ_INT(idx.n, 1);
    FR_CHECK_EQ_INT(fr_time_index_maybe_append(&idx, 200, 1004, 0), FR_ERR_INVALID_ARG); /* offset back */
    FR_CHECK_EQ_INT(fr_time_index_maybe_append(&idx, 200, 1010, 0), 0);
    FR_CHECK_EQ_INT(fr_time_index_maybe_append(&idx, 300, 1020, 0), 0);
    FR_CHECK_EQ_INT(fr_time_index_is_full(&idx), 1);
    FR_CHECK_EQ_INT(fr_time_index_maybe_append(&idx, 400, 1030, 0), FR_ERR_INVALID_ARG);
    FR_CHECK_EQ_INT(fr_time_index_maybe_append(&idx, 400, 1030, 1), 0); /* the final entry */
    FR_CHECK_EQ_INT(idx.n, 4);
    /* before the first entry */
    FR_CHECK_EQ_INT(fr_time_index_lookup(&idx, 99, &ts, &off), -1);
    FR_CHECK_EQ_INT(off, 1000);
    /* exact and between */
    FR_CHECK_EQ_INT(fr_time_index_lookup(&idx, 100, &ts, &off), 0);
    FR_CHECK_EQ_INT(off, 1005);
    FR_CHECK_EQ_INT(fr_time_index_lookup(&idx, 250, &ts, &off), 1);
    FR_CHECK_EQ_INT(ts, 200);
    FR_CHECK_EQ_INT(off, 1010);
    FR_CHECK_EQ_INT(fr_time_index_lookup(&idx, 300, &ts, &off), 2);
    /* after the last */
    FR_CHECK_EQ_INT(fr_time_index_lookup(&idx, 1 << 30, &ts, &off), 3);
    FR_CHECK_EQ_INT(off, 1030);
    fr_time_index_last(&idx, &ts, &off);
    FR_CHECK_EQ_INT(ts, 400);

    char path[] = "/tmp/fr-tindex-XXXXXX";
    int fd = mkstemp(path);
    const char *why = NULL;
    size_t bad;
    FR_CHECK_EQ_INT(fr_time_index_write(&idx, fd), 0);
    fr_time_index_t back;
    fr_time_index_init(&back, 1000, 12 * 4);
    FR_CHECK_EQ_INT(fr_time_index_load(&back, fd, &why), 0);
    FR_CHECK_EQ_INT(back.n, 4);
    FR_CHECK_EQ_INT(fr_time_index_check(&back, 1031, &why, &bad), 0);
    FR_CHECK_EQ_INT(fr_time_index_check(&back, 1030, &why, &bad), FR_ERR_CORRUPT);
    fr_put_be64(back.entries + 12, 50); /* entry 1 goes back in time */
    FR_CHECK_EQ_INT(fr_time_index_check(&back, 1031, &why, &bad), FR_ERR_CORRUPT);
    FR_CHECK_EQ_INT(bad, 1);
    FR_CHECK_EQ_INT(ftruncate(fd, 13), 0);
    FR_CHECK_EQ_INT(fr_time_index_load(&back, fd, &why), FR_ERR_CORRUPT);
    close(fd);
    unlink(path);
    fr_time_index_free(&back);
    fr_time_index_free(&idx);
}

int main(void) {
    FR_RUN(offset_index_lookups);
    FR_RUN(time_index_lookups);
    return fr_test_done();
}
