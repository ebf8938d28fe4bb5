/*
 * offset_checkpoint.h — Kafka's offset checkpoint files (OffsetCheckpointFile):
 * one per log dir, e.g. <log.dir>/log-start-offset-checkpoint, mapping
 * topic-partitions to an offset.  The text format is Kafka's, so a log dir
 * moves between Freshet and Kafka with its checkpoints:
 *
 *   0                  <- format version
 *   2                  <- number of entries
 *   orders 0 1500      <- "<topic> <partition> <offset>", one per line
 *   payments 3 42
 *
 * Writes are atomic (a .tmp file, fsync, rename, fsync of the directory), so
 * a crash leaves either the old or the new file.  A file that does not parse
 * (a line short of fields, a count that does not match, another version) is
 * reported as corrupt with the line and reason; the caller decides whether to
 * go on without it (Kafka refuses to start; a log start offset checkpoint
 * lost is only a log start that falls back to the first segment).
 *
 * Nothing here is shared between threads; each call opens its own files.
 */
#ifndef FR_OFFSET_CHECKPOINT_H
#define FR_OFFSET_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#define FR_LOG_START_OFFSET_CHECKPOINT "log-start-offset-checkpoint"
#define FR_CLEANER_OFFSET_CHECKPOINT "cleaner-offset-checkpoint"
#define FR_RECOVERY_POINT_OFFSET_CHECKPOINT "recovery-point-offset-checkpoint"

typedef struct fr_offset_checkpoint_entry {
    const char *topic;   /* borrowed from the caller */
    int32_t partition;
    int64_t offset;
} fr_offset_checkpoint_entry_t;

/*
 * Formats the file's contents for entries[0..n) into a malloc'd,
 * NUL-terminated string (*out, owned by the caller; *len its length).  Used
 * by write, and by callers that skip a write when nothing changed.
 * Returns 0 or FR_ERR_NOMEM.
 */
int fr_offset_checkpoint_format(const fr_offset_checkpoint_entry_t *entries, size_t n, char **out,
                                size_t *len);

/* Atomically replaces path with text (as formatted above).  0 or FR_ERR_IO (errno set). */
int fr_offset_checkpoint_write_text(const char *path, const char *text, size_t len);

/*
 * Parses the file's contents buf[0..len) (any bytes) and calls fn(ctx,
 * topic, partition, offset) for each entry (topic is NUL-terminated and valid
 * only during the call); a non-zero return from fn stops the parse and is
 * returned.  Returns 0 or FR_ERR_CORRUPT with "line N: why" in err.
 */
int fr_offset_checkpoint_parse(const char *buf, size_t len,
                               int (*fn)(void *ctx, const char *topic, int32_t partition, int64_t offset),
                               void *ctx, char *err, size_t errlen);

/*
 * Reads path and calls fn(ctx, topic, partition, offset) for each entry
 * (topic is NUL-terminated and valid only during the call); a non-zero
 * return from fn stops the read and is returned.  Returns 0,
 * FR_ERR_NOT_FOUND (no such file), FR_ERR_IO, FR_ERR_NOMEM, or
 * FR_ERR_CORRUPT with a message naming the line in err.
 */
int fr_offset_checkpoint_read(const char *path,
                              int (*fn)(void *ctx, const char *topic, int32_t partition, int64_t offset),
                              void *ctx, char *err, size_t errlen);

#endif
