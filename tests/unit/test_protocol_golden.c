/*
 * Hand-derived byte vectors from the Kafka protocol guide, to catch mistakes
 * a round trip cannot (a reader and writer wrong in the same way), plus
 * negative cases: truncation at every byte, hostile array counts, nulls where
 * a version forbids them, unknown tags, unknown apis.
 */
#include <stdlib.h>
#include <string.h>

#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_messages.h"
#include "fr_test.h"

static int same_bytes(const fr_writer_t *w, const uint8_t *want, size_t n) {
    if (w->len != n) {
        fprintf(stderr, "  encoded %zu bytes, want %zu\n", w->len, n);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (w->buf[i] != want[i]) {
            fprintf(stderr, "  byte %zu: 0x%02x, want 0x%02x\n", i, w->buf[i], want[i]);
            return 0;
        }
    }
    return 1;
}

/* Reads every strict prefix of a request body (from an exactly-sized copy,
 * so that AddressSanitizer catches any over-read) and expects FR_ERR_PARSE. */
static void check_truncations(int16_t key, int16_t version, const uint8_t *body, size_t n) {
    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    for (size_t len = 0; len < n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, body, len);
        fr_reader_t r;
        void *out;
        fr_reader_init(&r, copy, len);
        FR_CHECK_EQ_INT(fr_request_read_any(&r, key, version, &arena, &out), FR_ERR_PARSE);
        free(copy);
        fr_arena_reset(&arena);
    }
    fr_arena_free(&arena);
}

/* ApiVersions v0: header v1 with client id "cli", empty body. */
FR_TEST(api_versions_v0_request) {
    static const uint8_t frame[] = {
        0x00, 0x12,             /* api key 18 */
        0x00, 0x00,             /* version 0 */
        0x00, 0x00, 0x00, 0x01, /* correlation id 1 */
        0x00, 0x03, 'c', 'l', 'i',
    };
    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    fr_reader_t r;
    fr_reader_init(&r, frame, sizeof(frame));
    fr_request_header_t h;
    FR_CHECK_EQ_INT(fr_request_header_read(&r, &h), 0);
    FR_CHECK_EQ_INT(h.api_key, FR_API_API_VERSIONS);
    FR_CHECK_EQ_INT(h.api_version, 0);
    FR_CHECK_EQ_INT(h.correlation_id, 1);
    FR_CHECK(fr_slice_eq_cstr(h.client_id, "cli"));
    fr_api_versions_request_t req;
    FR_CHECK_EQ_INT(fr_api_versions_request_read(&r, 0, &arena, &req), 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);

    fr_writer_t w;
    fr_writer_init(&w);
    fr_request_header_write(&w, &h);
    fr_api_versions_request_write(&w, 0, &req);
    FR_CHECK(same_bytes(&w, frame, sizeof(frame)));
    fr_writer_free(&w);
    fr_arena_free(&arena);
}

/* ApiVersions v0 response: header v0, error 0, one api (Produce 3..9). */
FR_TEST(api_versions_v0_response) {
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x07, /* correlation id 7 */
        0x00, 0x00,             /* error code */
        0x00, 0x00, 0x00, 0x01, /* api_keys: 1 */
        0x00, 0x00, 0x00, 0x03, 0x00, 0x09,
    };
    fr_api_versions_response_api_version_t key = {.api_key = 0, .min_version = 3, .max_version = 9};
    fr_api_versions_response_t resp;
    fr_api_versions_response_init(&resp);
    resp.api_keys = &key;
    resp.api_keys_count = 1;
    fr_writer_t w;
    fr_writer_init(&w);
    fr_response_header_write(&w, FR_API_API_VERSIONS, 0, 7);
    fr_api_versions_response_write(&w, 0, &resp);
    FR_CHECK(same_bytes(&w, want, sizeof(want)));

    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    fr_reader_t r;
    fr_reader_init(&r, want, sizeof(want));
    int32_t corr;
    fr_api_versions_response_t back;
    FR_CHECK_EQ_INT(fr_response_header_read(&r, FR_API_API_VERSIONS, 0, &corr), 0);
    FR_CHECK_EQ_INT(corr, 7);
    FR_CHECK_EQ_INT(fr_api_versions_response_read(&r, 0, &arena, &back), 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);
    FR_CHECK_EQ_INT(back.api_keys_count, 1);
    FR_CHECK_EQ_INT(back.api_keys[0].max_version, 9);
    fr_writer_free(&w);
    fr_arena_free(&arena);
}

/* ApiVersions v3: the response header stays v0 (no tag section); other
 * flexible responses get header v1. */
FR_TEST(response_header_versions) {
    fr_writer_t w;
    fr_writer_init(&w);
    fr_response_header_write(&w, FR_API_API_VERSIONS, 3, 1);
    FR_CHECK_EQ_INT(w.len, 4);
    fr_writer_reset(&w);
    fr_response_header_write(&w, FR_API_METADATA, 9, 1);
    FR_CHECK_EQ_INT(w.len, 5);
    FR_CHECK_EQ_INT(w.buf[4], 0);
    fr_writer_reset(&w);
    fr_response_header_write(&w, FR_API_METADATA, 8, 1);
    FR_CHECK_EQ_INT(w.len, 4);
    fr_writer_free(&w);
}

/* Flexible ApiVersions v3 request: header v2 (classic client id, then
 * tags), compact strings, a trailing tag section holding an unknown tag. */
FR_TEST(api_versions_v3_request_flexible) {
    static const uint8_t frame[] = {
        0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05,
        0x00, 0x04, 'r', 'd', 'k', 'a',                  /* client id (int16 length) */
        0x00,                                             /* header tags: none */
        0x0b, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a', /* compact "librdkafka" */
        0x06, '2', '.', '3', '.', '0',                    /* compact "2.3.0" */
        0x01, 0x07, 0x02, 0xaa, 0xbb,                     /* one tag: 7, 2 bytes */
    };
    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    fr_reader_t r;
    fr_reader_init(&r, frame, sizeof(frame));
    fr_request_header_t h;
    fr_api_versions_request_t req;
    FR_CHECK_EQ_INT(fr_request_header_read(&r, &h), 0);
    FR_CHECK(fr_slice_eq_cstr(h.client_id, "rdka"));
    FR_CHECK_EQ_INT(fr_reader_offset(&r), 15);
    FR_CHECK_EQ_INT(fr_api_versions_request_read(&r, 3, &arena, &req), 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);
    FR_CHECK(fr_slice_eq_cstr(req.client_software_name, "librdkafka"));
    FR_CHECK(fr_slice_eq_cstr(req.client_software_version, "2.3.0"));

    /* Written back, the unknown tag is dropped: an empty tag section. */
    fr_writer_t w;
    fr_writer_init(&w);
    fr_request_header_write(&w, &h);
    fr_api_versions_request_write(&w, 3, &req);
    FR_CHECK_EQ_INT(w.len, sizeof(frame) - 4);
    FR_CHECK(memcmp(w.buf, frame, sizeof(frame) - 5) == 0);
    FR_CHECK_EQ_INT(w.buf[w.len - 1], 0);

    /* A tag whose size overruns the message is an error. */
    uint8_t bad[sizeof(frame)];
    memcpy(bad, frame, sizeof(frame));
    bad[sizeof(frame) - 3] = 0x03;
    fr_reader_init(&r, bad + 15, sizeof(bad) - 15);
    FR_CHECK_EQ_INT(fr_api_versions_request_read(&r, 3, &arena, &req), FR_ERR_PARSE);

    check_truncations(FR_API_API_VERSIONS, 3, frame + 15, sizeof(frame) - 15);
    fr_writer_free(&w);
    fr_arena_free(&arena);
}

/* Metadata v1 with one topic "foo"; null topics ("all") from v1 only. */
FR_TEST(metadata_v1_request) {
    static const uint8_t body[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'f', 'o', 'o'};
    static const uint8_t all[] = {0xff, 0xff, 0xff, 0xff};
    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    fr_reader_t r;
    fr_metadata_request_t req;
    fr_reader_init(&r, body, sizeof(body));
    FR_CHECK_EQ_INT(fr_metadata_request_read(&r, 1, &arena, &req), 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);
    FR_CHECK_EQ_INT(req.topics_count, 1);
    FR_CHECK(fr_slice_eq_cstr(req.topics[0].name, "foo"));
    FR_CHECK(req.allow_auto_topic_creation);  /* v4+ field: default true */

    fr_writer_t w;
    fr_writer_init(&w);
    fr_metadata_request_write(&w, 1, &req);
    FR_CHECK(same_bytes(&w, body, sizeof(body)));

    fr_reader_init(&r, all, sizeof(all));
    FR_CHECK_EQ_INT(fr_metadata_request_read(&r, 1, &arena, &req), 0);
    FR_CHECK_EQ_INT(req.topics_count, -1);
    fr_reader_init(&r, all, sizeof(all));
    FR_CHECK_EQ_INT(fr_metadata_request_read(&r, 0, &arena, &req), FR_ERR_PARSE);
    /* and a null array is written as empty where the version forbids null */
    fr_writer_reset(&w);
    fr_metadata_request_write(&w, 0, &req);
    static const uint8_t empty[] = {0, 0, 0, 0};
    FR_CHECK(same_bytes(&w, empty, sizeof(empty)));

    check_truncations(FR_API_METADATA, 1, body, sizeof(body));
    fr_writer_free(&w);
    fr_arena_free(&arena);
}

/* Produce v9 (flexible): compact nullable string (null = 0x00), compact
 * arrays and records, tag sections after each struct. */
FR_TEST(produce_v9_request_compact) {
    static const uint8_t body[] = {
        0x00,                   /* transactional id: null */
        0xff, 0xff,             /* acks -1 */
        0x00, 0x00, 0x75, 0x30, /* timeout 30000 */
        0x02,                   /* topic_data: 1 */
        0x02, 't',              /* name "t" */
        0x02,                   /* partition_data: 1 */
        0x00, 0x00, 0x00, 0x00, /* index 0 */
        0x04, 0xa1, 0xa2, 0xa3, /* records: 3 bytes */
        0x00,                   /* partition tags */
        0x00,                   /* topic tags */
        0x00,                   /* message tags */
    };
    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    fr_reader_t r;
    fr_produce_request_t req;
    fr_reader_init(&r, body, sizeof(body));
    FR_CHECK_EQ_INT(fr_produce_request_read(&r, 9, &arena, &req), 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);
    FR_CHECK(fr_slice_is_null(req.transactional_id));
    FR_CHECK_EQ_INT(req.acks, -1);
    FR_CHECK_EQ_INT(req.timeout_ms, 30000);
    FR_CHECK_EQ_INT(req.topic_data[0].partition_data[0].records.len, 3);

    fr_writer_t w;
    fr_writer_init(&w);
    fr_produce_request_write(&w, 9, &req);
    FR_CHECK(same_bytes(&w, body, sizeof(body)));
    /* "tx" instead of null: length+1 = 3 */
    req.transactional_id = fr_slice_from_cstr("tx");
    fr_writer_reset(&w);
    fr_produce_request_write(&w, 9, &req);
    FR_CHECK(w.len == sizeof(body) + 2 && w.buf[0] == 0x03 && w.buf[1] == 't' && w.buf[2] == 'x');

    check_truncations(FR_API_PRODUCE, 9, body, sizeof(body));
    fr_writer_free(&w);
    fr_arena_free(&arena);
}

/* Produce v3: header v1, classic encodings, records pointing into the
 * (writable) request buffer so the broker can patch offsets in place. */
FR_TEST(produce_v3_frame_with_records) {
    uint8_t frame[] = {
        0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x2a,  /* Produce v3, correlation 42 */
        0x00, 0x06, 'c', 'l', 'i', 'e', 'n', 't',
        0xff, 0xff,                                      /* transactional id: null */
        0x00, 0x01,                                      /* acks 1 */
        0x00, 0x00, 0x03, 0xe8,                          /* timeout 1000 */
        0x00, 0x00, 0x00, 0x01,                          /* topic_data: 1 */
        0x00, 0x05, 't', 'o', 'p', 'i', 'c',
        0x00, 0x00, 0x00, 0x01,                          /* partition_data: 1 */
        0x00, 0x00, 0x00, 0x02,                          /* index 2 */
        0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5,           /* records: 5 bytes */
    };
    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    fr_reader_t r;
    fr_request_header_t h;
    void *any;
    fr_reader_init(&r, frame, sizeof(frame));
    FR_CHECK_EQ_INT(fr_request_header_read(&r, &h), 0);
    FR_CHECK_EQ_INT(h.api_key, FR_API_PRODUCE);
    FR_CHECK_EQ_INT(h.correlation_id, 42);
    size_t body_at = fr_reader_offset(&r);
    FR_CHECK_EQ_INT(body_at, 16);
    FR_CHECK_EQ_INT(fr_request_read_any(&r, h.api_key, h.api_version, &arena, &any), 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);
    fr_produce_request_t *req = any;
    FR_CHECK(fr_slice_is_null(req->transactional_id));
    FR_CHECK_EQ_INT(req->acks, 1);
    FR_CHECK_EQ_INT(req->topic_data_count, 1);
    FR_CHECK(fr_slice_eq_cstr(req->topic_data[0].name, "topic"));
    fr_records_t *rec = &req->topic_data[0].partition_data[0].records;
    FR_CHECK_EQ_INT(req->topic_data[0].partition_data[0].index, 2);
    FR_CHECK_EQ_INT(rec->len, 5);
    FR_CHECK_EQ_INT(rec->fd, -1);
    FR_CHECK(rec->ptr == frame + sizeof(frame) - 5);
    rec->ptr[0] = 9;  /* patched in place */
    FR_CHECK_EQ_INT(frame[sizeof(frame) - 5], 9);
    rec->ptr[0] = 1;

    fr_writer_t w;
    fr_writer_init(&w);
    fr_request_header_write(&w, &h);
    FR_CHECK_EQ_INT(fr_request_write_any(&w, h.api_key, h.api_version, req), 0);
    FR_CHECK(same_bytes(&w, frame, sizeof(frame)));

    check_truncations(FR_API_PRODUCE, 3, frame + body_at, sizeof(frame) - body_at);
    fr_writer_free(&w);
    fr_arena_free(&arena);
}

static int unrefs;
static void count_unref(void *ref) {
    unrefs += *(int *)ref;
}

/* File-backed records are spliced into the writer, not copied, and the
 * writer releases the reference. */
FR_TEST(records_from_a_file_are_spliced) {
    int one = 1;
    fr_fetch_response_partition_data_t part;
    fr_fetch_response_partition_data_init(&part);
    part.records = fr_records_file(7, 4096, 100, count_unref, &one);
    fr_fetch_response_fetchable_topic_response_t topic;
    fr_fetch_response_fetchable_topic_response_init(&topic);
    topic.topic = fr_slice_from_cstr("t");
    topic.partitions = &part;
    topic.partitions_count = 1;
    fr_fetch_response_t resp;
    fr_fetch_response_init(&resp);
    resp.responses = &topic;
    resp.responses_count = 1;

    fr_writer_t w;
    fr_writer_init(&w);
    unrefs = 0;
    fr_fetch_response_write(&w, 4, &resp);
    FR_CHECK_EQ_INT(w.nfiles, 1);
    FR_CHECK_EQ_INT(w.file_bytes, 100);
    FR_CHECK_EQ_INT(w.files[0].fd, 7);
    FR_CHECK_EQ_INT(w.files[0].offset, 4096);
    FR_CHECK_EQ_INT(w.files[0].at, w.len);  /* records are the last field */
    FR_CHECK_EQ_INT(fr_be32(w.buf + w.len - 4), 100);  /* int32 length prefix */
    FR_CHECK_EQ_INT(unrefs, 0);
    fr_writer_free(&w);
    FR_CHECK_EQ_INT(unrefs, 1);

    /* flexible: uvarint(len + 1) */
    part.records = fr_records_file(7, 0, 300, count_unref, &one);
    fr_writer_init(&w);
    fr_fetch_response_write(&w, 12, &resp);
    FR_CHECK_EQ_INT(w.nfiles, 1);
    FR_CHECK(w.files[0].at >= 2 && w.buf[w.files[0].at - 2] == 0xad && w.buf[w.files[0].at - 1] == 0x02);
    fr_writer_free(&w);
    FR_CHECK_EQ_INT(unrefs, 2);
}

/* Array counts are checked against the bytes left before any allocation. */
FR_TEST(huge_array_counts_are_refused) {
    static const uint8_t classic[] = {0x7f, 0xff, 0xff, 0xff, 0x00, 0x01, 'a'};
    static const uint8_t negative[] = {0xff, 0xff, 0xff, 0xfe};
    static const uint8_t compact[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x02, 'a', 0x00, 0x00};
    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    fr_reader_t r;
    fr_metadata_request_t md;
    fr_reader_init(&r, classic, sizeof(classic));
    FR_CHECK_EQ_INT(fr_metadata_request_read(&r, 1, &arena, &md), FR_ERR_PARSE);
    FR_CHECK_EQ_INT(md.topics_count, 0);
    fr_reader_init(&r, negative, sizeof(negative));
    FR_CHECK_EQ_INT(fr_metadata_request_read(&r, 1, &arena, &md), FR_ERR_PARSE);
    fr_reader_init(&r, compact, sizeof(compact));
    FR_CHECK_EQ_INT(fr_metadata_request_read(&r, 9, &arena, &md), FR_ERR_PARSE);
    /* OffsetFetch v0: an int32 array of 2 elements needs 8 bytes, not 7 */
    static const uint8_t short_ints[] = {
        0x00, 0x01, 'g',        /* group id */
        0x00, 0x00, 0x00, 0x01, /* topics: 1 */
        0x00, 0x01, 't',        /* name */
        0x00, 0x00, 0x00, 0x02, /* partition indexes: 2 */
        0, 0, 0, 0, 0, 0, 0, 1,
    };
    fr_offset_fetch_request_t of;
    fr_reader_init(&r, short_ints, sizeof(short_ints));
    FR_CHECK_EQ_INT(fr_offset_fetch_request_read(&r, 0, &arena, &of), 0);
    FR_CHECK(of.topics_count == 1 && of.topics[0].partition_indexes_count == 2);
    fr_reader_init(&r, short_ints, sizeof(short_ints) - 1);
    FR_CHECK_EQ_INT(fr_offset_fetch_request_read(&r, 0, &arena, &of), FR_ERR_PARSE);
    fr_arena_free(&arena);
}

/* A null string where the version does not allow one is an error. */
FR_TEST(nulls_only_where_allowed) {
    static const uint8_t null_name[] = {0, 0, 0, 1, 0xff, 0xff};
    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    fr_reader_t r;
    fr_metadata_request_t md;
    fr_reader_init(&r, null_name, sizeof(null_name));
    FR_CHECK_EQ_INT(fr_metadata_request_read(&r, 1, &arena, &md), FR_ERR_PARSE);
    /* a null topic name is fine from v10 (compact: 0x00), next to a topic id */
    uint8_t v10[1 + 16 + 1 + 1 + 1 + 1 + 1 + 1] = {0x02};
    fr_reader_init(&r, v10, sizeof(v10));
    FR_CHECK_EQ_INT(fr_metadata_request_read(&r, 10, &arena, &md), 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);
    FR_CHECK(md.topics_count == 1 && fr_slice_is_null(md.topics[0].name));
    fr_arena_free(&arena);
}

/* Unknown apis and versions: the header's fixed part is read, the body is
 * left for the broker to answer UNSUPPORTED_VERSION. */
FR_TEST(unknown_api_or_version) {
    static const uint8_t frame[] = {0x00, 0x12, 0x00, 0x04, 0, 0, 0, 9, 0xff, 0xff, 0x00, 0x01};
    fr_arena_t arena;
    fr_arena_init(&arena, 1024);
    fr_reader_t r;
    fr_request_header_t h;
    void *out;
    fr_reader_init(&r, frame, sizeof(frame));
    FR_CHECK_EQ_INT(fr_request_header_read(&r, &h), 0);
    FR_CHECK_EQ_INT(h.api_version, 4);
    FR_CHECK(fr_slice_is_null(h.client_id));
    FR_CHECK_EQ_INT(fr_reader_offset(&r), 10);  /* tags not read for v4 */
    FR_CHECK_EQ_INT(fr_request_read_any(&r, h.api_key, h.api_version, &arena, &out),
                    FR_ERR_UNSUPPORTED_VERSION);
    FR_CHECK(out == NULL);
    FR_CHECK_EQ_INT(fr_request_read_any(&r, 4, 0, &arena, &out), FR_ERR_UNSUPPORTED_VERSION);
    fr_writer_t w;
    fr_writer_init(&w);
    FR_CHECK_EQ_INT(fr_response_write_any(&w, 57, 0, &h), FR_ERR_UNSUPPORTED_VERSION);
    FR_CHECK_EQ_INT(w.len, 0);
    fr_writer_free(&w);
    /* a header cut short is a parse error */
    fr_reader_init(&r, frame, 9);
    FR_CHECK_EQ_INT(fr_request_header_read(&r, &h), FR_ERR_PARSE);
    fr_arena_free(&arena);
}

int main(void) {
    FR_RUN(api_versions_v0_request);
    FR_RUN(api_versions_v0_response);
    FR_RUN(response_header_versions);
    FR_RUN(api_versions_v3_request_flexible);
    FR_RUN(metadata_v1_request);
    FR_RUN(produce_v9_request_compact);
    FR_RUN(produce_v3_frame_with_records);
    FR_RUN(records_from_a_file_are_spliced);
    FR_RUN(huge_array_counts_are_refused);
    FR_RUN(nulls_only_where_allowed);
    FR_RUN(unknown_api_or_version);
    return fr_test_done();
}
