/*
 * offset_checkpoint.c — Kafka's offset checkpoint file format, written
 * atomically.  See offset_checkpoint.h.
 */
#include "offset_checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_fs.h"
#include "index_file.h"

#define CHECKPOINT_VERSION 0
#define MAX_CHECKPOINT_BYTES ((size_t)256 << 20)

int fr_offset_checkpoint_format(const fr_offset_checkpoint_entry_t *entries, size_t n, char **out,
                                size_t *len) {
    size_t cap = 64;
    for (size_t i = 0; i < n; i++)
        cap += strlen(entries[i].topic) + 2 * 21 + 3;
    char *buf = malloc(cap);
    if (!buf)
        return FR_ERR_NOMEM;
    size_t pos = (size_t)snprintf(buf, cap, "%d\n%zu\n", CHECKPOINT_VERSION, n);
    for (size_t i = 0; i < n; i++)
        pos += (size_t)snprintf(buf + pos, cap - pos, "%s %" PRId32 " %" PRId64 "\n", entries[i].topic,
                                entries[i].partition, entries[i].offset);
    *out = buf;
    *len = pos;
    return 0;
}

int fr_offset_checkpoint_write_text(const char *path, const char *text, size_t len) {
    return fr_file_replace(path, text, len, FR_FS_SYNC_DIR) ? FR_ERR_IO : 0;
}

/* Parses a decimal integer in [min, max] spanning exactly s[0..n). */
static int parse_num(const char *s, size_t n, int64_t min, int64_t max, int64_t *out) {
    int neg = n > 0 && s[0] == '-';
    size_t i = (size_t)neg;
    int64_t v = 0;
    if (i == n || n - i > 19)
        return -1;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (INT64_MAX - (s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    v = neg ? -v : v;
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* The next line of buf[*pos..len) without its '\n' (a missing final '\n' is allowed). */
static int next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *n) {
    if (*pos >= len)
        return 0;
    const char *s = buf + *pos, *nl = memchr(s, '\n', len - *pos);
    *line = s;
    *n = nl ? (size_t)(nl - s) : len - *pos;
    *pos += *n + (nl ? 1 : 0);
    return 1;
}

int fr_offset_checkpoint_parse(const char *buf, size_t len,
                               int (*fn)(void *ctx, const char *topic, int32_t partition, int64_t offset),
                               void *ctx, char *err, size_t errlen) {
    const char *line;
    size_t pos = 0, n, lineno = 0;
    int64_t version, count = -1, seen = 0;
    const char *why = NULL;
    int rc = 0;

    lineno = 1;
    if (!next_line(buf, len, &pos, &line, &n) || parse_num(line, n, INT32_MIN, INT32_MAX, &version))
        why = "the first line is not a version number";
    else if (version != CHECKPOINT_VERSION)
        why = "unknown version";
    else if (lineno = 2, !next_line(buf, len, &pos, &line, &n) || parse_num(line, n, 0, INT32_MAX, &count))
        why = "the second line is not an entry count";
    while (!why && rc == 0 && next_line(buf, len, &pos, &line, &n)) {
        lineno++;
        if (n == 0 && pos >= len)
            break;
        const char *sp1 = memchr(line, ' ', n);
        const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line)) : NULL;
        int64_t part, off;
        if (!sp2 || sp1 == line || parse_num(sp1 + 1, (size_t)(sp2 - sp1 - 1), 0, INT32_MAX, &part) ||
            parse_num(sp2 + 1, n - (size_t)(sp2 + 1 - line), INT64_MIN, INT64_MAX, &off)) {
            why = "malformed entry (want \"<topic> <partition> <offset>\")";
            break;
        }
        if (++seen > count) {
            why = "more entries than the count says";
            break;
        }
        char topic[256];
        size_t tl = (size_t)(sp1 - line);
        if (tl >= sizeof(topic) || memchr(line, '\0', tl)) {
            why = "bad topic name";
            break;
        }
        memcpy(topic, line, tl);
        topic[tl] = '\0';
        rc = fn(ctx, topic, (int32_t)part, off);
    }
    if (!why && rc == 0 && seen != count) {
        why = "fewer entries than the count says";
        lineno = 2;
    }
    if (why) {
        snprintf(err, errlen, "line %zu: %s", lineno, why);
        return FR_ERR_CORRUPT;
    }
    return rc;
}

int fr_offset_checkpoint_read(const char *path,
                              int (*fn)(void *ctx, const char *topic, int32_t partition, int64_t offset),
                              void *ctx, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? FR_ERR_NOT_FOUND : FR_ERR_IO;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = fr_index_read_file(fd, MAX_CHECKPOINT_BYTES, &data, &len);
    close(fd);
    if (rc) {
        snprintf(err, errlen, "%s: cannot read: %s", path, rc == FR_ERR_CORRUPT ? "too large" : strerror(errno));
        return rc;
    }
    char why[256];
    rc = fr_offset_checkpoint_parse((const char *)data, len, fn, ctx, why, sizeof(why));
    free(data);
    if (rc == FR_ERR_CORRUPT)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}
