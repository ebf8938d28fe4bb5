/*
 * compression.h — Kafka's four record-batch codecs (attributes bits 0-2):
 * gzip, snappy, lz4 and zstd, on top of Debian's zlib, libsnappy, liblz4 and
 * libzstd.  Nothing here is on the produce/fetch path (batches pass through
 * untouched); it serves the places where the broker must look inside a batch
 * (ListOffsets by time, compaction, validation).
 *
 * Wire forms, as Kafka's producers write them:
 *   gzip    a gzip stream (RFC 1952); several members one after the other are
 *           read as one stream.  A zlib (RFC 1950) stream is accepted too.
 *   snappy  the Java client's xerial snappy-java framing: magic
 *           "\x82SNAPPY\0", int32 version, int32 min compatible version, then
 *           blocks of int32 big-endian length + raw snappy.  librdkafka writes
 *           raw snappy (no framing), so input without the magic is decoded as
 *           one raw snappy block.
 *   lz4     the LZ4 frame format (lz4frame.h); concatenated frames are read.
 *   zstd    zstd frames, decoded with the streaming API (the content size
 *           need not be recorded); concatenated frames are read.
 *
 * Output goes to a caller-owned fr_writer_t (common/fr_buf.h), appended after
 * what it already holds.  Decompression stops at a hard cap on the bytes it
 * appends, so a small "bomb" is an error, not an OOM.  On any error the
 * writer is cut back to its length before the call (its buffer may have
 * grown; its err field is left clear unless an allocation failed).
 *
 * Everything is thread-safe: each call sets up and frees its own codec state.
 */
#ifndef FR_COMPRESSION_H
#define FR_COMPRESSION_H

#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"
#include "fr_err.h"

/* What *why says when the output would pass the cap (a "bomb"). */
#define FR_DECOMPRESS_OVER_CAP "decompressed data larger than the cap"

/* Cap used when a caller passes max_out == 0. */
#define FR_DECOMPRESS_DEFAULT_MAX ((size_t)64 << 20)

/* The xerial snappy-java stream header. */
#define FR_SNAPPY_XERIAL_MAGIC "\x82SNAPPY"  /* followed by a NUL: 8 bytes */
#define FR_SNAPPY_XERIAL_MAGIC_LEN 8
#define FR_SNAPPY_XERIAL_HEADER_LEN 16      /* magic + version + compat */

/* "gzip", "snappy", ... ("none" for 0, "unknown" beyond 4). */
const char *fr_compression_name(int codec);

/*
 * Decompresses in[0..len) (codec as in fr_compression_t, 1..4) and appends
 * the result to out, which must not be in an error state.  At most max_out
 * bytes are appended (0: FR_DECOMPRESS_DEFAULT_MAX); more is an error.
 * Returns:
 *   0                                   out holds the data after what it held
 *   FR_ERR_CORRUPT_MESSAGE              bad or truncated data, trailing bytes,
 *                                       or output beyond max_out
 *   FR_ERR_UNSUPPORTED_COMPRESSION_TYPE codec is not 1..4
 *   FR_ERR_NOMEM                        an allocation failed
 * *why (may be NULL) gets a static string saying what went wrong.  in is
 * only read; any byte sequence is safe to pass.
 */
int fr_decompress(int codec, const uint8_t *in, size_t len, fr_writer_t *out, size_t max_out,
                  const char **why);

/*
 * 0 when in[0..len) starts with an lz4 frame whose blocks depend on the ones
 * before (FLG's block independence bit clear), else 1.  liblz4 reads such
 * frames; Kafka's Java clients do not, and Kafka's broker refuses them.
 */
int fr_lz4_blocks_independent(const uint8_t *in, size_t len);

/*
 * What a produce answers when a batch's records do not decompress (rc from
 * fr_decompress or a record iterator over them): Kafka's codecs throw, and
 * ReplicaManager answers UNKNOWN_SERVER_ERROR, which producers do not retry
 * (the same bytes would fail again), unlike CORRUPT_MESSAGE.  Other codes
 * pass through.
 */
static inline int fr_undecodable_to_produce_error(int rc) {
    return rc == FR_ERR_CORRUPT_MESSAGE ? FR_ERR_UNKNOWN_SERVER_ERROR : rc;
}

/*
 * An upper bound on what fr_decompress(codec, in, len, ...) appends when it
 * succeeds, read from the stream's framing without decoding it: lz4 only
 * (its blocks declare their maximum decoded size), so that the broker can
 * tell a batch cheap to check from one that expands a hundredfold.
 * SIZE_MAX for every other codec, and for input whose framing fr_decompress
 * would refuse.  Reads nothing outside in[0..len).
 */
size_t fr_decompress_bound(int codec, const uint8_t *in, size_t len);

/*
 * Compresses in[0..len) with codec (1..4) at the codec's default level and
 * appends the result to out, in the forms above (snappy: xerial framing with
 * 32 KiB blocks, as the Java client writes; lz4: independent 64 KiB blocks,
 * which every Kafka client reads).  Returns 0,
 * FR_ERR_UNSUPPORTED_COMPRESSION_TYPE or FR_ERR_NOMEM (out cut back).
 */
int fr_compress(int codec, const uint8_t *in, size_t len, fr_writer_t *out);

/*
 * The same at a level, as Kafka's compression.gzip.level (-1, 1..9),
 * compression.lz4.level (1..17; 9, the default, is lz4's fast compressor,
 * any other the high-compression one) and compression.zstd.level
 * (-131072..22) give it; FR_COMPRESSION_LEVEL_DEFAULT is the codec's
 * default, and snappy has no levels.  The caller checks the range.
 */
#define FR_COMPRESSION_LEVEL_DEFAULT INT32_MIN
int fr_compress_level(int codec, int level, const uint8_t *in, size_t len, fr_writer_t *out);

#endif
