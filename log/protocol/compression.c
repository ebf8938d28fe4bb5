/*
 * compression.c — gzip, snappy (raw and xerial-framed), lz4 frame and zstd,
 * one decompress and one compress function per codec, dispatched by a table
 * indexed by the codec number.  See compression.h for the wire forms and the
 * contracts.
 *
 * Every decompressor writes through out_room(), which never offers more than
 * one byte past the caller's cap: a stream that fills that byte is too big,
 * and nothing larger than cap + 1 is ever allocated for it.
 */
#include "compression.h"

#define ZLIB_CONST
#include <limits.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "record_batch.h"

#define OUT_STEP ((size_t)64 << 10) /* smallest piece of output room asked for */
#define OUT_STEP_MAX ((size_t)1 << 30)
#define ZSTD_WINDOW_LOG_LIMIT 27 /* zstd's ZSTD_WINDOWLOG_LIMIT_DEFAULT (an experimental symbol) */
#define SNAPPY_XERIAL_BLOCK ((size_t)32 << 10) /* snappy-java's default block size */

static const char BOMB[] = FR_DECOMPRESS_OVER_CAP;

typedef struct sink {
    fr_writer_t *w;
    size_t start;   /* w->len when the call began */
    size_t max_out; /* cap on w->len - start; < SIZE_MAX */
} sink_t;

static size_t sink_used(const sink_t *s) { return s->w->len - s->start; }
static int sink_over(const sink_t *s) { return sink_used(s) > s->max_out; }

/*
 * Room for the next piece of output: *avail > 0 bytes at the returned
 * pointer, growing geometrically, never past max_out + 1 in all.  NULL when
 * the allocation failed (w->err is set).  Only call while !sink_over().
 */
static uint8_t *out_room(sink_t *s, size_t *avail) {
    size_t used = sink_used(s);
    size_t left = s->max_out - used + 1;
    size_t want = used < OUT_STEP ? OUT_STEP : used;
    if (want > OUT_STEP_MAX)
        want = OUT_STEP_MAX;
    if (want > left)
        want = left;
    *avail = want;
    return fr_writer_room(s->w, want);
}

#define FAIL(code, reason)                                                   \
    do {                                                                     \
        *why = (reason);                                                     \
        return (code);                                                       \
    } while (0)

/* ---- gzip (zlib) ---- */

/* Feeds zlib the next piece of in (avail_in is an unsigned int). */
static void z_feed(z_stream *zs, const uint8_t *in, size_t len, size_t *pos) {
    size_t n = len - *pos;
    if (n > UINT_MAX)
        n = UINT_MAX;
    zs->next_in = in + *pos;
    zs->avail_in = (uInt)n;
    *pos += n;
}

static int gzip_inflate(z_stream *zs, const uint8_t *in, size_t len, sink_t *s, const char **why) {
    size_t pos = 0;
    for (;;) {
        if (zs->avail_in == 0 && pos < len)
            z_feed(zs, in, len, &pos);
        size_t avail;
        uint8_t *dst = out_room(s, &avail);
        if (!dst)
            FAIL(FR_ERR_NOMEM, "out of memory");
        if (avail > UINT_MAX)
            avail = UINT_MAX;
        zs->next_out = dst;
        zs->avail_out = (uInt)avail;
        int zrc = inflate(zs, Z_NO_FLUSH);
        s->w->len += avail - zs->avail_out;
        if (sink_over(s))
            FAIL(FR_ERR_CORRUPT_MESSAGE, BOMB);
        if (zrc == Z_STREAM_END) {
            if (zs->avail_in == 0 && pos == len)
                return 0;
            if (inflateReset(zs) != Z_OK) /* another gzip member follows */
                FAIL(FR_ERR_CORRUPT_MESSAGE, "gzip: cannot start the next member");
            continue;
        }
        if (zrc == Z_MEM_ERROR)
            FAIL(FR_ERR_NOMEM, "out of memory");
        if (zrc == Z_BUF_ERROR && zs->avail_in == 0 && pos == len)
            FAIL(FR_ERR_CORRUPT_MESSAGE, "gzip: truncated stream");
        if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            FAIL(FR_ERR_CORRUPT_MESSAGE, zs->msg ? zs->msg : "gzip: corrupt stream");
    }
}

static int gzip_decompress(const uint8_t *in, size_t len, sink_t *s, const char **why) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* 15 + 32: a 32 KiB window, gzip or zlib header detected automatically */
    int zrc = inflateInit2(&zs, 15 + 32);
    if (zrc != Z_OK)
        FAIL(zrc == Z_MEM_ERROR ? FR_ERR_NOMEM : FR_ERR_CORRUPT_MESSAGE, "gzip: cannot set up zlib");
    int rc = gzip_inflate(&zs, in, len, s, why);
    inflateEnd(&zs);
    return rc;
}

static int gzip_compress(const uint8_t *in, size_t len, int level, fr_writer_t *w) {
    z_stream zs;
    size_t pos = 0;
    int zrc;

    memset(&zs, 0, sizeof(zs));
    if (level == FR_COMPRESSION_LEVEL_DEFAULT)
        level = Z_DEFAULT_COMPRESSION; /* -1, Kafka's compression.gzip.level default */
    /* 15 + 16: a gzip wrapper, as java.util.zip.GZIPOutputStream and librdkafka write */
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return FR_ERR_NOMEM;
    do {
        if (zs.avail_in == 0 && pos < len)
            z_feed(&zs, in, len, &pos);
        size_t avail = zs.avail_in ? deflateBound(&zs, zs.avail_in) : OUT_STEP;
        if (avail > UINT_MAX)
            avail = UINT_MAX;
        uint8_t *dst = fr_writer_room(w, avail);
        if (!dst) {
            deflateEnd(&zs);
            return FR_ERR_NOMEM;
        }
        zs.next_out = dst;
        zs.avail_out = (uInt)avail;
        zrc = deflate(&zs, pos == len ? Z_FINISH : Z_NO_FLUSH);
        w->len += avail - zs.avail_out;
    } while (zrc == Z_OK || zrc == Z_BUF_ERROR);
    deflateEnd(&zs);
    return zrc == Z_STREAM_END ? 0 : FR_ERR_NOMEM;
}

/* ---- snappy (libsnappy; xerial framing or raw) ---- */

/* One raw snappy block: the length preamble is checked against the cap first. */
static int snappy_block(const uint8_t *in, size_t len, sink_t *s, const char **why) {
    size_t n, got;
    char empty[1];

    if (snappy_uncompressed_length((const char *)in, len, &n) != SNAPPY_OK)
        FAIL(FR_ERR_CORRUPT_MESSAGE, "snappy: bad length preamble");
    if (n > s->max_out - sink_used(s))
        FAIL(FR_ERR_CORRUPT_MESSAGE, BOMB);
    char *dst = n ? (char *)fr_writer_room(s->w, n) : empty;
    if (!dst)
        FAIL(FR_ERR_NOMEM, "out of memory");
    got = n ? n : sizeof(empty);
    if (snappy_uncompress((const char *)in, len, dst, &got) != SNAPPY_OK || got != n)
        FAIL(FR_ERR_CORRUPT_MESSAGE, "snappy: corrupt block");
    s->w->len += n;
    return 0;
}

static int is_xerial_header(const uint8_t *p, size_t len) {
    return len >= FR_SNAPPY_XERIAL_MAGIC_LEN &&
           memcmp(p, FR_SNAPPY_XERIAL_MAGIC, FR_SNAPPY_XERIAL_MAGIC_LEN) == 0;
}

/*
 * snappy-java's SnappyOutputStream: a 16-byte header, then int32 length +
 * raw block, repeated.  Like SnappyInputStream, a header where a block length
 * should be starts a concatenated stream.  The version fields are not
 * checked (librdkafka does not either).
 */
static int snappy_xerial(const uint8_t *in, size_t len, sink_t *s, const char **why) {
    size_t pos = 0;
    while (pos < len) {
        if (is_xerial_header(in + pos, len - pos)) {
            if (len - pos < FR_SNAPPY_XERIAL_HEADER_LEN)
                FAIL(FR_ERR_CORRUPT_MESSAGE, "snappy: truncated xerial header");
            pos += FR_SNAPPY_XERIAL_HEADER_LEN;
            continue;
        }
        if (len - pos < 4)
            FAIL(FR_ERR_CORRUPT_MESSAGE, "snappy: truncated xerial block length");
        size_t n = fr_be32(in + pos);
        pos += 4;
        if (n > len - pos)
            FAIL(FR_ERR_CORRUPT_MESSAGE, "snappy: xerial block runs past the end");
        int rc = snappy_block(in + pos, n, s, why);
        if (rc)
            return rc;
        pos += n;
    }
    return 0;
}

static int snappy_decompress(const uint8_t *in, size_t len, sink_t *s, const char **why) {
    if (is_xerial_header(in, len))
        return snappy_xerial(in, len, s, why);
    return snappy_block(in, len, s, why);
}

static int snappy_xerial_compress(const uint8_t *in, size_t len, int level, fr_writer_t *w) {
    (void)level; /* snappy has none */
    uint8_t hdr[FR_SNAPPY_XERIAL_HEADER_LEN];
    memcpy(hdr, FR_SNAPPY_XERIAL_MAGIC, FR_SNAPPY_XERIAL_MAGIC_LEN);
    fr_put_be32(hdr + 8, 1);  /* version */
    fr_put_be32(hdr + 12, 1); /* minimum compatible version */
    fr_write_raw(w, hdr, sizeof(hdr));
    for (size_t pos = 0; pos < len && !w->err;) {
        size_t n = len - pos < SNAPPY_XERIAL_BLOCK ? len - pos : SNAPPY_XERIAL_BLOCK;
        size_t clen = snappy_max_compressed_length(n);
        uint8_t *dst = fr_writer_room(w, 4 + clen);
        if (!dst)
            break;
        if (snappy_compress((const char *)in + pos, n, (char *)dst + 4, &clen) != SNAPPY_OK)
            return FR_ERR_NOMEM; /* only fails on a short buffer, which cannot happen */
        fr_put_be32(dst, (uint32_t)clen);
        w->len += 4 + clen;
        pos += n;
    }
    return w->err ? FR_ERR_NOMEM : 0;
}

/* ---- lz4 (frame format) ---- */

static int lz4_run(LZ4F_dctx *dctx, const uint8_t *in, size_t len, sink_t *s, const char **why) {
    size_t pos = 0;
    for (;;) {
        size_t avail;
        uint8_t *dst = out_room(s, &avail);
        if (!dst)
            FAIL(FR_ERR_NOMEM, "out of memory");
        size_t src_size = len - pos, dst_size = avail;
        size_t r = LZ4F_decompress(dctx, dst, &dst_size, in + pos, &src_size, NULL);
        if (LZ4F_isError(r))
            FAIL(FR_ERR_CORRUPT_MESSAGE, LZ4F_getErrorName(r));
        pos += src_size;
        s->w->len += dst_size;
        if (sink_over(s))
            FAIL(FR_ERR_CORRUPT_MESSAGE, BOMB);
        if (r == 0 && pos == len)
            return 0; /* the last frame is complete and flushed */
        /* r == 0 with input left: the context has reset itself for the next frame */
        if (src_size == 0 && dst_size == 0)
            FAIL(FR_ERR_CORRUPT_MESSAGE, "lz4: truncated frame");
    }
}

static int lz4_decompress(const uint8_t *in, size_t len, sink_t *s, const char **why) {
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        FAIL(FR_ERR_NOMEM, "out of memory");
    int rc = lz4_run(dctx, in, len, s, why);
    LZ4F_freeDecompressionContext(dctx);
    return rc;
}

/*
 * The most a run of lz4 frames can decode to, read from the block headers
 * alone: every compressed block decodes to at most the frame's block maximum
 * (LZ4F refuses a block that would exceed it), a stored block to its size, a
 * skippable frame to nothing.  The content size field is not used: LZ4F
 * checks it only after decoding every block.  SIZE_MAX when the framing is
 * not what LZ4F would read.
 */
#define LZ4_MAGIC 0x184D2204u
#define LZ4_SKIPPABLE_MASK 0xFFFFFFF0u
#define LZ4_SKIPPABLE_MAGIC 0x184D2A50u

static int read_le32(fr_reader_t *r, uint32_t *out) {
    const uint8_t *p;
    if (fr_read_raw(r, 4, &p))
        return -1;
    *out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return 0;
}

static size_t add_capped(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

/* One frame's bound after its magic, or SIZE_MAX. */
static size_t lz4_frame_bound(fr_reader_t *r) {
    const uint8_t *hdr;
    if (fr_read_raw(r, 2, &hdr))
        return SIZE_MAX;
    uint8_t flg = hdr[0], bd = hdr[1];
    unsigned size_id = (bd >> 4) & 7;
    if ((flg >> 6) != 1 || size_id < 4) /* version 01; block maxima 64 KiB .. 4 MiB */
        return SIZE_MAX;
    size_t block_max = (size_t)1 << (8 + 2 * size_id);
    size_t skip = (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1; /* content size, dictionary id, HC */
    if (fr_read_skip(r, skip))
        return SIZE_MAX;
    size_t bound = 0, block_checksum = flg & 0x10 ? 4 : 0;
    for (;;) {
        uint32_t word;
        if (read_le32(r, &word))
            return SIZE_MAX;
        if (word == 0) /* the end mark, then the content checksum if the frame has one */
            return fr_read_skip(r, flg & 0x04 ? 4 : 0) ? SIZE_MAX : bound;
        size_t n = word & 0x7FFFFFFFu; /* the top bit says stored */
        if (n == 0) /* a stored empty block: lz4 1.9 reads on past it, though its size bits alone
                       would say end of frame; no encoder writes one, so no bound is claimed */
            return SIZE_MAX;
        if (n > block_max || fr_read_skip(r, n + block_checksum))
            return SIZE_MAX;
        bound = add_capped(bound, word & 0x80000000u ? n : block_max);
    }
}

static size_t lz4_bound(const uint8_t *in, size_t len) {
    fr_reader_t r;
    size_t bound = 0;
    fr_reader_init(&r, in, len);
    do {
        uint32_t magic, skip;
        size_t frame;
        if (read_le32(&r, &magic))
            return SIZE_MAX;
        if ((magic & LZ4_SKIPPABLE_MASK) == LZ4_SKIPPABLE_MAGIC)
            frame = read_le32(&r, &skip) || fr_read_skip(&r, skip) ? SIZE_MAX : 0;
        else
            frame = magic == LZ4_MAGIC ? lz4_frame_bound(&r) : SIZE_MAX;
        if (frame == SIZE_MAX)
            return SIZE_MAX;
        bound = add_capped(bound, frame);
    } while (fr_reader_left(&r) > 0);
    return bound;
}

static int lz4_compress(const uint8_t *in, size_t len, int level, fr_writer_t *w) {
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    /* Kafka's default level (9) means lz4's fast compressor, any other its
     * high-compression one at that level (Lz4BlockOutputStream); LZ4F takes
     * 0 for the first and 3..12 (capped above) for the second, and runs 1
     * and 2 as the fast one */
    prefs.compressionLevel = level == FR_COMPRESSION_LEVEL_DEFAULT || level == 9 ? 0 : level;
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent; /* Kafka's Java reader requires it */
    size_t bound = LZ4F_compressFrameBound(len, &prefs);
    uint8_t *dst = fr_writer_room(w, bound);
    if (!dst)
        return FR_ERR_NOMEM;
    size_t n = LZ4F_compressFrame(dst, bound, in, len, &prefs);
    if (LZ4F_isError(n))
        return FR_ERR_NOMEM;
    w->len += n;
    return 0;
}

/* ---- zstd (streaming: frames need not record their content size) ---- */

static int zstd_run(ZSTD_DCtx *dctx, const uint8_t *in, size_t len, sink_t *s, const char **why) {
    ZSTD_inBuffer ib = {in, len, 0};
    for (;;) {
        size_t avail;
        uint8_t *dst = out_room(s, &avail);
        if (!dst)
            FAIL(FR_ERR_NOMEM, "out of memory");
        ZSTD_outBuffer ob = {dst, avail, 0};
        size_t in_before = ib.pos;
        size_t r = ZSTD_decompressStream(dctx, &ob, &ib);
        if (ZSTD_isError(r)) {
            if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
                FAIL(FR_ERR_NOMEM, "out of memory");
            FAIL(FR_ERR_CORRUPT_MESSAGE, ZSTD_getErrorName(r));
        }
        s->w->len += ob.pos;
        if (sink_over(s))
            FAIL(FR_ERR_CORRUPT_MESSAGE, BOMB);
        if (r == 0 && ib.pos == ib.size)
            return 0; /* the last frame is complete and flushed */
        if (ob.pos == 0 && ib.pos == in_before)
            FAIL(FR_ERR_CORRUPT_MESSAGE, "zstd: truncated frame");
    }
}

/*
 * The largest window a frame may ask for (the decoder allocates it up
 * front): what the cap needs, but at least 8 MiB (the window of every level
 * up to 19 when the encoder did not know the size) and at most zstd's own
 * default limit, 128 MiB.  So a small hostile frame cannot make the decoder
 * allocate much more than the cap.
 */
static int zstd_window_log_max(size_t max_out) {
    int wl = 23;
    while (wl < ZSTD_WINDOW_LOG_LIMIT && ((size_t)1 << wl) < max_out)
        wl++;
    return wl;
}

static int zstd_decompress(const uint8_t *in, size_t len, sink_t *s, const char **why) {
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx)
        FAIL(FR_ERR_NOMEM, "out of memory");
    size_t r = ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, zstd_window_log_max(s->max_out));
    if (ZSTD_isError(r)) {
        ZSTD_freeDCtx(dctx);
        FAIL(FR_ERR_NOMEM, ZSTD_getErrorName(r));
    }
    int rc = zstd_run(dctx, in, len, s, why);
    ZSTD_freeDCtx(dctx);
    return rc;
}

static int zstd_compress(const uint8_t *in, size_t len, int level, fr_writer_t *w) {
    size_t bound = ZSTD_compressBound(len);
    uint8_t *dst = fr_writer_room(w, bound);
    if (!dst)
        return FR_ERR_NOMEM;
    size_t n = ZSTD_compress(dst, bound, in, len, level == FR_COMPRESSION_LEVEL_DEFAULT ? ZSTD_CLEVEL_DEFAULT : level);
    if (ZSTD_isError(n))
        return FR_ERR_NOMEM;
    w->len += n;
    return 0;
}

/* ---- dispatch ---- */

typedef struct codec {
    const char *name;
    int (*decompress)(const uint8_t *in, size_t len, sink_t *s, const char **why);
    int (*compress)(const uint8_t *in, size_t len, int level, fr_writer_t *w);
} codec_t;

static const codec_t CODECS[] = {
    [FR_COMPRESSION_NONE] = {"none", NULL, NULL},
    [FR_COMPRESSION_GZIP] = {"gzip", gzip_decompress, gzip_compress},
    [FR_COMPRESSION_SNAPPY] = {"snappy", snappy_decompress, snappy_xerial_compress},
    [FR_COMPRESSION_LZ4] = {"lz4", lz4_decompress, lz4_compress},
    [FR_COMPRESSION_ZSTD] = {"zstd", zstd_decompress, zstd_compress},
};
#define N_CODECS ((int)(sizeof(CODECS) / sizeof(CODECS[0])))

const char *fr_compression_name(int codec) {
    return codec >= 0 && codec < N_CODECS ? CODECS[codec].name : "unknown";
}

/* A pointer that is never NULL, even for an empty input (no NULL + offset). */
static const uint8_t *nonnull(const uint8_t *in) {
    static const uint8_t none[1];
    return in ? in : none;
}

int fr_lz4_blocks_independent(const uint8_t *in, size_t len) {
    fr_reader_t r;
    uint32_t magic;
    const uint8_t *flg;
    fr_reader_init(&r, nonnull(in), len);
    return read_le32(&r, &magic) || magic != LZ4_MAGIC || fr_read_raw(&r, 1, &flg) || (flg[0] & 0x20) != 0;
}

size_t fr_decompress_bound(int codec, const uint8_t *in, size_t len) {
    return codec == FR_COMPRESSION_LZ4 ? lz4_bound(nonnull(in), len) : SIZE_MAX;
}

int fr_decompress(int codec, const uint8_t *in, size_t len, fr_writer_t *out, size_t max_out,
                  const char **why) {
    const char *unused;
    if (!why)
        why = &unused;
    *why = NULL;
    if (codec <= FR_COMPRESSION_NONE || codec >= N_CODECS)
        FAIL(FR_ERR_UNSUPPORTED_COMPRESSION_TYPE, "unknown compression codec");
    if (out->err)
        FAIL(FR_ERR_NOMEM, "output writer already failed");
    sink_t s = {out, out->len, max_out ? max_out : FR_DECOMPRESS_DEFAULT_MAX};
    if (s.max_out > SIZE_MAX - 1 - out->len)
        s.max_out = SIZE_MAX - 1 - out->len;
    int rc = CODECS[codec].decompress(nonnull(in), len, &s, why);
    if (rc) {
        out->len = s.start;
        if (rc != FR_ERR_NOMEM)
            out->err = 0;
    }
    return rc;
}

int fr_compress(int codec, const uint8_t *in, size_t len, fr_writer_t *out) {
    return fr_compress_level(codec, FR_COMPRESSION_LEVEL_DEFAULT, in, len, out);
}

int fr_compress_level(int codec, int level, const uint8_t *in, size_t len, fr_writer_t *out) {
    if (codec <= FR_COMPRESSION_NONE || codec >= N_CODECS)
        return FR_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    if (out->err)
        return FR_ERR_NOMEM;
    size_t start = out->len;
    int rc = CODECS[codec].compress(nonnull(in), len, level, out);
    if (rc)
        out->len = start;
    return rc;
}
