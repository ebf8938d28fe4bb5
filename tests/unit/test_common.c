/* Unit tests for freshet_common: reader bounds, varints, writer, arena, properties, file helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_arena.h"
#include "fr_array.h"
#include "fr_buf.h"
#include "fr_hash.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_props.h"
#include "fr_test.h"

FR_TEST(reader_refuses_reads_past_end) {
    uint8_t buf[3] = {0, 1, 2};
    fr_reader_t r;
    fr_reader_init(&r, buf, sizeof(buf));
    int16_t v16;
    int32_t v32;
    FR_CHECK_EQ_INT(fr_read_i16(&r, &v16), 0);
    FR_CHECK_EQ_INT(v16, 1);
    FR_CHECK_EQ_INT(fr_read_i32(&r, &v32), FR_ERR_PARSE);
    FR_CHECK_EQ_INT(r.err, FR_ERR_PARSE);
    FR_CHECK_EQ_INT(r.err_offset, 2);
    /* sticky: even a read that would fit fails now */
    int8_t v8;
    FR_CHECK_EQ_INT(fr_read_i8(&r, &v8), FR_ERR_PARSE);
}

FR_TEST(varints_round_trip) {
    int64_t samples[] = {0, 1, -1, 63, -64, 64, 300, -300, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    fr_writer_t w;
    fr_writer_init(&w);
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        fr_write_varlong(&w, samples[i]);
        if (samples[i] >= INT32_MIN && samples[i] <= INT32_MAX)
            fr_write_varint(&w, (int32_t)samples[i]);
    }
    fr_reader_t r;
    fr_reader_init(&r, w.buf, w.len);
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        int64_t l;
        FR_CHECK_EQ_INT(fr_read_varlong(&r, &l), 0);
        FR_CHECK(l == samples[i]);
        if (samples[i] >= INT32_MIN && samples[i] <= INT32_MAX) {
            int32_t v;
            FR_CHECK_EQ_INT(fr_read_varint(&r, &v), 0);
            FR_CHECK_EQ_INT(v, samples[i]);
            FR_CHECK_EQ_INT(fr_varint_size((int32_t)samples[i]) > 0, 1);
        }
    }
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);
    fr_writer_free(&w);
}

FR_TEST(varint_too_long_is_an_error) {
    uint8_t buf[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    fr_reader_t r;
    fr_reader_init(&r, buf, sizeof(buf));
    int32_t v;
    FR_CHECK_EQ_INT(fr_read_varint(&r, &v), FR_ERR_PARSE);
}

FR_TEST(strings_classic_and_compact) {
    fr_writer_t w;
    fr_writer_init(&w);
    fr_write_string(&w, 0, fr_slice_from_cstr("topic"));
    fr_write_string(&w, 1, fr_slice_from_cstr("compact"));
    fr_write_string(&w, 0, FR_SLICE_NULL);
    fr_write_string(&w, 1, FR_SLICE_NULL);
    fr_reader_t r;
    fr_reader_init(&r, w.buf, w.len);
    fr_slice_t s;
    FR_CHECK_EQ_INT(fr_read_string(&r, 0, 0, &s), 0);
    FR_CHECK(fr_slice_eq_cstr(s, "topic"));
    FR_CHECK_EQ_INT(fr_read_string(&r, 1, 0, &s), 0);
    FR_CHECK(fr_slice_eq_cstr(s, "compact"));
    FR_CHECK_EQ_INT(fr_read_string(&r, 0, 1, &s), 0);
    FR_CHECK(fr_slice_is_null(s));
    /* a null where the field is not nullable is malformed */
    FR_CHECK_EQ_INT(fr_read_string(&r, 1, 0, &s), FR_ERR_PARSE);
    fr_writer_free(&w);
}

FR_TEST(string_length_beyond_buffer_is_refused) {
    uint8_t buf[] = {0x7f, 0xff, 'a', 'b'};
    fr_reader_t r;
    fr_reader_init(&r, buf, sizeof(buf));
    fr_slice_t s;
    FR_CHECK_EQ_INT(fr_read_string(&r, 0, 1, &s), FR_ERR_PARSE);
}

static int64_t java_length(const char *bytes, size_t n) {
    return fr_slice_java_length((fr_slice_t){(const uint8_t *)bytes, (int32_t)n});
}

/* Java's new String(bytes, UTF_8).length(): what Kafka's length limits count. */
FR_TEST(java_length_counts_utf16_units) {
    FR_CHECK_EQ_INT(fr_slice_java_length(FR_SLICE_NULL), 0);
    FR_CHECK_EQ_INT(java_length("abc", 3), 3);
    FR_CHECK_EQ_INT(java_length("\xc3\xa9\xc3\xa9", 4), 2);      /* two e-acute: 4 bytes, 2 chars */
    FR_CHECK_EQ_INT(java_length("\xe2\x82\xac", 3), 1);           /* the euro sign */
    FR_CHECK_EQ_INT(java_length("\xf0\x9f\x98\x80", 4), 2);       /* an emoji: a surrogate pair */
    FR_CHECK_EQ_INT(java_length("\x80\x80", 2), 2);               /* stray continuations: one U+FFFD each */
    FR_CHECK_EQ_INT(java_length("\xe2\x82" "a", 3), 2);            /* a cut sequence: one U+FFFD, then 'a' */
    FR_CHECK_EQ_INT(java_length("\xc0\xaf", 2), 2);               /* overlong: each byte malformed */
    FR_CHECK_EQ_INT(java_length("\xed\xa0\x80", 3), 3);           /* an encoded surrogate is malformed */
    FR_CHECK_EQ_INT(java_length("\xf0\x9f\x98", 3), 1);           /* a cut 4-byte sequence at the end */
}

/* Slices order by bytes, then length, as strcmp orders C strings; null is empty. */
FR_TEST(slices_compare_in_byte_order) {
    fr_slice_t a = fr_slice_from_cstr("ab"), abc = fr_slice_from_cstr("abc"), b = fr_slice_from_cstr("b");
    FR_CHECK(fr_slice_cmp(a, abc) < 0 && fr_slice_cmp(abc, a) > 0);
    FR_CHECK(fr_slice_cmp(abc, b) < 0 && fr_slice_cmp(b, a) > 0);
    FR_CHECK_EQ_INT(fr_slice_cmp(a, fr_slice_from_cstr("ab")), 0);
    FR_CHECK_EQ_INT(fr_slice_cmp(FR_SLICE_NULL, fr_slice_from_cstr("")), 0);
    FR_CHECK(fr_slice_cmp(FR_SLICE_NULL, a) < 0);
    FR_CHECK((fr_slice_cmp(abc, b) < 0) == (fr_slice_cmp_cstr(abc, "b") < 0));
}

FR_TEST(hostile_array_count_is_refused_before_allocation) {
    uint8_t buf[] = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    fr_reader_t r;
    fr_reader_init(&r, buf, sizeof(buf));
    int32_t n;
    FR_CHECK_EQ_INT(fr_read_array_len(&r, 0, 4, &n), FR_ERR_PARSE);
    uint8_t ok[] = {0, 0, 0, 1, 0, 0, 0, 7};
    fr_reader_init(&r, ok, sizeof(ok));
    FR_CHECK_EQ_INT(fr_read_array_len(&r, 0, 4, &n), 0);
    FR_CHECK_EQ_INT(n, 1);
}

FR_TEST(tags_are_skipped) {
    uint8_t buf[] = {2, 0, 1, 0xaa, 5, 2, 0xbb, 0xcc, 9};
    fr_reader_t r;
    fr_reader_init(&r, buf, sizeof(buf));
    FR_CHECK_EQ_INT(fr_read_skip_tags(&r), 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 1);
}

static int unrefs;
static void count_unref(void *ref) { (void)ref; unrefs++; }

FR_TEST(writer_splices_files_and_patches) {
    /* a file of FR_WRITER_INLINE_FILE + 100 bytes: 'a', 'b', 'c', ... */
    char path[] = "./fr-writer-XXXXXX";
    int fd = mkstemp(path);
    FR_CHECK(fd >= 0);
    unlink(path);
    size_t flen = FR_WRITER_INLINE_FILE + 100;
    uint8_t *content = malloc(flen);
    for (size_t i = 0; i < flen; i++)
        content[i] = (uint8_t)('a' + i % 26);
    FR_CHECK(write(fd, content, flen) == (ssize_t)flen);

    fr_writer_t w;
    fr_writer_init(&w);
    unrefs = 0;
    size_t at = fr_writer_reserve(&w, 4);
    fr_write_i16(&w, 7);
    fr_writer_put_file(&w, fd, 0, flen, count_unref, NULL); /* big: spliced */
    fr_write_i8(&w, 1);
    fr_writer_put_file(&w, fd, 2, 50, count_unref, NULL); /* small: read in, reference dropped */
    FR_CHECK_EQ_INT(unrefs, 1);
    fr_writer_put_file(&w, fd, (int64_t)flen - 10, 50, count_unref, NULL); /* comes short: spliced */
    fr_writer_patch_i32(&w, at, (int32_t)(fr_writer_size(&w) - 4));
    FR_CHECK_EQ_INT(fr_writer_size(&w), 4 + 2 + flen + 1 + 50 + 50);
    FR_CHECK_EQ_INT(fr_be32(w.buf), (int64_t)(2 + flen + 1 + 50 + 50));
    FR_CHECK_EQ_INT(w.nfiles, 2);
    FR_CHECK_EQ_INT(w.files[0].at, 6);
    FR_CHECK_EQ_INT(w.files[0].len, flen);
    FR_CHECK_EQ_INT(w.files[1].at, 6 + 1 + 50);
    FR_CHECK(memcmp(w.buf + 7, content + 2, 50) == 0);
    fr_writer_free(&w);
    FR_CHECK_EQ_INT(unrefs, 3);
    free(content);
    close(fd);
}

FR_TEST(arena_allocates_aligned_and_resets) {
    fr_arena_t a;
    fr_arena_init(&a, 64);
    void *p1 = fr_arena_alloc(&a, 3);
    void *p2 = fr_arena_alloc(&a, 1000);
    FR_CHECK(p1 && p2);
    FR_CHECK(((uintptr_t)p1 & 15) == 0 && ((uintptr_t)p2 & 15) == 0);
    FR_CHECK(fr_arena_calloc(&a, SIZE_MAX / 2, 4) == NULL);
    char *s = fr_arena_strndup(&a, "abc", 2);
    FR_CHECK_EQ_STR(s, "ab");
    fr_arena_reset(&a);
    FR_CHECK(fr_arena_alloc(&a, 8) != NULL);
    fr_arena_free(&a);
}

FR_TEST(arena_keeps_the_block_a_big_request_grew_into) {
    fr_arena_t a;
    fr_arena_init(&a, 16384);
    /* a request of a few hundred KiB in pieces: blocks double until one holds it */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++)
            FR_CHECK(fr_arena_alloc(&a, 3000) != NULL);
        fr_arena_reset(&a);
    }
    const void *kept = a.head;
    for (int i = 0; i < 100; i++) /* the same request again: no new block */
        FR_CHECK(fr_arena_alloc(&a, 3000) != NULL);
    FR_CHECK(a.head == kept);
    fr_arena_reset(&a);
    /* a block over the 512 KiB cap is not kept */
    FR_CHECK(fr_arena_alloc(&a, 600 * 1024) != NULL);
    fr_arena_reset(&a);
    FR_CHECK(a.head == kept);
    fr_arena_free(&a);
}

FR_TEST(array_grows_by_doubling_and_fails_cleanly) {
    int64_t *a = NULL;
    size_t cap = 0;
    FR_CHECK_EQ_INT(FR_ARRAY_GROW(a, cap, 0, 8), 0);
    FR_CHECK(a == NULL && cap == 0);
    FR_CHECK_EQ_INT(FR_ARRAY_GROW(a, cap, 1, 8), 0);
    FR_CHECK(a != NULL);
    FR_CHECK_EQ_INT(cap, 8);
    for (int i = 0; i < 8; i++)
        a[i] = i;
    FR_CHECK_EQ_INT(FR_ARRAY_GROW(a, cap, 9, 8), 0);
    FR_CHECK_EQ_INT(cap, 16);
    FR_CHECK_EQ_INT(FR_ARRAY_GROW(a, cap, 100, 8), 0);
    FR_CHECK_EQ_INT(cap, 128); /* doubled until it held 100 */
    FR_CHECK_EQ_INT(a[7], 7);   /* kept across both moves */
    int64_t *before = a;
    FR_CHECK_EQ_INT(FR_ARRAY_GROW(a, cap, 50, 8), 0); /* already room: untouched */
    FR_CHECK(a == before && cap == 128);
    /* a size that would overflow is refused with the array left as it was */
    FR_CHECK_EQ_INT(FR_ARRAY_GROW(a, cap, SIZE_MAX / 4, 8), FR_ERR_NOMEM);
    FR_CHECK(a == before && cap == 128 && a[7] == 7);
    free(a);
    char *s = NULL;
    size_t scap = 0;
    FR_CHECK_EQ_INT(FR_ARRAY_GROW(s, scap, 3, 0), 0); /* a first capacity of 0 starts at 1 */
    FR_CHECK_EQ_INT(scap, 4);
    free(s);
}

FR_TEST(properties_parse_like_java) {
    const char *text =
        "# comment\n"
        "! also comment\n"
        "broker.id=0\n"
        "listeners = PLAINTEXT://127.0.0.1:9092\n"
        "log.dirs: /tmp/x\n"
        "spaced value with spaces\n"
        "multi=one,\\\n"
        "      two\n"
        "esc=a\\tb\\u0041\n"
        "empty=\n"
        "broker.id=1\n";
    fr_props_t p;
    fr_props_init(&p);
    char err[256];
    FR_CHECK_EQ_INT(fr_props_parse(&p, text, strlen(text), err, sizeof(err)), 0);
    FR_CHECK_EQ_STR(fr_props_get(&p, "broker.id"), "1");
    FR_CHECK_EQ_STR(fr_props_get(&p, "listeners"), "PLAINTEXT://127.0.0.1:9092");
    FR_CHECK_EQ_STR(fr_props_get(&p, "log.dirs"), "/tmp/x");
    FR_CHECK_EQ_STR(fr_props_get(&p, "spaced"), "value with spaces");
    FR_CHECK_EQ_STR(fr_props_get(&p, "multi"), "one,two");
    FR_CHECK_EQ_STR(fr_props_get(&p, "esc"), "a\tbA");
    FR_CHECK_EQ_STR(fr_props_get(&p, "empty"), "");
    FR_CHECK(fr_props_get(&p, "missing") == NULL);
    FR_CHECK_EQ_INT(fr_props_set_kv(&p, "novalue", err, sizeof(err)), FR_ERR_CONFIG);
    FR_CHECK_EQ_INT(fr_props_set_kv(&p, "a.b=c=d", err, sizeof(err)), 0);
    FR_CHECK_EQ_STR(fr_props_get(&p, "a.b"), "c=d");
    fr_props_free(&p);
}

FR_TEST(error_names_and_mapping) {
    FR_CHECK_EQ_STR(fr_err_name(FR_ERR_UNKNOWN_TOPIC_OR_PARTITION), "UNKNOWN_TOPIC_OR_PARTITION");
    FR_CHECK_EQ_INT(fr_err_to_kafka(FR_ERR_PARSE), FR_ERR_INVALID_REQUEST);
    FR_CHECK_EQ_INT(fr_err_to_kafka(FR_ERR_MESSAGE_TOO_LARGE), 10);
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

FR_TEST(mkdir_p_makes_missing_parents_and_accepts_existing) {
    char base[] = "/tmp/fr-mkdir-XXXXXX", path[256], file[256];
    FR_CHECK(mkdtemp(base) != NULL);
    snprintf(path, sizeof(path), "%s/a/b/c", base);
    FR_CHECK_EQ_INT(fr_mkdir_p(path), 0); /* three missing levels */
    FR_CHECK(is_dir(path));
    FR_CHECK_EQ_INT(fr_mkdir_p(path), 0); /* already there */
    snprintf(path, sizeof(path), "%s/a/b/d", base);
    FR_CHECK_EQ_INT(fr_mkdir_p(path), 0); /* only the last level missing */
    FR_CHECK(is_dir(path));
    /* a file in the way: refused, with the reason in errno */
    snprintf(file, sizeof(file), "%s/f", base);
    FILE *f = fopen(file, "w");
    FR_CHECK(f != NULL);
    fclose(f);
    snprintf(path, sizeof(path), "%s/f/x", base);
    errno = 0;
    FR_CHECK_EQ_INT(fr_mkdir_p(path), -1);
    FR_CHECK_EQ_INT(errno, ENOTDIR);
    errno = 0;
    FR_CHECK_EQ_INT(fr_mkdir_p(file), -1); /* the name is taken by a file, as mkdir -p says */
    FR_CHECK_EQ_INT(errno, EEXIST);
    unlink(file);
    snprintf(path, sizeof(path), "%s/a/b/c", base);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/a/b/d", base);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/a/b", base);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/a", base);
    rmdir(path);
    FR_CHECK_EQ_INT(rmdir(base), 0); /* nothing else was left behind */
}

static size_t read_file(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f)
        return (size_t)-1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

FR_TEST(file_replace_is_all_or_nothing_and_rmtree_stays_inside) {
    char base[] = "/tmp/fr-fs-XXXXXX", outside[] = "/tmp/fr-fs-out-XXXXXX", path[256], tmp[256], buf[64];
    FR_CHECK(mkdtemp(base) != NULL);
    FR_CHECK(mkdtemp(outside) != NULL);
    snprintf(path, sizeof(path), "%s/file", base);
    snprintf(tmp, sizeof(tmp), "%s/file.tmp", base);
    FR_CHECK_EQ_INT(fr_file_replace(path, "first", 5, 0), 0);
    FR_CHECK_EQ_INT((int)read_file(path, buf, sizeof(buf)), 5);
    FR_CHECK_EQ_STR(buf, "first");
    FR_CHECK_EQ_INT(fr_file_replace(path, "2nd", 3, FR_FS_SYNC_DIR), 0); /* shorter: the old tail is gone */
    FR_CHECK_EQ_INT((int)read_file(path, buf, sizeof(buf)), 3);
    FR_CHECK_EQ_STR(buf, "2nd");
    FR_CHECK(access(tmp, F_OK) != 0);
    /* the rename cannot happen (a directory holds the name): the old content stays, no temp file */
    snprintf(path, sizeof(path), "%s/adir", base);
    FR_CHECK_EQ_INT(fr_mkdir_p(path), 0);
    snprintf(tmp, sizeof(tmp), "%s/adir/inner", base);
    FR_CHECK_EQ_INT(fr_file_replace(tmp, "x", 1, 0), 0);
    errno = 0;
    FR_CHECK_EQ_INT(fr_file_replace(path, "x", 1, 0), -1);
    FR_CHECK(errno != 0);
    snprintf(tmp, sizeof(tmp), "%s/adir.tmp", base);
    FR_CHECK(access(tmp, F_OK) != 0);
    snprintf(path, sizeof(path), "%s/missing/file", base);
    errno = 0;
    FR_CHECK_EQ_INT(fr_file_replace(path, "x", 1, 0), -1);
    FR_CHECK_EQ_INT(errno, ENOENT);

    /* rmtree: nested dirs and files go, a symlink to a dir outside is removed, not followed */
    snprintf(path, sizeof(path), "%s/adir/deep/er", base);
    FR_CHECK_EQ_INT(fr_mkdir_p(path), 0);
    snprintf(tmp, sizeof(tmp), "%s/keep", outside);
    FR_CHECK_EQ_INT(fr_file_replace(tmp, "k", 1, 0), 0);
    snprintf(path, sizeof(path), "%s/adir/deep/link", base);
    FR_CHECK_EQ_INT(symlink(outside, path), 0);
    FR_CHECK_EQ_INT(fr_rmtree(base), 0);
    FR_CHECK(access(base, F_OK) != 0);
    FR_CHECK_EQ_INT(access(tmp, F_OK), 0);
    FR_CHECK_EQ_INT(fr_rmtree(base), 0); /* already gone is fine */
    FR_CHECK_EQ_INT(fr_rmtree(tmp), 0);  /* a plain file is removed */
    FR_CHECK(access(tmp, F_OK) != 0);
    FR_CHECK_EQ_INT(rmdir(outside), 0);
}

FR_TEST(hash_is_xxh3) {
    /* XXH3_64bits of the empty input, from xxHash's own test vectors: the library, not a stand-in */
    FR_CHECK(fr_hash_bytes("", 0) == 0x2D06800538D394C2ULL);
    FR_CHECK(fr_hash_bytes("topic", 5) == fr_hash_bytes_seed("topic", 5, 0));
    FR_CHECK(fr_hash_bytes_seed("topic", 5, 1) != fr_hash_bytes_seed("topic", 5, 2));
}

int main(void) {
    FR_RUN(reader_refuses_reads_past_end);
    FR_RUN(varints_round_trip);
    FR_RUN(varint_too_long_is_an_error);
    FR_RUN(strings_classic_and_compact);
    FR_RUN(string_length_beyond_buffer_is_refused);
    FR_RUN(java_length_counts_utf16_units);
    FR_RUN(slices_compare_in_byte_order);
    FR_RUN(hostile_array_count_is_refused_before_allocation);
    FR_RUN(tags_are_skipped);
    FR_RUN(writer_splices_files_and_patches);
    FR_RUN(arena_allocates_aligned_and_resets);
    FR_RUN(arena_keeps_the_block_a_big_request_grew_into);
    FR_RUN(array_grows_by_doubling_and_fails_cleanly);
    FR_RUN(properties_parse_like_java);
    FR_RUN(error_names_and_mapping);
    FR_RUN(mkdir_p_makes_missing_parents_and_accepts_existing);
    FR_RUN(file_replace_is_all_or_nothing_and_rmtree_stays_inside);
    FR_RUN(hash_is_xxh3);
    return fr_test_done();
}
