/*
 * freshet dump-log-segments — kafka-dump-log.sh (Kafka's DumpLogSegments):
 * prints the batches of .log files, the entries of .index and .timeindex
 * files, checks the indexes against their log, and with --index-sanity-check
 * runs the same structural checks Kafka runs when it opens an index.
 *
 * It reads the files directly (nothing talks to a broker), with the storage
 * code's batch parser; records of compressed batches are decoded
 * (compression.h) for --deep-iteration and --print-data-log.  Output, line
 * for line as Kafka 3.x prints it:
 *
 *   Dumping <file>
 *   Log starting offset: <base offset from the file name>
 *   baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1
 *     producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false
 *     isControl: false deleteHorizonMs: OptionalLong.empty position: 0
 *     CreateTime: 1700000000002 size: 100 magic: 2 compresscodec: none crc: 123 isvalid: true
 *   | offset: 0 CreateTime: 1700000000000 keySize: 2 valueSize: 5 sequence: -1
 *     headerKeys: [h] key: k0 payload: hello
 *   offset: 2 position: 0                                   (.index)
 *   timestamp: 1700000000002 offset: 2                      (.timeindex)
 *
 * (each batch and record is one line).  Index mismatches, out-of-order or
 * wrong timestamps and non-consecutive offsets are listed on stderr at the
 * end, in Kafka's words.  Keys and values print as text (Kafka's
 * StringDecoder); the decoder-class options are not offered.  Exit code 0,
 * or 1 for bad usage, an unreadable file or a failed sanity check (Kafka
 * throws CorruptIndexException there).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "compression.h"
#include "fr_buf.h"
#include "record_batch.h"
#include "tool_args.h"

#define MAX_DECOMPRESSED ((size_t)256 << 20)

static const tool_opt_t opts[] = {
    {"print-data-log", TOOL_FLAG, NULL,
     "If set, printing the messages content when dumping data logs. Automatically set if any decoder option is "
     "specified."},
    {"verify-index-only", TOOL_FLAG, NULL, "if set, just verify the index log without printing its content."},
    {"index-sanity-check", TOOL_FLAG, NULL,
     "if set, just checks the index sanity without printing its content. This is the same check that is executed "
     "on broker startup to determine if an index needs rebuilding or not."},
    {"files", TOOL_ARG, "String: file1, file2, ...",
     "REQUIRED: The comma separated list of data and index log files to be dumped."},
    {"max-bytes", TOOL_ARG, "Integer: size",
     "Limit the amount of total batches read in bytes avoiding reading the whole .log file(s). (default: "
     "2147483647)"},
    {"max-message-size", TOOL_ARG, "Integer: size", "Size of largest message. (default: 5242880)"},
    {"deep-iteration", TOOL_FLAG, NULL,
     "if set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled."},
    {"skip-record-metadata", TOOL_FLAG, NULL, "Whether to skip printing metadata for each record."},
    {"help", TOOL_FLAG, NULL, "Print usage information."},
    {"version", TOOL_FLAG, NULL, "Display Freshet version."},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))
#define SUMMARY                                                                                                    \
    "This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly " \
    "corrupt log segment."

typedef struct dump_opts {
    bool print_data, deep, verify_only, sanity_only, skip_metadata;
    int64_t max_bytes, max_message_size;
} dump_opts_t;

/* Problems found along the way, printed on stderr at the end as Kafka does. */
typedef struct problems {
    FILE *out; /* a memory stream */
    char *text;
    size_t len;
} problems_t;

/* ---- files ---- */

typedef struct mapped {
    const uint8_t *data;
    size_t len;
} mapped_t;

static int map_file(const char *path, mapped_t *m) {
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    m->data = NULL;
    m->len = 0;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "Error: cannot open %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "Error: cannot read %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        m->data = p;
        m->len = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

static void unmap_file(mapped_t *m) {
    if (m->data)
        munmap((void *)m->data, m->len);
}

/* "<dir>/<20 digits>.<ext>": the base offset and the path of the sibling with suffix. */
static int sibling(const char *path, const char *suffix, int64_t *base, char *out, size_t outlen) {
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    const char *dot = strchr(name, '.');
    char *end;
    if (!dot)
        return -1;
    errno = 0;
    long long v = strtoll(name, &end, 10);
    if (end != dot || errno || v < 0)
        return -1;
    *base = v;
    snprintf(out, outlen, "%.*s%s", (int)(dot - path), path, suffix);
    return 0;
}

static const char *suffix_of(const char *path) {
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    const char *dot = strrchr(name, '.');
    return dot ? dot : "";
}

static char *absolute(const char *path, char *buf, size_t len) {
    char cwd[4096];
    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        snprintf(buf, len, "%s", path);
    else
        snprintf(buf, len, "%s/%s", cwd, path);
    return buf;
}

/* ---- batches and records ---- */

static const char *timestamp_type(const fr_batch_header_t *h) {
    return fr_batch_is_log_append_time(h) ? "LogAppendTime" : "CreateTime";
}

/* Kafka's DefaultRecordBatch.incrementSequence: wraps at Integer.MAX_VALUE. */
static int32_t increment_sequence(int32_t seq, int32_t by) {
    if (seq > INT32_MAX - by)
        return by - (INT32_MAX - seq) - 1;
    return seq + by;
}

static void print_batch(const fr_batch_header_t *h, const uint8_t *batch, size_t blen, int64_t position) {
    int32_t last_seq = h->base_sequence < 0 ? -1 : increment_sequence(h->base_sequence, h->last_offset_delta);
    char horizon[48];
    if (h->attributes & FR_BATCH_ATTR_DELETE_HORIZON)
        snprintf(horizon, sizeof(horizon), "OptionalLong[%" PRId64 "]", h->base_timestamp);
    else
        snprintf(horizon, sizeof(horizon), "OptionalLong.empty");
    bool valid = blen >= FR_BATCH_HEADER_SIZE && fr_batch_compute_crc(batch, blen) == h->crc;
    printf("baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %" PRId32 " baseSequence: %" PRId32
           " lastSequence: %" PRId32 " producerId: %" PRId64 " producerEpoch: %d partitionLeaderEpoch: %" PRId32
           " isTransactional: %s isControl: %s deleteHorizonMs: %s position: %" PRId64 " %s: %" PRId64
           " size: %zu magic: %d compresscodec: %s crc: %" PRIu32 " isvalid: %s\n",
           h->base_offset, fr_batch_last_offset(h), h->records_count, h->base_sequence, last_seq, h->producer_id,
           h->producer_epoch, h->partition_leader_epoch, fr_batch_is_transactional(h) ? "true" : "false",
           fr_batch_is_control(h) ? "true" : "false", horizon, position, timestamp_type(h), h->max_timestamp, blen,
           h->magic, fr_compression_name(fr_batch_compression(h)), h->crc, valid ? "true" : "false");
}

static void print_control(const fr_record_t *rec) {
    /* key: version int16, type int16 (0 ABORT, 1 COMMIT); value: version int16, coordinatorEpoch int32 */
    if (rec->key.len < 4) {
        printf(" controlType: UNKNOWN(-1)");
        return;
    }
    int16_t type = (int16_t)fr_be16(rec->key.ptr + 2);
    if ((type == 0 || type == 1) && rec->value.len >= 6)
        printf(" endTxnMarker: %s coordinatorEpoch: %" PRId32, type ? "COMMIT" : "ABORT",
               (int32_t)fr_be32(rec->value.ptr + 2));
    else
        printf(" controlType: UNKNOWN(%d)", type);
}

/* One record line (Kafka's dumpLog, deep iteration). */
static void print_record(const fr_batch_header_t *h, const fr_record_t *rec, const dump_opts_t *o) {
    const char *prefix = "| ";
    if (!o->skip_metadata) {
        int64_t ts = fr_batch_is_log_append_time(h) ? h->max_timestamp : rec->timestamp;
        int32_t seq = h->base_sequence < 0 ? -1 : increment_sequence(h->base_sequence, rec->offset_delta);
        printf("| offset: %" PRId64 " %s: %" PRId64 " keySize: %" PRId32 " valueSize: %" PRId32
               " sequence: %" PRId32 " headerKeys: [",
               rec->offset, timestamp_type(h), ts, rec->key.len, rec->value.len, seq);
        fr_reader_t hr;
        fr_slice_t k, v;
        fr_reader_init(&hr, rec->headers, rec->headers_len);
        for (int32_t i = 0; i < rec->header_count && fr_record_header_next(&hr, &k, &v) == 0; i++)
            printf("%s%.*s", i ? "," : "", (int)k.len, (const char *)k.ptr);
        printf("]");
        if (fr_batch_is_control(h))
            print_control(rec);
        prefix = " ";
    }
    /* each part only when present: a tombstone shows its key and no payload */
    if (o->print_data && !fr_batch_is_control(h) && rec->key.len >= 0) {
        printf("%skey: ", prefix);
        fwrite(rec->key.ptr, 1, (size_t)rec->key.len, stdout);
    }
    if (o->print_data && !fr_batch_is_control(h) && rec->value.len >= 0) {
        printf(" payload: ");
        fwrite(rec->value.ptr, 1, (size_t)rec->value.len, stdout);
    }
    printf("\n");
}

/* ---- .log ---- */

static int dump_log(const char *path, const dump_opts_t *o, problems_t *pr) {
    int64_t base;
    char ignored[4200];
    mapped_t m;
    if (strcmp(suffix_of(path), ".log") == 0 && sibling(path, ".log", &base, ignored, sizeof(ignored)) == 0)
        printf("Log starting offset: %" PRId64 "\n", base);
    if (map_file(path, &m))
        return -1;
    size_t len = (int64_t)m.len > o->max_bytes ? (size_t)o->max_bytes : m.len;
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    fr_writer_t scratch;
    int64_t last_offset = -1;
    bool header_printed = false;
    char abspath[4200];

    fr_writer_init(&scratch);
    fr_batch_iter_init(&it, m.data, len);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        print_batch(&h, batch, blen, (int64_t)(it.pos - blen));
        if (!o->deep)
            continue;
        fr_record_iter_t ri;
        fr_record_t rec;
        if (fr_record_iter_init_any(&ri, batch, blen, &h, &scratch, MAX_DECOMPRESSED) != 0) {
            fflush(stdout);
            fprintf(stderr, "Error: cannot read the records of the batch at offset %" PRId64 ": %s\n", h.base_offset,
                    ri.why ? ri.why : "undecodable records");
            continue;
        }
        while (fr_record_iter_next(&ri, &rec)) {
            if (last_offset >= 0 && rec.offset != last_offset + 1) {
                if (!header_printed)
                    fprintf(pr->out, "Non-consecutive offsets in %s\n", absolute(path, abspath, sizeof(abspath)));
                header_printed = true;
                fprintf(pr->out, "  %" PRId64 " is followed by %" PRId64 "\n", last_offset, rec.offset);
            }
            last_offset = rec.offset;
            print_record(&h, &rec, o);
        }
        if (ri.err) {
            fflush(stdout);
            fprintf(stderr, "Error: bad record %d of the batch at offset %" PRId64 ": %s\n", ri.index, h.base_offset,
                    ri.why ? ri.why : "malformed");
        }
    }
    size_t trailing = m.len - it.pos;
    if (trailing > 0 && o->max_bytes == INT32_MAX) {
        const char *name = strrchr(path, '/');
        printf("Found %zu invalid bytes at the end of %s\n", trailing, name ? name + 1 : path);
    }
    fr_writer_free(&scratch);
    unmap_file(&m);
    return 0;
}

/* ---- .index and .timeindex ---- */

static int corrupt_index(const char *msg) {
    fflush(stdout);
    fprintf(stderr, "Exception in thread \"main\" org.apache.kafka.common.errors.CorruptIndexException: %s\n", msg);
    return -1;
}

/* The last offset of the batch at position in the log, or -1 when there is none there. */
static int64_t batch_last_offset_at(const mapped_t *log, int64_t position, fr_batch_header_t *h) {
    const char *why;
    if (position < 0 || (size_t)position >= log->len)
        return -1;
    if (fr_batch_check_frame(log->data + position, log->len - (size_t)position, h, &why) != 0)
        return -1;
    return fr_batch_last_offset(h);
}

static int dump_index(const char *path, const dump_opts_t *o, problems_t *pr) {
    int64_t base;
    char log_path[4200], abspath[4200], msg[8700];
    mapped_t idx, log;
    if (sibling(path, ".log", &base, log_path, sizeof(log_path)) != 0) {
        fprintf(stderr, "Error: %s is not named <base offset>.index\n", path);
        return -1;
    }
    if (map_file(path, &idx))
        return -1;
    size_t entries = idx.len / 8;
    if (entries == 0) {
        printf("%s is empty.\n", path);
        unmap_file(&idx);
        return 0;
    }
    absolute(path, abspath, sizeof(abspath));
    if (o->sanity_only) {
        int64_t last = base + (int64_t)fr_be32(idx.data + (entries - 1) * 8);
        int rc = 0;
        if (last < base) {
            snprintf(msg, sizeof(msg), "Corrupt index found, index file (%s) has non-zero size but the last offset is %"
                     PRId64 " which is less than the base offset %" PRId64, abspath, last, base);
            rc = corrupt_index(msg);
        } else if (idx.len % 8) {
            snprintf(msg, sizeof(msg), "Index file %s is corrupt, found %zu bytes which is neither positive nor a "
                     "multiple of 8", abspath, idx.len);
            rc = corrupt_index(msg);
        } else {
            printf("%s passed sanity check.\n", path);
        }
        unmap_file(&idx);
        return rc;
    }
    if (map_file(log_path, &log)) {
        unmap_file(&idx);
        return -1;
    }
    bool header_printed = false;
    for (size_t i = 0; i < entries; i++) {
        int64_t off = base + (int64_t)fr_be32(idx.data + i * 8);
        int64_t pos = (int64_t)fr_be32(idx.data + i * 8 + 4);
        if (off == base && i > 0)
            break; /* a preallocated, zero-filled tail */
        fr_batch_header_t h;
        int64_t found = batch_last_offset_at(&log, pos, &h);
        if (found != off) {
            if (!header_printed)
                fprintf(pr->out, "Mismatches in :%s\n", abspath);
            header_printed = true;
            fprintf(pr->out, "  Index offset: %" PRId64 ", log offset: %" PRId64 "\n", off, found);
        }
        if (!o->verify_only)
            printf("offset: %" PRId64 " position: %" PRId64 "\n", off, pos);
    }
    unmap_file(&log);
    unmap_file(&idx);
    return 0;
}

/* The last offset index entry at or below offset (position 0 when none): Kafka's OffsetIndex.lookup. */
static int64_t index_lookup(const mapped_t *idx, int64_t base, int64_t offset) {
    int64_t pos = 0;
    for (size_t i = 0; i < idx->len / 8; i++) {
        int64_t o = base + (int64_t)fr_be32(idx->data + i * 8);
        if (o > offset || (o == base && i > 0))
            break;
        pos = (int64_t)fr_be32(idx->data + i * 8 + 4);
    }
    return pos;
}

typedef struct time_problems {
    FILE *mismatch, *order, *missing; /* memory streams */
    char *mt, *ot, *nt;
    size_t ml, ol, nl;
} time_problems_t;

static int dump_time_index(const char *path, const dump_opts_t *o, time_problems_t *tp) {
    int64_t base;
    char log_path[4200], index_path[4200], abspath[4200], msg[8700];
    mapped_t tix, idx = {0}, log;
    if (sibling(path, ".log", &base, log_path, sizeof(log_path)) != 0 ||
        sibling(path, ".index", &base, index_path, sizeof(index_path)) != 0) {
        fprintf(stderr, "Error: %s is not named <base offset>.timeindex\n", path);
        return -1;
    }
    if (map_file(path, &tix))
        return -1;
    absolute(path, abspath, sizeof(abspath));
    size_t entries = tix.len / 12;
    if (o->sanity_only) {
        int rc = 0;
        int64_t first_ts = entries ? (int64_t)fr_be64(tix.data) : -1;
        int64_t last_ts = entries ? (int64_t)fr_be64(tix.data + (entries - 1) * 12) : -1;
        int64_t last_off = entries ? base + (int64_t)fr_be32(tix.data + (entries - 1) * 12 + 8) : base;
        if (entries && last_ts < first_ts) {
            snprintf(msg, sizeof(msg), "Corrupt time index found, time index file (%s) has non-zero size but the last "
                     "timestamp is %" PRId64 " which is less than the first timestamp %" PRId64, abspath, last_ts, first_ts);
            rc = corrupt_index(msg);
        } else if (entries && last_off < base) {
            snprintf(msg, sizeof(msg), "Corrupt time index found, time index file (%s) has non-zero size but the last "
                     "offset is %" PRId64 " which is less than the first offset %" PRId64, abspath, last_off, base);
            rc = corrupt_index(msg);
        } else if (tix.len % 12) {
            snprintf(msg, sizeof(msg), "Time index file %s is corrupt, found %zu bytes which is neither positive nor "
                     "a multiple of 12", abspath, tix.len);
            rc = corrupt_index(msg);
        } else {
            printf("%s passed sanity check.\n", path);
        }
        unmap_file(&tix);
        return rc;
    }
    if (map_file(log_path, &log)) {
        unmap_file(&tix);
        return -1;
    }
    if (access(index_path, F_OK) == 0 && map_file(index_path, &idx)) {
        unmap_file(&log);
        unmap_file(&tix);
        return -1;
    }
    fr_writer_t scratch;
    fr_writer_init(&scratch);
    int64_t prev_ts = -1;
    bool mismatch_hdr = false, order_hdr = false;
    for (size_t i = 0; i < entries; i++) {
        int64_t ts = (int64_t)fr_be64(tix.data + i * 12);
        int64_t off = base + (int64_t)fr_be32(tix.data + i * 12 + 8);
        if (off == base && i > 0)
            break;
        /* the batch holding off, from the offset index's position on */
        int64_t pos = index_lookup(&idx, base, off), found = -1;
        fr_batch_header_t h;
        while ((found = batch_last_offset_at(&log, pos, &h)) >= 0 && found < off)
            pos += fr_batch_size(&h);
        if (found < 0 || found != off) {
            fprintf(tp->missing, "Indexed offset: %" PRId64 ", found log offset: %" PRId64 "\n", off, found);
        } else {
            int64_t max_ts = -1;
            fr_record_iter_t ri;
            fr_record_t rec;
            if (fr_record_iter_init_any(&ri, log.data + pos, (size_t)fr_batch_size(&h), &h, &scratch,
                                        MAX_DECOMPRESSED) == 0)
                while (fr_record_iter_next(&ri, &rec)) {
                    int64_t rts = fr_batch_is_log_append_time(&h) ? h.max_timestamp : rec.timestamp;
                    if (rts > max_ts)
                        max_ts = rts;
                }
            if (max_ts != ts) {
                if (!mismatch_hdr)
                    fprintf(tp->mismatch, "Found timestamp mismatch in :%s\n", abspath);
                mismatch_hdr = true;
                fprintf(tp->mismatch, "  Index timestamp: %" PRId64 ", log timestamp: %" PRId64 "\n", ts, max_ts);
            }
            if (prev_ts >= ts) {
                if (!order_hdr)
                    fprintf(tp->order, "Found out of order timestamp in :%s\n", abspath);
                order_hdr = true;
                fprintf(tp->order, "  Index timestamp: %" PRId64 ", Previously indexed timestamp: %" PRId64 "\n", ts,
                        prev_ts);
            }
        }
        if (!o->verify_only)
            printf("timestamp: %" PRId64 " offset: %" PRId64 "\n", ts, off);
        prev_ts = ts;
    }
    fr_writer_free(&scratch);
    unmap_file(&idx);
    unmap_file(&log);
    unmap_file(&tix);
    return 0;
}

/* ---- main ---- */

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    tool_usage(stderr, SUMMARY, opts, NOPTS);
    return 1;
}

static int parse_opts(const tool_args_t *a, dump_opts_t *o) {
    const char *v;
    *o = (dump_opts_t){.max_bytes = INT32_MAX, .max_message_size = 5 * 1024 * 1024};
    o->print_data = tool_args_has(a, "print-data-log");
    o->deep = tool_args_has(a, "deep-iteration") || o->print_data;
    o->verify_only = tool_args_has(a, "verify-index-only");
    o->sanity_only = tool_args_has(a, "index-sanity-check");
    o->skip_metadata = tool_args_has(a, "skip-record-metadata");
    if ((v = tool_args_value(a, "max-bytes")) && tool_parse_i64(v, 0, INT32_MAX, &o->max_bytes)) {
        fprintf(stderr, "Cannot parse argument '%s' of option max-bytes\n", v);
        return -1;
    }
    if ((v = tool_args_value(a, "max-message-size")) && tool_parse_i64(v, 0, INT32_MAX, &o->max_message_size)) {
        fprintf(stderr, "Cannot parse argument '%s' of option max-message-size\n", v);
        return -1;
    }
    return 0;
}

static void flush_stream(FILE **f, char **text, size_t *len) {
    fclose(*f);
    *f = NULL;
    if (*len)
        fputs(*text, stderr);
    free(*text);
}

int fr_cmd_dump_log_segments(int argc, char **argv) {
    tool_args_t a;
    char err[512];
    dump_opts_t o;
    if (tool_args_parse(&a, opts, NOPTS, argc, argv, err, sizeof(err)) != 0) {
        tool_args_free(&a);
        return usage_error(err);
    }
    if (argc < 2 || tool_args_has(&a, "help")) {
        bool help = argc >= 2;
        tool_usage(help ? stdout : stderr, SUMMARY, opts, NOPTS);
        tool_args_free(&a);
        return help ? 0 : 1;
    }
    if (tool_args_version(&a)) /* as Kafka's tools: before any other check */
        return 0;
    if (!tool_args_has(&a, "files")) {
        tool_args_free(&a);
        return usage_error("Missing required argument \"[files]\"");
    }
    if (parse_opts(&a, &o) != 0) {
        tool_args_free(&a);
        return usage_error(NULL);
    }

    problems_t pr = {0}, nonconsec = {0};
    time_problems_t tp = {0};
    pr.out = open_memstream(&pr.text, &pr.len);
    nonconsec.out = open_memstream(&nonconsec.text, &nonconsec.len);
    tp.mismatch = open_memstream(&tp.mt, &tp.ml);
    tp.order = open_memstream(&tp.ot, &tp.ol);
    tp.missing = open_memstream(&tp.nt, &tp.nl);
    if (!pr.out || !nonconsec.out || !tp.mismatch || !tp.order || !tp.missing) {
        fprintf(stderr, "Error: out of memory\n");
        return 1;
    }

    char *files = strdup(tool_args_value(&a, "files"));
    int rc = 0;
    for (char *save = NULL, *f = strtok_r(files, ",", &save); f && rc == 0; f = strtok_r(NULL, ",", &save)) {
        printf("Dumping %s\n", f);
        const char *sfx = suffix_of(f);
        if (strcmp(sfx, ".log") == 0)
            rc = dump_log(f, &o, &nonconsec);
        else if (strcmp(sfx, ".index") == 0)
            rc = dump_index(f, &o, &pr);
        else if (strcmp(sfx, ".timeindex") == 0)
            rc = dump_time_index(f, &o, &tp);
        else {
            fflush(stdout);
            fprintf(stderr, "Ignoring unknown file %s\n", f);
        }
    }
    free(files);
    fflush(stdout);
    /* Kafka's order: index mismatches, time index problems, non-consecutive offsets. */
    flush_stream(&pr.out, &pr.text, &pr.len);
    flush_stream(&tp.mismatch, &tp.mt, &tp.ml);
    flush_stream(&tp.order, &tp.ot, &tp.ol);
    fclose(tp.missing);
    if (tp.nl)
        fprintf(stderr, "The following indexed offsets are not found in the log.\n%s", tp.nt);
    free(tp.nt);
    flush_stream(&nonconsec.out, &nonconsec.text, &nonconsec.len);
    tool_args_free(&a);
    return rc ? 1 : 0;
}
