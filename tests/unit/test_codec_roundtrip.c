/*
 * Round trips through the generated codecs, for every API we serve, both
 * directions, every supported version: sample -> write -> read -> write
 * again must give identical bytes, with the reader consuming exactly what was
 * written.  Then every strict prefix of each encoding must fail to parse
 * (read from an exactly-sized copy, so AddressSanitizer sees any over-read).
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_messages.h"
#include "fr_messages_sample.h"
#include "fr_test.h"

/* Encodes the sample for (key, version) into w; returns 0 or -1. */
static int encode_sample(int request, int16_t key, int16_t version, fr_arena_t *arena,
                         fr_writer_t *w) {
    void *msg = request ? fr_request_sample_any(key, version, arena)
                        : fr_response_sample_any(key, version, arena);
    if (!msg)
        return -1;
    int rc = request ? fr_request_write_any(w, key, version, msg)
                     : fr_response_write_any(w, key, version, msg);
    return rc == 0 && w->err == 0 ? 0 : -1;
}

static int read_any(int request, fr_reader_t *r, int16_t key, int16_t version,
                    fr_arena_t *arena, void **out) {
    return request ? fr_request_read_any(r, key, version, arena, out)
                   : fr_response_read_any(r, key, version, arena, out);
}

static void roundtrip_one(int request, int16_t key, int16_t version) {
    const char *what = request ? "request" : "response";
    fr_arena_t arena;
    fr_writer_t first, second;
    fr_arena_init(&arena, 4096);
    fr_writer_init(&first);
    fr_writer_init(&second);

    FR_CHECK_EQ_INT(encode_sample(request, key, version, &arena, &first), 0);
    FR_CHECK(first.nfiles == 0);

    fr_reader_t r;
    void *back = NULL;
    /* an empty encoding leaves buf NULL; the reader wants a real pointer */
    fr_reader_init(&r, first.len ? first.buf : (const uint8_t *)"", first.len);
    int rc = read_any(request, &r, key, version, &arena, &back);
    if (rc != 0 || fr_reader_left(&r) != 0)
        fprintf(stderr, "  key %d v%d %s: rc %d, %zu bytes left, error at %zu (%s)\n", key,
                version, what, rc, fr_reader_left(&r), r.err_offset,
                r.err_what ? r.err_what : "-");
    FR_CHECK_EQ_INT(rc, 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);

    if (rc == 0) {
        FR_CHECK_EQ_INT(request ? fr_request_write_any(&second, key, version, back)
                                : fr_response_write_any(&second, key, version, back), 0);
        FR_CHECK_EQ_INT(second.len, first.len);
        if (second.len == first.len && first.len && memcmp(first.buf, second.buf, first.len) != 0) {
            fprintf(stderr, "  key %d v%d %s: second encoding differs\n", key, version, what);
            FR_CHECK(0);
        }
    }
    fr_writer_free(&first);
    fr_writer_free(&second);
    fr_arena_free(&arena);
}

/* Every strict prefix of a valid encoding is a parse error, never a crash. */
static void truncations_one(int request, int16_t key, int16_t version) {
    fr_arena_t arena;
    fr_writer_t w;
    fr_arena_init(&arena, 4096);
    fr_writer_init(&w);
    FR_CHECK_EQ_INT(encode_sample(request, key, version, &arena, &w), 0);
    for (size_t n = 0; n < w.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, w.buf, n);
        fr_reader_t r;
        void *out;
        fr_reader_init(&r, copy, n);
        int rc = read_any(request, &r, key, version, &arena, &out);
        if (rc != FR_ERR_PARSE)
            fprintf(stderr, "  key %d v%d: prefix %zu of %zu parsed\n", key, version, n, w.len);
        FR_CHECK_EQ_INT(rc, FR_ERR_PARSE);
        free(copy);
        fr_arena_reset(&arena);
    }
    fr_writer_free(&w);
    fr_arena_free(&arena);
}

static void for_every_version(void (*fn)(int, int16_t, int16_t)) {
    for (size_t i = 0; i < fr_api_table_len; i++) {
        const fr_api_info_t *api = &fr_api_table[i];
        for (int16_t v = api->min_version; v <= api->max_version; v++) {
            fn(1, api->key, v);
            fn(0, api->key, v);
        }
    }
}

FR_TEST(every_message_round_trips_at_every_version) {
    for_every_version(roundtrip_one);
}

FR_TEST(every_truncation_is_a_parse_error) {
    for_every_version(truncations_one);
}

FR_TEST(api_table_is_sorted_and_complete) {
    static const struct { int16_t key, min, max, flex; } want[] = {
        {FR_API_PRODUCE, 0, 9, 9},          {FR_API_FETCH, 4, 17, 12},
        {FR_API_LIST_OFFSETS, 0, 10, 6},    {FR_API_METADATA, 0, 12, 9},
        {FR_API_OFFSET_COMMIT, 0, 8, 8},    {FR_API_OFFSET_FETCH, 0, 8, 6},
        {FR_API_FIND_COORDINATOR, 0, 4, 3}, {FR_API_JOIN_GROUP, 0, 9, 6},
        {FR_API_HEARTBEAT, 0, 4, 4},        {FR_API_LEAVE_GROUP, 0, 5, 4},
        {FR_API_SYNC_GROUP, 0, 5, 4},       {FR_API_DESCRIBE_GROUPS, 0, 5, 5},
        {FR_API_LIST_GROUPS, 0, 5, 3},      {FR_API_API_VERSIONS, 0, 3, 3},
        {FR_API_CREATE_TOPICS, 0, 7, 5},    {FR_API_DELETE_TOPICS, 0, 6, 4},
        {FR_API_INIT_PRODUCER_ID, 0, 4, 2}, {FR_API_DESCRIBE_CONFIGS, 0, 4, 4},
        {FR_API_CREATE_PARTITIONS, 0, 3, 2}, {FR_API_DELETE_GROUPS, 0, 2, 2},
        {FR_API_OFFSET_DELETE, 0, 0, -1},
        {FR_API_ALTER_CONFIGS, 0, 2, 2},    {FR_API_INCREMENTAL_ALTER_CONFIGS, 0, 1, 1},
        {FR_API_DELETE_RECORDS, 0, 2, 2},   {FR_API_DESCRIBE_LOG_DIRS, 0, 4, 2},
        {FR_API_DESCRIBE_ACLS, 0, 3, 2},    {FR_API_CREATE_ACLS, 0, 3, 2},
        {FR_API_DELETE_ACLS, 0, 3, 2},     {FR_API_SASL_HANDSHAKE, 0, 1, -1},
        {FR_API_SASL_AUTHENTICATE, 0, 2, 2},
        {FR_API_ALTER_PARTITION_REASSIGNMENTS, 0, 0, 0}, {FR_API_LIST_PARTITION_REASSIGNMENTS, 0, 0, 0},
        {FR_API_DESCRIBE_CLUSTER, 0, 1, 0}, {FR_API_DESCRIBE_PRODUCERS, 0, 0, 0},
        {FR_API_OFFSET_FOR_LEADER_EPOCH, 0, 4, 4},
        {FR_API_DESCRIBE_TOPIC_PARTITIONS, 0, 0, 0},
    };
    FR_CHECK_EQ_INT(fr_api_table_len, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const fr_api_info_t *api = fr_api_info(want[i].key);
        FR_CHECK(api != NULL);
        if (!api)
            continue;
        FR_CHECK_EQ_INT(api->min_version, want[i].min);
        FR_CHECK_EQ_INT(api->max_version, want[i].max);
        FR_CHECK_EQ_INT(api->flexible_min, want[i].flex);
        FR_CHECK(api->name && api->name[0]);
    }
    for (size_t i = 1; i < fr_api_table_len; i++)
        FR_CHECK(fr_api_table[i - 1].key < fr_api_table[i].key);
    FR_CHECK(fr_api_info(4) == NULL);
    FR_CHECK(fr_api_info(-1) == NULL);
    FR_CHECK_EQ_STR(fr_api_info(FR_API_LIST_OFFSETS)->name, "ListOffsets");
    FR_CHECK_EQ_INT(fr_api_supports(FR_API_FETCH, 3), 0);
    FR_CHECK_EQ_INT(fr_api_supports(FR_API_FETCH, 4), 1);
    FR_CHECK_EQ_INT(fr_api_is_flexible(FR_API_METADATA, 8), 0);
    FR_CHECK_EQ_INT(fr_api_is_flexible(FR_API_METADATA, 9), 1);
    FR_CHECK_EQ_INT(fr_api_is_flexible(FR_API_API_VERSIONS, 4), 1);
    FR_CHECK_EQ_INT(fr_api_is_flexible(FR_API_OFFSET_DELETE, 0), 0);
    FR_CHECK_EQ_INT(fr_api_is_flexible(99, 9), 0);
}

/* The broker advertises what its handler table says; a range past the
 * codec's would answer with bytes no client can read. */
FR_TEST(every_served_range_lies_within_its_codec) {
    size_t n;
    const fr_handler_t *hs = fr_handlers(&n);
    FR_CHECK(n > 0);
    for (size_t i = 0; i < n; i++) {
        const fr_api_info_t *api = fr_api_info(hs[i].api_key);
        FR_CHECK(api != NULL);
        if (!api)
            continue;
        FR_CHECK(hs[i].min_version <= hs[i].max_version);
        FR_CHECK(hs[i].min_version >= api->min_version && hs[i].max_version <= api->max_version);
        FR_CHECK(fr_handler_find(hs[i].api_key) == &hs[i]); /* one entry per key */
    }
}

/* Tagged fields with non-default values survive a round trip. */
FR_TEST(tagged_fields_round_trip) {
    fr_arena_t arena;
    fr_writer_t w;
    fr_arena_init(&arena, 4096);
    fr_writer_init(&w);

    fr_fetch_response_t resp;
    fr_fetch_response_init(&resp);
    fr_fetch_response_fetchable_topic_response_t topic;
    fr_fetch_response_fetchable_topic_response_init(&topic);
    fr_fetch_response_partition_data_t part;
    fr_fetch_response_partition_data_init(&part);
    part.current_leader.leader_id = 3;
    part.current_leader.leader_epoch = 7;
    topic.topic = fr_slice_from_cstr("t");
    topic.partitions = &part;
    topic.partitions_count = 1;
    resp.responses = &topic;
    resp.responses_count = 1;
    fr_fetch_response_write(&w, 12, &resp);

    fr_reader_t r;
    fr_fetch_response_t back;
    fr_reader_init(&r, w.buf, w.len);
    FR_CHECK_EQ_INT(fr_fetch_response_read(&r, 12, &arena, &back), 0);
    FR_CHECK_EQ_INT(fr_reader_left(&r), 0);
    FR_CHECK_EQ_INT(back.responses_count, 1);
    if (back.responses_count == 1 && back.responses[0].partitions_count == 1) {
        const fr_fetch_response_partition_data_t *p = &back.responses[0].partitions[0];
        FR_CHECK_EQ_INT(p->current_leader.leader_id, 3);
        FR_CHECK_EQ_INT(p->current_leader.leader_epoch, 7);
        FR_CHECK_EQ_INT(p->diverging_epoch.epoch, -1);     /* absent: default */
        FR_CHECK_EQ_INT(p->snapshot_id.end_offset, -1);
        FR_CHECK_EQ_INT(p->records.len, -1);               /* null records */
    }
    fr_writer_free(&w);
    fr_arena_free(&arena);
}

/* Fields a version lacks read as their defaults. */
FR_TEST(absent_fields_read_as_defaults) {
    fr_arena_t arena;
    fr_writer_t w;
    fr_arena_init(&arena, 4096);
    fr_writer_init(&w);

    fr_produce_response_t resp;
    fr_produce_response_sample(&resp, 9, &arena);
    fr_produce_response_write(&w, 3, &resp);   /* no log_start_offset, record_errors */
    fr_reader_t r;
    fr_produce_response_t back;
    fr_reader_init(&r, w.buf, w.len);
    FR_CHECK_EQ_INT(fr_produce_response_read(&r, 3, &arena, &back), 0);
    FR_CHECK(back.responses_count > 0 && back.responses[0].partition_responses_count > 0);
    if (back.responses_count > 0 && back.responses[0].partition_responses_count > 0) {
        const fr_produce_response_partition_produce_response_t *p =
            &back.responses[0].partition_responses[0];
        FR_CHECK_EQ_INT(p->log_start_offset, -1);
        FR_CHECK_EQ_INT(p->record_errors_count, 0);
        FR_CHECK(fr_slice_is_null(p->error_message));
        FR_CHECK(p->log_append_time_ms == resp.responses[0].partition_responses[0].log_append_time_ms);
    }

    fr_fetch_request_t req;
    fr_fetch_request_init(&req);
    FR_CHECK_EQ_INT(req.replica_id, -1);
    FR_CHECK_EQ_INT(req.max_bytes, 0x7fffffff);
    FR_CHECK_EQ_INT(req.session_epoch, -1);
    FR_CHECK(fr_slice_is_null(req.cluster_id));
    FR_CHECK(req.rack_id.len == 0);
    fr_metadata_request_t md;
    fr_metadata_request_init(&md);
    FR_CHECK(md.allow_auto_topic_creation == true);
    fr_metadata_response_metadata_response_topic_t topic;
    fr_metadata_response_metadata_response_topic_init(&topic);
    FR_CHECK_EQ_INT(topic.topic_authorized_operations, INT32_MIN);

    fr_writer_free(&w);
    fr_arena_free(&arena);
}

int main(void) {
    FR_RUN(api_table_is_sorted_and_complete);
    FR_RUN(every_served_range_lies_within_its_codec);
    FR_RUN(every_message_round_trips_at_every_version);
    FR_RUN(every_truncation_is_a_parse_error);
    FR_RUN(tagged_fields_round_trip);
    FR_RUN(absent_fields_read_as_defaults);
    return fr_test_done();
}
