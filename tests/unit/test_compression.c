/* Batch codecs: round trips, input made by the reference encoders in the forms
 * real producers write (xerial-framed and raw snappy, lz4 frames, gzip
 * members, zstd frames without a content size), corrupt and truncated input
 * (a clean error, never a crash), and the decompression cap. */
#define ZLIB_CONST
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "batch_builder.h"
#include "compression.h"
#include "fr_test.h"
#include "record_batch.h"

static const int codecs[] = {FR_COMPRESSION_GZIP, FR_COMPRESSION_SNAPPY, FR_COMPRESSION_LZ4,
                             FR_COMPRESSION_ZSTD};
#define N_CODECS 4

/* Compressible but not trivial: words with a counter, and a random tail. */
static uint8_t *sample(size_t n, uint32_t seed, int random) {
    uint8_t *p = malloc(n ? n : 1);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = random ? (uint8_t)x : (uint8_t)("freshet kafka record "[i % 21] + (i / 997) % 3);
    }
    return p;
}

/* A malloc'd exact-size copy, so the sanitizer sees any read past its end. */
static uint8_t *dup_exact(const uint8_t *p, size_t n) {
    uint8_t *d = malloc(n ? n : 1);
    if (n)
        memcpy(d, p, n);
    return d;
}

/* The result of decompressing in into a fresh writer (which must stay empty on error). */
static int decode_rc(int codec, const uint8_t *in, size_t len) {
    fr_writer_t w;
    fr_writer_init(&w);
    int rc = fr_decompress(codec, in, len, &w, 0, NULL);
    if (rc && w.len != 0)
        rc = -12345;
    fr_writer_free(&w);
    return rc;
}

/* Decompresses in and checks that the output equals want (after a prefix). */
static int decodes_to(int codec, const uint8_t *in, size_t len, const uint8_t *want, size_t want_len) {
    fr_writer_t w;
    const char *why = NULL;
    fr_writer_init(&w);
    fr_write_raw(&w, "pre", 3);
    uint8_t *copy = dup_exact(in, len);
    int rc = fr_decompress(codec, copy, len, &w, 0, &why);
    int ok = rc == 0 && w.len == 3 + want_len && memcmp(w.buf, "pre", 3) == 0 &&
             (want_len == 0 || memcmp(w.buf + 3, want, want_len) == 0);
    if (!ok)
        fprintf(stderr, "%s: rc %d (%s), got %zu bytes, want %zu\n", fr_compression_name(codec), rc,
                why ? why : "", w.len - 3, want_len);
    free(copy);
    fr_writer_free(&w);
    return ok;
}

FR_TEST(round_trip_every_codec) {
    static const size_t sizes[] = {0, 1, 100, 32768, 32769, 100000, 300001};
    for (int c = 0; c < N_CODECS; c++)
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
            for (int random = 0; random < 2; random++) {
                uint8_t *in = sample(sizes[s], (uint32_t)s, random);
                fr_writer_t z;
                fr_writer_init(&z);
                FR_CHECK_EQ_INT(fr_compress(codecs[c], in, sizes[s], &z), 0);
                FR_CHECK(z.len > 0);
                if (!random && sizes[s] >= 100000)
                    FR_CHECK(z.len < sizes[s] / 2);
                FR_CHECK(decodes_to(codecs[c], z.buf, z.len, in, sizes[s]));
                fr_writer_free(&z);
                free(in);
            }
}

FR_TEST(compressed_forms_are_what_kafka_clients_write) {
    uint8_t *in = sample(100000, 1, 0);
    fr_writer_t z;
    fr_writer_init(&z);

    FR_CHECK_EQ_INT(fr_compress(FR_COMPRESSION_GZIP, in, 100000, &z), 0);
    FR_CHECK(z.len > 2 && z.buf[0] == 0x1f && z.buf[1] == 0x8b);

    fr_writer_reset(&z);
    FR_CHECK_EQ_INT(fr_compress(FR_COMPRESSION_SNAPPY, in, 100000, &z), 0);
    FR_CHECK(z.len > 16 && memcmp(z.buf, "\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16) == 0);
    /* four 32 KiB blocks, each a valid raw snappy block */
    size_t pos = 16, blocks = 0, total = 0;
    while (pos + 4 <= z.len) {
        size_t n = fr_be32(z.buf + pos), u = 0;
        FR_CHECK(pos + 4 + n <= z.len);
        FR_CHECK_EQ_INT(snappy_uncompressed_length((const char *)z.buf + pos + 4, n, &u), SNAPPY_OK);
        total += u;
        pos += 4 + n;
        blocks++;
    }
    FR_CHECK_EQ_INT(pos, z.len);
    FR_CHECK_EQ_INT(blocks, 4);
    FR_CHECK_EQ_INT(total, 100000);

    fr_writer_reset(&z);
    FR_CHECK_EQ_INT(fr_compress(FR_COMPRESSION_LZ4, in, 100000, &z), 0);
    LZ4F_dctx *d;
    LZ4F_createDecompressionContext(&d, LZ4F_VERSION);
    LZ4F_frameInfo_t fi;
    size_t consumed = z.len;
    FR_CHECK(!LZ4F_isError(LZ4F_getFrameInfo(d, &fi, z.buf, &consumed)));
    FR_CHECK_EQ_INT(fi.blockMode, LZ4F_blockIndependent);
    FR_CHECK_EQ_INT(fi.blockSizeID, LZ4F_max64KB);
    LZ4F_freeDecompressionContext(d);

    fr_writer_reset(&z);
    FR_CHECK_EQ_INT(fr_compress(FR_COMPRESSION_ZSTD, in, 100000, &z), 0);
    FR_CHECK_EQ_INT(ZSTD_getFrameContentSize(z.buf, z.len), 100000);

    fr_writer_free(&z);
    free(in);
}

FR_TEST(unknown_codecs) {
    fr_writer_t w;
    fr_writer_init(&w);
    static const int bad[] = {-1, FR_COMPRESSION_NONE, 5, 7, 1000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FR_CHECK_EQ_INT(fr_decompress(bad[i], (const uint8_t *)"x", 1, &w, 0, NULL),
                        FR_ERR_UNSUPPORTED_COMPRESSION_TYPE);
        FR_CHECK_EQ_INT(fr_compress(bad[i], (const uint8_t *)"x", 1, &w), FR_ERR_UNSUPPORTED_COMPRESSION_TYPE);
    }
    FR_CHECK_EQ_INT(w.len, 0);
    FR_CHECK_EQ_STR(fr_compression_name(FR_COMPRESSION_LZ4), "lz4");
    FR_CHECK_EQ_STR(fr_compression_name(9), "unknown");
    fr_writer_free(&w);
}

/* ---- reference encoders ---- */

/* gzip members from zlib (as java.util.zip.GZIPOutputStream / librdkafka). */
static void zlib_put(fr_writer_t *w, const uint8_t *in, size_t len, int window_bits, int level) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
    size_t bound = deflateBound(&zs, len);
    uint8_t *dst = fr_writer_room(w, bound);
    zs.next_in = in;
    zs.avail_in = (uInt)len;
    zs.next_out = dst;
    zs.avail_out = (uInt)bound;
    FR_CHECK_EQ_INT(deflate(&zs, Z_FINISH), Z_STREAM_END);
    w->len += bound - zs.avail_out;
    deflateEnd(&zs);
}

FR_TEST(gzip_from_zlib) {
    uint8_t *in = sample(200000, 2, 0);
    fr_writer_t z;
    fr_writer_init(&z);
    zlib_put(&z, in, 200000, 15 + 16, 9);
    FR_CHECK(decodes_to(FR_COMPRESSION_GZIP, z.buf, z.len, in, 200000));
    /* two members, one after the other */
    fr_writer_reset(&z);
    zlib_put(&z, in, 120000, 15 + 16, 1);
    zlib_put(&z, in + 120000, 80000, 15 + 16, 6);
    FR_CHECK(decodes_to(FR_COMPRESSION_GZIP, z.buf, z.len, in, 200000));
    /* a zlib stream is accepted too; raw deflate is not */
    fr_writer_reset(&z);
    zlib_put(&z, in, 200000, 15, 6);
    FR_CHECK(decodes_to(FR_COMPRESSION_GZIP, z.buf, z.len, in, 200000));
    fr_writer_reset(&z);
    zlib_put(&z, in, 200000, -15, 6);
    FR_CHECK_EQ_INT(decode_rc(FR_COMPRESSION_GZIP, z.buf, z.len), FR_ERR_CORRUPT_MESSAGE);
    /* a member followed by garbage */
    fr_writer_reset(&z);
    zlib_put(&z, in, 1000, 15 + 16, 6);
    fr_write_raw(&z, "junk", 4);
    FR_CHECK_EQ_INT(decode_rc(FR_COMPRESSION_GZIP, z.buf, z.len), FR_ERR_CORRUPT_MESSAGE);
    fr_writer_free(&z);
    free(in);
}

static void snappy_put_block(fr_writer_t *w, const uint8_t *in, size_t len, int framed) {
    size_t clen = snappy_max_compressed_length(len);
    uint8_t *dst = fr_writer_room(w, 4 + clen);
    FR_CHECK_EQ_INT(snappy_compress((const char *)in, len, (char *)dst + (framed ? 4 : 0), &clen), SNAPPY_OK);
    if (framed)
        fr_put_be32(dst, (uint32_t)clen);
    w->len += clen + (framed ? 4 : 0);
}

static void xerial_put_header(fr_writer_t *w) {
    fr_write_raw(w, "\x82SNAPPY\0", 8);
    fr_write_i32(w, 1);
    fr_write_i32(w, 1);
}

/* snappy-java's framing built by hand from libsnappy blocks; and raw snappy (librdkafka). */
FR_TEST(snappy_xerial_and_raw) {
    uint8_t *in = sample(100000, 3, 0);
    fr_writer_t z;
    fr_writer_init(&z);

    xerial_put_header(&z);
    for (size_t pos = 0; pos < 100000; pos += 32768)
        snappy_put_block(&z, in + pos, 100000 - pos < 32768 ? 100000 - pos : 32768, 1);
    FR_CHECK(decodes_to(FR_COMPRESSION_SNAPPY, z.buf, z.len, in, 100000));

    /* uneven blocks, an empty one, and a second stream concatenated (snappy-java reads those) */
    fr_writer_reset(&z);
    xerial_put_header(&z);
    snappy_put_block(&z, in, 10, 1);
    snappy_put_block(&z, in + 10, 0, 1);
    snappy_put_block(&z, in + 10, 50000, 1);
    xerial_put_header(&z);
    snappy_put_block(&z, in + 50010, 49990, 1);
    FR_CHECK(decodes_to(FR_COMPRESSION_SNAPPY, z.buf, z.len, in, 100000));

    /* header only: no data */
    fr_writer_reset(&z);
    xerial_put_header(&z);
    FR_CHECK(decodes_to(FR_COMPRESSION_SNAPPY, z.buf, z.len, NULL, 0));

    /* raw snappy, no framing */
    fr_writer_reset(&z);
    snappy_put_block(&z, in, 100000, 0);
    FR_CHECK(decodes_to(FR_COMPRESSION_SNAPPY, z.buf, z.len, in, 100000));
    fr_writer_reset(&z);
    snappy_put_block(&z, in, 0, 0);
    FR_CHECK(decodes_to(FR_COMPRESSION_SNAPPY, z.buf, z.len, NULL, 0));

    /* framing errors */
    fr_writer_reset(&z);
    fr_write_raw(&z, "\x82SNAPPY\0\0\0\0\1", 12);
    FR_CHECK_EQ_INT(decode_rc(FR_COMPRESSION_SNAPPY, z.buf, z.len), FR_ERR_CORRUPT_MESSAGE);
    fr_writer_reset(&z);
    xerial_put_header(&z);
    fr_write_i32(&z, 1000); /* a block longer than what follows */
    snappy_put_block(&z, in, 100, 0);
    FR_CHECK_EQ_INT(decode_rc(FR_COMPRESSION_SNAPPY, z.buf, z.len), FR_ERR_CORRUPT_MESSAGE);
    fr_writer_reset(&z);
    xerial_put_header(&z);
    fr_write_raw(&z, "\0\0", 2); /* half a block length */
    FR_CHECK_EQ_INT(decode_rc(FR_COMPRESSION_SNAPPY, z.buf, z.len), FR_ERR_CORRUPT_MESSAGE);
    fr_writer_free(&z);
    free(in);
}

/* lz4 frames from lz4frame with the options producers use, and concatenated frames. */
static void lz4_put_frame(fr_writer_t *w, const uint8_t *in, size_t len, const LZ4F_preferences_t *prefs) {
    size_t bound = LZ4F_compressFrameBound(len, prefs);
    uint8_t *dst = fr_writer_room(w, bound);
    size_t n = LZ4F_compressFrame(dst, bound, in, len, prefs);
    FR_CHECK(!LZ4F_isError(n));
    w->len += n;
}

/* The streaming API, block by block, as a producer's output stream writes. */
static void lz4_put_streamed(fr_writer_t *w, const uint8_t *in, size_t len, const LZ4F_preferences_t *prefs) {
    LZ4F_cctx *c;
    LZ4F_createCompressionContext(&c, LZ4F_VERSION);
    uint8_t *dst = fr_writer_room(w, LZ4F_HEADER_SIZE_MAX);
    size_t n = LZ4F_compressBegin(c, dst, LZ4F_HEADER_SIZE_MAX, prefs);
    FR_CHECK(!LZ4F_isError(n));
    w->len += n;
    for (size_t pos = 0; pos < len; pos += 7000) {
        size_t piece = len - pos < 7000 ? len - pos : 7000;
        size_t bound = LZ4F_compressBound(piece, prefs);
        dst = fr_writer_room(w, bound);
        n = LZ4F_compressUpdate(c, dst, bound, in + pos, piece, NULL);
        FR_CHECK(!LZ4F_isError(n));
        w->len += n;
    }
    size_t bound = LZ4F_compressBound(0, prefs);
    dst = fr_writer_room(w, bound);
    n = LZ4F_compressEnd(c, dst, bound, NULL);
    FR_CHECK(!LZ4F_isError(n));
    w->len += n;
    LZ4F_freeCompressionContext(c);
}

FR_TEST(lz4_frames_from_lz4frame) {
    uint8_t *in = sample(300000, 4, 0);
    fr_writer_t z;
    fr_writer_init(&z);
    LZ4F_preferences_t p;

    memset(&p, 0, sizeof(p)); /* lz4's defaults: linked 64 KiB blocks */
    lz4_put_frame(&z, in, 300000, &p);
    FR_CHECK(decodes_to(FR_COMPRESSION_LZ4, z.buf, z.len, in, 300000));

    /* librdkafka: independent blocks, content size; Java: independent 64 KiB blocks */
    fr_writer_reset(&z);
    memset(&p, 0, sizeof(p));
    p.frameInfo.blockMode = LZ4F_blockIndependent;
    p.frameInfo.blockSizeID = LZ4F_max64KB;
    p.frameInfo.contentSize = 300000;
    p.compressionLevel = 9;
    lz4_put_frame(&z, in, 300000, &p);
    FR_CHECK(decodes_to(FR_COMPRESSION_LZ4, z.buf, z.len, in, 300000));

    /* streamed, with block and content checksums, then a second frame */
    fr_writer_reset(&z);
    memset(&p, 0, sizeof(p));
    p.frameInfo.blockSizeID = LZ4F_max256KB;
    p.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    p.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    lz4_put_streamed(&z, in, 200000, &p);
    lz4_put_streamed(&z, in + 200000, 100000, &p);
    FR_CHECK(decodes_to(FR_COMPRESSION_LZ4, z.buf, z.len, in, 300000));

    /* a content checksum that does not match */
    z.buf[z.len - 1] ^= 0x55;
    FR_CHECK_EQ_INT(decode_rc(FR_COMPRESSION_LZ4, z.buf, z.len), FR_ERR_CORRUPT_MESSAGE);

    /* an empty frame */
    fr_writer_reset(&z);
    memset(&p, 0, sizeof(p));
    lz4_put_frame(&z, in, 0, &p);
    FR_CHECK(decodes_to(FR_COMPRESSION_LZ4, z.buf, z.len, NULL, 0));
    fr_writer_free(&z);
    free(in);
}

/* fr_decompress's output, or SIZE_MAX when it refuses the input. */
static size_t decoded_len(int codec, const uint8_t *in, size_t len) {
    fr_writer_t w;
    fr_writer_init(&w);
    size_t n = fr_decompress(codec, in, len, &w, 0, NULL) == 0 ? w.len : SIZE_MAX;
    fr_writer_free(&w);
    return n;
}

/* The bound is read off lz4's block headers: each compressed block counts as
 * its frame's block maximum, a stored one as its size, a skippable frame as
 * nothing; what decodes never exceeds it, and framing LZ4F refuses has none. */
FR_TEST(lz4_bound_from_the_block_headers) {
    uint8_t *text = sample(300000, 4, 0), *noise = sample(100000, 5, 1);
    fr_writer_t z;
    fr_writer_init(&z);
    LZ4F_preferences_t p;

    /* as Freshet and Kafka's clients write: independent 64 KiB blocks, 5 of them, all compressed */
    FR_CHECK_EQ_INT(fr_compress(FR_COMPRESSION_LZ4, text, 300000, &z), 0);
    FR_CHECK_EQ_INT(fr_decompress_bound(FR_COMPRESSION_LZ4, z.buf, z.len), 5 * 65536);
    FR_CHECK(decoded_len(FR_COMPRESSION_LZ4, z.buf, z.len) == 300000);

    /* incompressible: LZ4F stores the blocks, and the bound is exact */
    fr_writer_reset(&z);
    FR_CHECK_EQ_INT(fr_compress(FR_COMPRESSION_LZ4, noise, 100000, &z), 0);
    FR_CHECK_EQ_INT(fr_decompress_bound(FR_COMPRESSION_LZ4, z.buf, z.len), 100000);

    /* 256 KiB blocks with block and content checksums and a content size, then a
     * skippable frame, then a second frame: the sizes add up */
    fr_writer_reset(&z);
    memset(&p, 0, sizeof(p));
    p.frameInfo.blockSizeID = LZ4F_max256KB;
    p.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    p.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    p.frameInfo.contentSize = 300000;
    lz4_put_frame(&z, text, 300000, &p);
    /* every proper prefix of a frame is framing LZ4F refuses */
    int unbounded = 1;
    for (size_t cut = 0; cut < z.len; cut += 1 + cut / 7)
        unbounded &= fr_decompress_bound(FR_COMPRESSION_LZ4, z.buf, cut) == SIZE_MAX;
    FR_CHECK(unbounded);
    static const uint8_t skippable[] = {0x5A, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'};
    fr_write_raw(&z, skippable, sizeof(skippable));
    memset(&p, 0, sizeof(p));
    lz4_put_frame(&z, text, 1000, &p);
    FR_CHECK_EQ_INT(fr_decompress_bound(FR_COMPRESSION_LZ4, z.buf, z.len), 2 * 262144 + 65536);
    FR_CHECK(decoded_len(FR_COMPRESSION_LZ4, z.buf, z.len) == 301000);

    /* a byte after the last frame */
    fr_write_raw(&z, "x", 1);
    FR_CHECK(fr_decompress_bound(FR_COMPRESSION_LZ4, z.buf, z.len) == SIZE_MAX);

    /* by hand: magic, FLG (version 01, independent blocks), BD (64 KiB blocks), header
     * checksum, one compressed block of one byte, the end mark */
    uint8_t frame[] = {0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82, 0x01, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0};
    FR_CHECK_EQ_INT(fr_decompress_bound(FR_COMPRESSION_LZ4, frame, sizeof(frame)), 65536);
    frame[9] = 0x01; /* a block of 65537 bytes: over the frame's maximum */
    FR_CHECK(fr_decompress_bound(FR_COMPRESSION_LZ4, frame, sizeof(frame)) == SIZE_MAX);
    frame[9] = 0x00;
    frame[5] = 0x30; /* block maximum id 3, below 64 KiB */
    FR_CHECK(fr_decompress_bound(FR_COMPRESSION_LZ4, frame, sizeof(frame)) == SIZE_MAX);
    frame[5] = 0x40;
    frame[4] = 0xA0; /* version 10 */
    FR_CHECK(fr_decompress_bound(FR_COMPRESSION_LZ4, frame, sizeof(frame)) == SIZE_MAX);
    frame[4] = 0x60;
    frame[0] = 0x02; /* another magic */
    FR_CHECK(fr_decompress_bound(FR_COMPRESSION_LZ4, frame, sizeof(frame)) == SIZE_MAX);
    frame[0] = 0x04;
    FR_CHECK(fr_decompress_bound(FR_COMPRESSION_LZ4, frame, 0) == SIZE_MAX);
    /* an end mark with the stored bit set: lz4 1.9 reads it as an empty stored block and reads
     * on, though its size bits say end of frame; no encoder writes it, and no bound is claimed */
    frame[15] = 0x80;
    FR_CHECK(fr_decompress_bound(FR_COMPRESSION_LZ4, frame, sizeof(frame)) == SIZE_MAX);

    /* a bomb: 16 MiB of one byte is a few kilobytes compressed, and its bound says so */
    uint8_t *zeros = calloc(16 << 20, 1);
    fr_writer_reset(&z);
    FR_CHECK_EQ_INT(fr_compress(FR_COMPRESSION_LZ4, zeros, 16 << 20, &z), 0);
    FR_CHECK(z.len < 100000);
    FR_CHECK_EQ_INT(fr_decompress_bound(FR_COMPRESSION_LZ4, z.buf, z.len), 16 << 20);

    /* the other codecs' framing does not bound their output */
    for (int c = 0; c < N_CODECS; c++)
        if (codecs[c] != FR_COMPRESSION_LZ4)
            FR_CHECK(fr_decompress_bound(codecs[c], z.buf, z.len) == SIZE_MAX);
    FR_CHECK(fr_decompress_bound(FR_COMPRESSION_NONE, z.buf, z.len) == SIZE_MAX);
    free(zeros);
    fr_writer_free(&z);
    free(text);
    free(noise);
}

/* zstd streamed without a pledged size: the frame has no content size. */
static void zstd_put_streamed(fr_writer_t *w, const uint8_t *in, size_t len, int level) {
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level < 0 ? 3 : level);
    if (level < 0)
        ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, -level);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
    size_t start = w->len;
    /* pieces as a stream writer gets them, then the end: the encoder never knows the size */
    for (size_t pos = 0;; pos += 10000) {
        size_t piece = pos >= len ? 0 : len - pos < 10000 ? len - pos : 10000;
        ZSTD_inBuffer ib = {in + (pos < len ? pos : len), piece, 0};
        ZSTD_EndDirective end = piece == 0 ? ZSTD_e_end : ZSTD_e_continue;
        size_t left;
        do {
            size_t room = ZSTD_CStreamOutSize();
            ZSTD_outBuffer ob = {fr_writer_room(w, room), room, 0};
            left = ZSTD_compressStream2(c, &ob, &ib, end);
            FR_CHECK(!ZSTD_isError(left));
            w->len += ob.pos;
        } while (end == ZSTD_e_end ? left != 0 : ib.pos < ib.size);
        if (end == ZSTD_e_end)
            break;
    }
    FR_CHECK(ZSTD_getFrameContentSize(w->buf + start, w->len - start) == ZSTD_CONTENTSIZE_UNKNOWN);
    ZSTD_freeCCtx(c);
}

FR_TEST(zstd_frames_without_content_size) {
    uint8_t *in = sample(300000, 5, 0);
    fr_writer_t z;
    fr_writer_init(&z);
    zstd_put_streamed(&z, in, 300000, 3);
    FR_CHECK(decodes_to(FR_COMPRESSION_ZSTD, z.buf, z.len, in, 300000));
    /* two frames, the second one-shot (content size recorded) */
    fr_writer_reset(&z);
    zstd_put_streamed(&z, in, 100000, 1);
    size_t bound = ZSTD_compressBound(200000);
    size_t n = ZSTD_compress(fr_writer_room(&z, bound), bound, in + 100000, 200000, 19);
    FR_CHECK(!ZSTD_isError(n));
    z.len += n;
    FR_CHECK(decodes_to(FR_COMPRESSION_ZSTD, z.buf, z.len, in, 300000));
    /* an empty stream */
    fr_writer_reset(&z);
    zstd_put_streamed(&z, in, 0, 3);
    FR_CHECK(decodes_to(FR_COMPRESSION_ZSTD, z.buf, z.len, NULL, 0));
    /* a frame asking for a 32 MiB window: too much for a 1 MiB cap, fine for the default */
    fr_writer_reset(&z);
    zstd_put_streamed(&z, in, 1000, -25);
    fr_writer_t w;
    fr_writer_init(&w);
    FR_CHECK_EQ_INT(fr_decompress(FR_COMPRESSION_ZSTD, z.buf, z.len, &w, 1 << 20, NULL), FR_ERR_CORRUPT_MESSAGE);
    FR_CHECK(decodes_to(FR_COMPRESSION_ZSTD, z.buf, z.len, in, 1000));
    fr_writer_free(&w);
    fr_writer_free(&z);
    free(in);
}

/* ---- corrupt, truncated and oversized input ---- */

/* rc is a clean result, and on error the writer is back to its 3-byte prefix. */
static int clean(int rc, const fr_writer_t *w) {
    if (rc == 0)
        return 1;
    return rc == FR_ERR_CORRUPT_MESSAGE && w->len == 3 && w->err == 0 && memcmp(w->buf, "pre", 3) == 0;
}

FR_TEST(truncated_input_is_an_error) {
    uint8_t *in = sample(70000, 6, 0);
    for (int c = 0; c < N_CODECS; c++) {
        fr_writer_t z, w;
        fr_writer_init(&z);
        fr_writer_init(&w);
        FR_CHECK_EQ_INT(fr_compress(codecs[c], in, 70000, &z), 0);
        int bad = 0;
        for (size_t cut = 0; cut < z.len; cut += cut < 64 || z.len - cut < 64 ? 1 : 37) {
            uint8_t *t = dup_exact(z.buf, cut);
            fr_writer_reset(&w);
            fr_write_raw(&w, "pre", 3);
            const char *why = NULL;
            int rc = fr_decompress(codecs[c], t, cut, &w, 0, &why);
            /* xerial framing has no end mark: a cut at a block boundary is a shorter stream */
            int ok = codecs[c] == FR_COMPRESSION_SNAPPY && rc == 0
                         ? memcmp(w.buf + 3, in, w.len - 3) == 0
                         : rc == FR_ERR_CORRUPT_MESSAGE && why != NULL && clean(rc, &w);
            if (!ok && bad++ < 3)
                fprintf(stderr, "%s cut at %zu: rc %d\n", fr_compression_name(codecs[c]), cut, rc);
            free(t);
        }
        FR_CHECK_EQ_INT(bad, 0);
        fr_writer_free(&z);
        fr_writer_free(&w);
    }
    free(in);
}

FR_TEST(corrupt_input_never_crashes) {
    uint8_t *in = sample(20000, 7, 0);
    uint32_t x = 12345;
    for (int c = 0; c < N_CODECS; c++) {
        fr_writer_t z, w;
        fr_writer_init(&z);
        fr_writer_init(&w);
        FR_CHECK_EQ_INT(fr_compress(codecs[c], in, 20000, &z), 0);
        int bad = 0, errors = 0;
        for (int trial = 0; trial < 3000; trial++) {
            uint8_t *t = dup_exact(z.buf, z.len);
            int flips = 1 + trial % 4;
            for (int f = 0; f < flips; f++) {
                x = x * 1103515245u + 12345u;
                size_t at = trial < (int)z.len && f == 0 ? (size_t)trial : (x >> 8) % z.len;
                t[at] ^= (uint8_t)(1u << ((x >> 3) % 8));
            }
            fr_writer_reset(&w);
            fr_write_raw(&w, "pre", 3);
            int rc = fr_decompress(codecs[c], t, z.len, &w, 1 << 20, NULL);
            if (!clean(rc, &w) && bad++ < 3)
                fprintf(stderr, "%s trial %d: rc %d\n", fr_compression_name(codecs[c]), trial, rc);
            errors += rc != 0;
            free(t);
        }
        FR_CHECK_EQ_INT(bad, 0);
        if (codecs[c] == FR_COMPRESSION_GZIP) /* a CRC-32 over all but mtime, xfl, os */
            FR_CHECK(errors > 2900);
        else
            FR_CHECK(errors > 0);
        /* and plain garbage */
        for (int trial = 0; trial < 500; trial++) {
            size_t n = (size_t)trial * 7 % 600;
            uint8_t *t = sample(n, (uint32_t)trial, 1);
            fr_writer_reset(&w);
            fr_write_raw(&w, "pre", 3);
            int rc = fr_decompress(codecs[c], t, n, &w, 1 << 20, NULL);
            FR_CHECK(clean(rc, &w));
            free(t);
        }
        fr_writer_free(&z);
        fr_writer_free(&w);
    }
    free(in);
}

FR_TEST(output_cap_stops_bombs) {
    size_t n = (size_t)8 << 20;
    uint8_t *zeros = calloc(1, n);
    for (int c = 0; c < N_CODECS; c++) {
        fr_writer_t z, w;
        fr_writer_init(&z);
        fr_writer_init(&w);
        FR_CHECK_EQ_INT(fr_compress(codecs[c], zeros, n, &z), 0);
        FR_CHECK(z.len < n / 20);
        const char *why = NULL;
        fr_write_raw(&w, "pre", 3);
        FR_CHECK_EQ_INT(fr_decompress(codecs[c], z.buf, z.len, &w, 1 << 20, &why), FR_ERR_CORRUPT_MESSAGE);
        FR_CHECK(clean(FR_ERR_CORRUPT_MESSAGE, &w));
        FR_CHECK(why && strcmp(why, FR_DECOMPRESS_OVER_CAP) == 0); /* what fuzz_decompress looks for */
        FR_CHECK(w.cap <= ((size_t)2 << 20)); /* never grown far past the cap */
        FR_CHECK_EQ_INT(fr_decompress(codecs[c], z.buf, z.len, &w, n - 1, NULL), FR_ERR_CORRUPT_MESSAGE);
        FR_CHECK_EQ_INT(w.len, 3);
        FR_CHECK_EQ_INT(fr_decompress(codecs[c], z.buf, z.len, &w, n, NULL), 0);
        FR_CHECK_EQ_INT(w.len, 3 + n);
        fr_writer_free(&z);
        fr_writer_free(&w);
    }
    free(zeros);
}

/* The default cap (64 MiB) applies when the caller gives none. */
FR_TEST(default_cap) {
    size_t n = FR_DECOMPRESS_DEFAULT_MAX + 1;
    uint8_t *zeros = calloc(1, n);
    static const int fast[] = {FR_COMPRESSION_SNAPPY, FR_COMPRESSION_ZSTD};
    for (int c = 0; c < 2; c++) {
        fr_writer_t z, w;
        fr_writer_init(&z);
        fr_writer_init(&w);
        FR_CHECK_EQ_INT(fr_compress(fast[c], zeros, n, &z), 0);
        FR_CHECK_EQ_INT(fr_decompress(fast[c], z.buf, z.len, &w, 0, NULL), FR_ERR_CORRUPT_MESSAGE);
        FR_CHECK_EQ_INT(w.len, 0);
        fr_writer_free(&z);
        fr_writer_free(&w);
    }
    free(zeros);
    /* raw snappy whose preamble claims 4 GiB is refused before any allocation */
    fr_writer_t w;
    fr_writer_init(&w);
    static const uint8_t claim[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
    FR_CHECK_EQ_INT(fr_decompress(FR_COMPRESSION_SNAPPY, claim, sizeof(claim), &w, 0, NULL),
                    FR_ERR_CORRUPT_MESSAGE);
    FR_CHECK_EQ_INT(w.cap, 0);
    fr_writer_free(&w);
}

/* ---- records of compressed batches ---- */

static const bb_record_t batch_records[3] = {
    {.key = "alpha", .key_len = 5, .value = "one", .value_len = 3, .timestamp = 1700000000000,
     .n_headers = 2, .headers = {{"h1", "x", 1}, {"h2", NULL, -1}}},
    {.key = NULL, .key_len = -1, .value = "two!", .value_len = 4, .timestamp = 1700000000500},
    {.key = "gamma", .key_len = 5, .value = NULL, .value_len = -1, .timestamp = 1699999999000},
};

/* The uncompressed batch's records section compressed with codec, in a batch of its own. */
static size_t compressed_batch(fr_writer_t *w, const fr_writer_t *plain, int codec) {
    fr_batch_header_t h;
    fr_batch_parse_header(plain->buf, plain->len, &h);
    bb_batch_t b = bb_defaults();
    b.base_offset = h.base_offset;
    b.attributes = (int16_t)codec;
    size_t start = bb_put_header(w, &b, h.last_offset_delta, h.base_timestamp, h.max_timestamp,
                                 h.records_count);
    if (codec >= FR_COMPRESSION_GZIP && codec <= FR_COMPRESSION_ZSTD)
        FR_CHECK_EQ_INT(fr_compress(codec, plain->buf + FR_BATCH_HEADER_SIZE,
                                    plain->len - FR_BATCH_HEADER_SIZE, w), 0);
    else
        fr_write_raw(w, plain->buf + FR_BATCH_HEADER_SIZE, plain->len - FR_BATCH_HEADER_SIZE);
    return start;
}

static int same_slice(fr_slice_t a, fr_slice_t b) {
    return a.len == b.len && (a.len <= 0 || memcmp(a.ptr, b.ptr, (size_t)a.len) == 0);
}

FR_TEST(record_iterator_on_compressed_batches) {
    fr_writer_t plain, w, scratch;
    fr_writer_init(&plain);
    fr_writer_init(&w);
    fr_writer_init(&scratch);
    bb_batch_t b = bb_defaults();
    b.base_offset = 1000;
    bb_build(&plain, &b, batch_records, 3);
    fr_batch_header_t ph;
    fr_batch_parse_header(plain.buf, plain.len, &ph);

    for (int c = 0; c <= N_CODECS; c++) {
        int codec = c < N_CODECS ? codecs[c] : FR_COMPRESSION_NONE;
        fr_writer_reset(&w);
        fr_writer_reset(&scratch);
        compressed_batch(&w, &plain, codec);
        bb_finish(&w, 0);
        fr_batch_header_t h;
        FR_CHECK_EQ_INT(fr_batch_parse_header(w.buf, w.len, &h), 0);
        FR_CHECK_EQ_INT(fr_batch_validate(w.buf, w.len, &h, FR_BATCH_V_CLIENT | FR_BATCH_V_RECORDS, NULL), 0);

        fr_record_iter_t a, z;
        fr_record_t ra, rz;
        FR_CHECK_EQ_INT(fr_record_iter_init(&a, plain.buf, plain.len, &ph), 0);
        FR_CHECK_EQ_INT(fr_record_iter_init_any(&z, w.buf, w.len, &h, &scratch, 0), 0);
        FR_CHECK_EQ_INT(scratch.len, codec == FR_COMPRESSION_NONE ? 0 : plain.len - FR_BATCH_HEADER_SIZE);
        int n = 0;
        while (fr_record_iter_next(&a, &ra)) {
            FR_CHECK(fr_record_iter_next(&z, &rz));
            FR_CHECK_EQ_INT(rz.offset, ra.offset);
            FR_CHECK_EQ_INT(rz.timestamp, ra.timestamp);
            FR_CHECK(same_slice(rz.key, ra.key));
            FR_CHECK(same_slice(rz.value, ra.value));
            FR_CHECK_EQ_INT(rz.header_count, ra.header_count);
            FR_CHECK(rz.headers_len == ra.headers_len &&
                     (ra.headers_len == 0 || memcmp(rz.headers, ra.headers, ra.headers_len) == 0));
            n++;
        }
        FR_CHECK(!fr_record_iter_next(&z, &rz));
        FR_CHECK_EQ_INT(z.err, 0);
        FR_CHECK_EQ_INT(n, 3);

        int64_t off = -1, ts = -1;
        const char *why;
        FR_CHECK_EQ_INT(fr_batch_find_time(w.buf, w.len, &h, 1700000000001, &scratch, 0, &off, &ts, &why), 0);
        FR_CHECK_EQ_INT(off, 1001);
        FR_CHECK_EQ_INT(ts, 1700000000500);
        FR_CHECK_EQ_INT(fr_batch_find_time(w.buf, w.len, &h, 1699999999500, &scratch, 0, &off, &ts, &why), 0);
        FR_CHECK_EQ_INT(off, 1000);
        FR_CHECK_EQ_INT(fr_batch_find_time(w.buf, w.len, &h, 1700000000501, &scratch, 0, &off, &ts, &why),
                        FR_ERR_NOT_FOUND);
        /* LogAppendTime: every record carries the batch's max timestamp */
        fr_batch_header_t lat = h;
        lat.attributes |= FR_BATCH_ATTR_LOG_APPEND_TIME;
        lat.max_timestamp = 1800000000000;
        FR_CHECK_EQ_INT(fr_batch_find_time(w.buf, w.len, &lat, 1700000000501, &scratch, 0, &off, &ts, &why), 0);
        FR_CHECK_EQ_INT(off, 1000);
        FR_CHECK_EQ_INT(ts, 1800000000000);
        if (codec == FR_COMPRESSION_NONE)
            continue;

        /* a cap below the records' size */
        FR_CHECK_EQ_INT(fr_record_iter_init_any(&z, w.buf, w.len, &h, &scratch, 10), FR_ERR_CORRUPT_MESSAGE);
        FR_CHECK(!fr_record_iter_next(&z, &rz));
        FR_CHECK_EQ_INT(z.err, FR_ERR_CORRUPT_MESSAGE);
        FR_CHECK(z.why != NULL);
        /* shorter than a header */
        FR_CHECK_EQ_INT(fr_record_iter_init_any(&z, w.buf, FR_BATCH_HEADER_SIZE - 1, &h, &scratch, 0),
                        FR_ERR_INVALID_RECORD);
        /* every truncation of the compressed records: a clean error or a clean end */
        for (size_t cut = FR_BATCH_HEADER_SIZE; cut < w.len; cut++) {
            uint8_t *t = dup_exact(w.buf, cut);
            if (fr_record_iter_init_any(&z, t, cut, &h, &scratch, 0) == 0)
                while (fr_record_iter_next(&z, &rz))
                    ;
            FR_CHECK(z.err == FR_ERR_CORRUPT_MESSAGE || z.err == FR_ERR_INVALID_RECORD ||
                     (codec == FR_COMPRESSION_SNAPPY && z.err == 0));
            FR_CHECK(fr_batch_find_time(t, cut, &h, INT64_MAX, &scratch, 0, &off, &ts, &why) != 0);
            free(t);
        }
    }

    /* compressed records that are not compressed: the codec's error */
    fr_writer_reset(&w);
    compressed_batch(&w, &plain, 0);
    w.buf[FR_BATCH_OFF_ATTRIBUTES + 1] = FR_COMPRESSION_ZSTD;
    fr_batch_header_t h;
    fr_batch_parse_header(w.buf, w.len, &h);
    fr_record_iter_t z;
    FR_CHECK_EQ_INT(fr_record_iter_init_any(&z, w.buf, w.len, &h, &scratch, 0), FR_ERR_CORRUPT_MESSAGE);
    /* codecs 5..7 */
    w.buf[FR_BATCH_OFF_ATTRIBUTES + 1] = 6;
    fr_batch_parse_header(w.buf, w.len, &h);
    FR_CHECK_EQ_INT(fr_record_iter_init_any(&z, w.buf, w.len, &h, &scratch, 0),
                    FR_ERR_UNSUPPORTED_COMPRESSION_TYPE);
    fr_writer_free(&plain);
    fr_writer_free(&w);
    fr_writer_free(&scratch);
}

int main(void) {
    FR_RUN(round_trip_every_codec);
    FR_RUN(compressed_forms_are_what_kafka_clients_write);
    FR_RUN(unknown_codecs);
    FR_RUN(gzip_from_zlib);
    FR_RUN(snappy_xerial_and_raw);
    FR_RUN(lz4_frames_from_lz4frame);
    FR_RUN(lz4_bound_from_the_block_headers);
    FR_RUN(zstd_frames_without_content_size);
    FR_RUN(truncated_input_is_an_error);
    FR_RUN(corrupt_input_never_crashes);
    FR_RUN(output_cap_stops_bombs);
    FR_RUN(default_cap);
    FR_RUN(record_iterator_on_compressed_batches);
    return fr_test_done();
}
