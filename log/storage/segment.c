/*
 * segment.c — one segment: its files, per-batch index bookkeeping, and the
 * header-only scans that locate batches for fetch and ListOffsets.
 * See segment.h.
 */
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_logging.h"
#include "index_file.h"

#define COMPONENT "storage"

/* ---- refcounted file ---- */

fr_segfile_t *fr_segfile_new(int fd) {
    fr_segfile_t *f = malloc(sizeof(*f));
    if (!f) {
        close(fd);
        return NULL;
    }
    f->fd = fd;
    atomic_init(&f->refs, 1);
    return f;
}

void fr_segfile_ref(fr_segfile_t *f) { atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed); }

void fr_segfile_unref(void *ref) {
    fr_segfile_t *f = ref;
    if (f && atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) {
        close(f->fd);
        free(f);
    }
}

/* ---- names ---- */

const char *const fr_segment_file_suffixes[FR_SEGMENT_FILES] = {".log", ".index", ".timeindex"};

void fr_segment_filename(char *buf, int64_t base_offset, const char *suffix) {
    snprintf(buf, FR_SEGMENT_FILENAME_MAX, "%020" PRId64 "%s", base_offset, suffix);
}

int fr_segment_parse_filename(const char *name, const char *suffix, int64_t *base) {
    int64_t v = 0;
    for (int i = 0; i < FR_SEGMENT_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        if (v > (INT64_MAX - (name[i] - '0')) / 10)
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    if (strcmp(name + FR_SEGMENT_NAME_DIGITS, suffix) != 0)
        return -1;
    *base = v;
    return 0;
}

/* ---- life cycle ---- */

int fr_segment_adopt(int fd, int64_t base_offset, int64_t index_max_bytes, fr_segment_t **out) {
    fr_segment_t *seg = calloc(1, sizeof(*seg));
    if (!seg) {
        close(fd);
        return FR_ERR_NOMEM;
    }
    seg->log = fr_segfile_new(fd);
    if (!seg->log) {
        close(fd);
        free(seg);
        return FR_ERR_NOMEM;
    }
    seg->base_offset = base_offset;
    seg->next_offset = base_offset;
    seg->max_timestamp = -1;
    seg->offset_of_max_timestamp = -1;
    seg->roll_base_ms = -1;
    fr_offset_index_init(&seg->oindex, base_offset, index_max_bytes);
    fr_time_index_init(&seg->tindex, base_offset, index_max_bytes);
    fr_segment_filename(seg->name, base_offset, ".log");
    *out = seg;
    return 0;
}

int fr_segment_create(int dirfd, int64_t base_offset, int64_t index_max_bytes, fr_segment_t **out) {
    char name[FR_SEGMENT_FILENAME_MAX];
    fr_segment_filename(name, base_offset, ".log");
    int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? FR_ERR_EXISTS : FR_ERR_IO;
    return fr_segment_adopt(fd, base_offset, index_max_bytes, out);
}

int fr_segment_open(int dirfd, int64_t base_offset, int64_t index_max_bytes, fr_segment_t **out) {
    char name[FR_SEGMENT_FILENAME_MAX];
    struct stat st;
    fr_segment_filename(name, base_offset, ".log");
    int fd = openat(dirfd, name, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return FR_ERR_IO;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return FR_ERR_IO;
    }
    int rc = fr_segment_adopt(fd, base_offset, index_max_bytes, out);
    if (rc == 0)
        (*out)->size = (*out)->synced_size = (*out)->cold_end = st.st_size;
    return rc;
}

void fr_segment_free(fr_segment_t *seg) {
    if (!seg)
        return;
    fr_offset_index_free(&seg->oindex);
    fr_time_index_free(&seg->tindex);
    fr_segfile_unref(seg->log);
    free(seg->recent);
    free(seg);
}

/* ---- bookkeeping ---- */

/* A missing ring (allocation failed) only means lookups take the index path. */
static void remember_recent(fr_segment_t *seg, int64_t position, const fr_batch_header_t *h) {
    if (!seg->recent && !(seg->recent = calloc(FR_SEGMENT_RECENT, sizeof(*seg->recent))))
        return;
    seg->recent[seg->recent_next] = (fr_segment_recent_t){.position = position, .h = *h};
    seg->recent_next = (seg->recent_next + 1) % FR_SEGMENT_RECENT;
    if (seg->recent_len < FR_SEGMENT_RECENT)
        seg->recent_len++;
}

static void forget_recent(fr_segment_t *seg) {
    free(seg->recent);
    seg->recent = NULL;
    seg->recent_len = seg->recent_next = 0;
}

/* The first remembered batch whose last offset is >= offset; 0 when the ring
 * covers offset, FR_ERR_NOT_FOUND when offset is older than the ring. */
static int find_recent(const fr_segment_t *seg, int64_t offset, int64_t *position, fr_batch_header_t *h) {
    if (!seg->recent_len)
        return FR_ERR_NOT_FOUND;
    unsigned first = (seg->recent_next + FR_SEGMENT_RECENT - seg->recent_len) % FR_SEGMENT_RECENT;
    if (offset < seg->recent[first].h.base_offset)
        return FR_ERR_NOT_FOUND;
    for (unsigned i = 0; i < seg->recent_len; i++) {
        const fr_segment_recent_t *r = &seg->recent[(first + i) % FR_SEGMENT_RECENT];
        if (fr_batch_last_offset(&r->h) >= offset) {
            *position = r->position;
            *h = r->h;
            return 0;
        }
    }
    return FR_ERR_NOT_FOUND;
}

void fr_segment_track_batch(fr_segment_t *seg, int64_t position, const fr_batch_header_t *h,
                            int64_t index_interval_bytes) {
    int64_t last = fr_batch_last_offset(h);
    if (h->max_timestamp > seg->max_timestamp) {
        seg->max_timestamp = h->max_timestamp;
        seg->offset_of_max_timestamp = last;
    }
    if (seg->bytes_since_index > index_interval_bytes) {
        /* failures (full, out of range) leave a sparser index, which is still correct */
        fr_offset_index_append(&seg->oindex, last, position);
        fr_time_index_maybe_append(&seg->tindex, seg->max_timestamp, seg->offset_of_max_timestamp, 0);
        seg->bytes_since_index = 0;
    }
    seg->bytes_since_index += fr_batch_size(h);
    seg->next_offset = last + 1;
    seg->size = position + fr_batch_size(h);
    remember_recent(seg, position, h);
}

void fr_segment_reset(fr_segment_t *seg) {
    fr_offset_index_clear(&seg->oindex);
    fr_time_index_clear(&seg->tindex);
    seg->next_offset = seg->base_offset;
    seg->size = 0;
    seg->max_timestamp = -1;
    seg->offset_of_max_timestamp = -1;
    seg->bytes_since_index = 0;
    forget_recent(seg);
}

/* ---- reserved blocks ---- */

#define RESERVE_FROM (1LL << 20)
#define RESERVE_MAX (32LL << 20)

void fr_segment_reserve(fr_segment_t *seg, int64_t end, int64_t segment_bytes) {
    if (end <= seg->reserved_end || end < RESERVE_FROM)
        return;
    int64_t chunk = end / 4;
    chunk = chunk < RESERVE_FROM ? RESERVE_FROM : chunk > RESERVE_MAX ? RESERVE_MAX : chunk;
    int64_t from = seg->reserved_end > seg->size ? seg->reserved_end : seg->size;
    int64_t to = end + chunk;
    if (to > segment_bytes)
        to = segment_bytes > end ? segment_bytes : end;
    if (fallocate(seg->log->fd, FALLOC_FL_KEEP_SIZE, from, to - from) < 0) {
        int err = errno;
        fr_debug(COMPONENT, "%s: cannot reserve %" PRId64 " bytes: %s", seg->name, to - from, strerror(err));
        if (err == EOPNOTSUPP || err == ENOSYS)
            to = INT64_MAX; /* this file system cannot: do not ask again for this segment */
    }
    seg->reserved_end = to; /* after a failure too: not retried on every append */
}

void fr_segment_unreserve(fr_segment_t *seg) {
    struct stat st;
    if (fstat(seg->log->fd, &st) < 0)
        return;
    /* allocated beyond the last file system block holding data: reserved blocks
     * (or an extent tree block, which st_blocks counts too: the cut is then a no-op) */
    if ((int64_t)st.st_blocks * 512 > ((st.st_size + st.st_blksize - 1) / st.st_blksize) * st.st_blksize) {
        if (ftruncate(seg->log->fd, st.st_size) < 0) /* cutting at the size frees the blocks past it */
            fr_warn(COMPONENT, "%s: cannot give back the reserved blocks: %s", seg->name, strerror(errno));
        /* the cut stamps the file, whose time is the segment's lastModified: put it back */
        const struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (futimens(seg->log->fd, times) < 0)
            fr_warn(COMPONENT, "%s: cannot keep the modification time: %s", seg->name, strerror(errno));
    }
    seg->reserved_end = 0;
}

int64_t fr_segment_mtime_ms(const fr_segment_t *seg) {
    struct stat st;
    if (fstat(seg->log->fd, &st) < 0)
        return -1;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

int64_t fr_segment_largest_timestamp(const fr_segment_t *seg) {
    if (seg->max_timestamp >= 0)
        return seg->max_timestamp;
    int64_t mtime = fr_segment_mtime_ms(seg);
    return mtime >= 0 ? mtime : INT64_MAX;
}

void fr_segment_seal(fr_segment_t *seg) {
    if (seg->max_timestamp >= 0)
        fr_time_index_maybe_append(&seg->tindex, seg->max_timestamp, seg->offset_of_max_timestamp, 1);
    forget_recent(seg);
    fr_segment_unreserve(seg);
}

static int write_index_file(int dirfd, int64_t base, const char *suffix, const void *idx, int is_time) {
    char name[FR_SEGMENT_FILENAME_MAX];
    fr_segment_filename(name, base, suffix);
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return FR_ERR_IO;
    int rc = is_time ? fr_time_index_write(idx, fd) : fr_offset_index_write(idx, fd);
    if (close(fd) < 0 && !rc)
        rc = FR_ERR_IO;
    return rc;
}

int fr_segment_write_indexes(fr_segment_t *seg, int dirfd) {
    int rc = write_index_file(dirfd, seg->base_offset, ".index", &seg->oindex, 0);
    if (!rc)
        rc = write_index_file(dirfd, seg->base_offset, ".timeindex", &seg->tindex, 1);
    if (rc) {
        /* a half-written index (a full disk) is worse than none: open rebuilds missing ones */
        int err = errno;
        char name[FR_SEGMENT_FILENAME_MAX];
        fr_segment_filename(name, seg->base_offset, ".index");
        unlinkat(dirfd, name, 0);
        fr_segment_filename(name, seg->base_offset, ".timeindex");
        unlinkat(dirfd, name, 0);
        errno = err;
    }
    seg->index_unsynced = 1;
    return rc;
}

/* ---- header scans ---- */

int fr_segment_read_header(const fr_segment_t *seg, int64_t position, fr_batch_header_t *h,
                           const char **why) {
    return fr_batch_header_pread(seg->log->fd, position, seg->size, h, why);
}

int fr_batch_header_pread(int fd, int64_t position, int64_t end, fr_batch_header_t *h, const char **why) {
    uint8_t buf[FR_BATCH_HEADER_SIZE];
    *why = NULL;
    if (position < 0 || position + FR_BATCH_HEADER_SIZE > end) {
        *why = "batch header past the end of the segment";
        return FR_ERR_CORRUPT;
    }
    if (fr_pread_full(fd, buf, sizeof(buf), position)) {
        *why = errno ? strerror(errno) : "file shorter than the segment";
        return errno ? FR_ERR_IO : FR_ERR_CORRUPT;
    }
    fr_batch_parse_header(buf, sizeof(buf), h);
    if (h->magic != FR_BATCH_MAGIC_V2)
        *why = "magic is not 2";
    else if (h->batch_length < FR_BATCH_MIN_LENGTH)
        *why = "batch length smaller than a batch header";
    else if (position + fr_batch_size(h) > end)
        *why = "batch runs past the end of the segment";
    return *why ? FR_ERR_CORRUPT : 0;
}

static void report(const fr_segment_t *seg, const char *dir, int64_t pos, const char *why,
                   const char *action) {
    fr_error(COMPONENT, "%s/%s: bad batch header at position %" PRId64 ": %s; %s", dir, seg->name,
             pos, why ? why : "?", action);
}

/*
 * Reads the header at p; when p came from an index entry (entry >= 0), also
 * checks that the batch there is the one the entry names (its last offset).
 */
static int header_at(const fr_segment_t *seg, const char *dir, int64_t p, long entry,
                     int64_t entry_offset, fr_batch_header_t *h, const char *doing) {
    const char *why;
    int rc = fr_segment_read_header(seg, p, h, &why);
    if (rc == 0 && entry >= 0 && fr_batch_last_offset(h) != entry_offset) {
        why = "offset index entry does not match the batch at its position";
        rc = FR_ERR_CORRUPT;
    }
    if (rc)
        report(seg, dir, p, why, doing);
    return rc;
}

/* Scans headers from start for the first batch whose last offset >= offset. */
static int scan_offset(const fr_segment_t *seg, const char *dir, int64_t start, long entry,
                       int64_t entry_offset, int64_t offset, int64_t *position,
                       fr_batch_header_t *h) {
    for (int64_t p = start; p < seg->size; p += fr_batch_size(h), entry = -1) {
        int rc = header_at(seg, dir, p, entry, entry_offset, h, "looking up an offset");
        if (rc)
            return rc;
        if (fr_batch_last_offset(h) >= offset) {
            *position = p;
            return 0;
        }
    }
    return FR_ERR_NOT_FOUND;
}

int64_t fr_segment_position_hint(const fr_segment_t *seg, int64_t offset) {
    int64_t position, entry_offset;
    fr_batch_header_t h;
    if (find_recent(seg, offset, &position, &h) == 0)
        return position;
    if (fr_offset_index_lookup(&seg->oindex, offset, &entry_offset, &position) < 0)
        return 0;
    return position;
}

int fr_segment_find(const fr_segment_t *seg, const char *dir, int64_t offset, int64_t *position,
                    fr_batch_header_t *h) {
    if (find_recent(seg, offset, position, h) == 0)
        return 0;
    int64_t eoff, epos;
    long entry = fr_offset_index_lookup(&seg->oindex, offset, &eoff, &epos);
    int rc = scan_offset(seg, dir, epos, entry, eoff, offset, position, h);
    if (rc != 0 && rc != FR_ERR_NOT_FOUND && entry >= 0) /* a bad index entry: go the long way */
        rc = scan_offset(seg, dir, 0, -1, 0, offset, position, h);
    return rc;
}

/* From a batch boundary p, adds whole batches while they end <= limit. */
static int walk_to_limit(const fr_segment_t *seg, const char *dir, int64_t p, long entry,
                         int64_t entry_offset, int64_t limit, int64_t *end) {
    fr_batch_header_t h;
    for (; p < seg->size; p += fr_batch_size(&h), entry = -1) {
        int rc = header_at(seg, dir, p, entry, entry_offset, &h, "sizing a fetch");
        if (rc)
            return rc;
        if (p + fr_batch_size(&h) > limit)
            break;
    }
    *end = p;
    return 0;
}

int fr_segment_fetch_end(const fr_segment_t *seg, const char *dir, int64_t start,
                         int64_t first_size, int64_t max_bytes, int64_t *end) {
    int64_t limit = start + (max_bytes > 0 ? max_bytes : 0);
    int64_t first_end = start + first_size;
    if (seg->size <= limit) {
        *end = seg->size;
        return 0;
    }
    if (first_end >= limit) {
        *end = first_end;
        return 0;
    }
    /* Index positions are batch starts: jump to the last one that fits. */
    int64_t eoff, p;
    long entry = fr_offset_index_lookup_position(&seg->oindex, limit, &eoff, &p);
    if (p < first_end) {
        p = first_end;
        entry = -1;
    }
    int rc = walk_to_limit(seg, dir, p, entry, eoff, limit, end);
    if (rc && entry >= 0)
        rc = walk_to_limit(seg, dir, first_end, -1, 0, limit, end);
    if (rc)
        *end = first_end; /* the first batch alone is known good */
    return 0;
}

/*
 * Scans for the first batch at or after offset from whose max timestamp is
 * >= ts.  When the start came from a time index entry (t_ts >= 0, naming
 * offset t_off), the scan also holds the entry to its promise: no batch
 * before the one holding t_off reaches ts, and that batch's max timestamp is
 * t_ts.
 */
static int scan_time(const fr_segment_t *seg, const char *dir, const fr_segment_time_start_t *st, int64_t ts,
                     int64_t from, int64_t *position, fr_batch_header_t *h) {
    int reached = st->t_ts < 0;
    long entry = st->entry;
    for (int64_t p = st->position; p < seg->size; p += fr_batch_size(h), entry = -1) {
        int rc = header_at(seg, dir, p, entry, st->entry_offset, h, "looking up a timestamp");
        if (rc)
            return rc;
        if (!reached) {
            const char *why = NULL;
            if (h->base_offset <= st->t_off && st->t_off <= fr_batch_last_offset(h)) {
                if (h->max_timestamp != st->t_ts)
                    why = "time index entry does not match the max timestamp of its batch";
                reached = 1;
            } else if (h->base_offset > st->t_off) {
                why = "time index entry names an offset that is not in the segment";
            } else if (h->max_timestamp >= ts) {
                why = "a batch before the time index entry has a later timestamp";
            }
            if (why) {
                report(seg, dir, p, why, "looking up a timestamp");
                return FR_ERR_CORRUPT;
            }
        }
        if (h->max_timestamp >= ts && fr_batch_last_offset(h) >= from) {
            *position = p;
            return 0;
        }
    }
    return FR_ERR_NOT_FOUND;
}

void fr_segment_time_start(const fr_segment_t *seg, int64_t ts, int64_t from, fr_segment_time_start_t *st) {
    int64_t ets, eoff, ioff, pos;
    long tentry = fr_time_index_lookup(&seg->tindex, ts, &ets, &eoff);
    long entry = fr_offset_index_lookup(&seg->oindex, eoff, &ioff, &pos);
    *st = (fr_segment_time_start_t){pos, entry, ioff, tentry >= 0 ? ets : -1, eoff};
    /* Batches ending before from do not count: start at from's entry when that is further on. */
    int64_t foff, fpos;
    long fentry = fr_offset_index_lookup(&seg->oindex, from, &foff, &fpos);
    if (fentry >= 0 && fpos > pos)
        *st = (fr_segment_time_start_t){fpos, fentry, foff, -1, -1};
}

int fr_segment_scan_time(const fr_segment_t *seg, const char *dir, const fr_segment_time_start_t *st, int64_t ts,
                         int64_t from, int64_t *position, fr_batch_header_t *h) {
    int rc = scan_time(seg, dir, st, ts, from, position, h);
    if (rc != 0 && rc != FR_ERR_NOT_FOUND && (st->entry >= 0 || st->t_ts >= 0)) {
        fr_segment_time_start_t whole = {0, -1, 0, -1, -1}; /* a bad index entry: go the long way */
        rc = scan_time(seg, dir, &whole, ts, from, position, h);
    }
    return rc;
}

void fr_segment_snapshot(const fr_segment_t *seg, fr_segment_t *copy) {
    memset(copy, 0, sizeof(*copy));
    copy->base_offset = seg->base_offset;
    copy->next_offset = seg->next_offset;
    copy->size = seg->size;
    copy->max_timestamp = seg->max_timestamp;
    memcpy(copy->name, seg->name, sizeof(copy->name));
    copy->log = seg->log;
    fr_segfile_ref(copy->log);
}
