/* Unit tests for the fetch session cache (fetch_sessions.c): epochs, Kafka's
 * eviction rules on a clock the test moves, sessions of thousands of
 * partitions updated and forgotten in bulk, which partitions an answer keeps
 * (records, a moved high watermark or log start, an error) and in what
 * order, and sessions changed or closed under a context that still holds
 * them.  (test_fetch_sessions_model.c checks random sequences against a
 * plain model; test_fetch_sessions.py drives the same over the wire.) */
#include <stdio.h>
#include <string.h>

#include "fetch_sessions.h"
#include "fr_err.h"
#include "fr_test.h"

static fr_arena_t arena;
static char names[64][16];

/* A request of `topics` topics of `per` partitions each, topic t named "t<t>", offsets base+p. */
static fr_fetch_request_t request(int32_t sid, int32_t epoch, int topics, int per, int64_t base) {
    fr_fetch_request_t in;
    fr_fetch_request_init(&in);
    in.session_id = sid;
    in.session_epoch = epoch;
    in.topics_count = topics;
    in.topics = fr_arena_calloc(&arena, topics ? (size_t)topics : 1, sizeof(*in.topics));
    for (int t = 0; t < topics; t++) {
        snprintf(names[t], sizeof(names[t]), "t%d", t);
        in.topics[t].topic = fr_slice_from_cstr(names[t]);
        in.topics[t].partitions_count = per;
        in.topics[t].partitions = fr_arena_calloc(&arena, (size_t)per, sizeof(fr_fetch_request_fetch_partition_t));
        for (int p = 0; p < per; p++)
            in.topics[t].partitions[p] = (fr_fetch_request_fetch_partition_t){
                .partition = p, .current_leader_epoch = -1, .fetch_offset = base + p, .last_fetched_epoch = -1,
                .log_start_offset = -1, .partition_max_bytes = 1 << 20};
    }
    return in;
}

/* An answer to in, index for index: every partition at high watermark hw, log start 0, no records. */
static fr_fetch_response_t respond(const fr_fetch_request_t *in, int64_t hw) {
    fr_fetch_response_t out;
    fr_fetch_response_init(&out);
    out.responses_count = in->topics_count;
    out.responses = fr_arena_calloc(&arena, in->topics_count ? (size_t)in->topics_count : 1, sizeof(*out.responses));
    for (int32_t t = 0; t < in->topics_count; t++) {
        fr_fetch_response_fetchable_topic_response_t *tr = &out.responses[t];
        tr->topic = in->topics[t].topic;
        tr->partitions_count = in->topics[t].partitions_count;
        tr->partitions = fr_arena_calloc(&arena, (size_t)tr->partitions_count, sizeof(*tr->partitions));
        for (int32_t p = 0; p < tr->partitions_count; p++) {
            fr_fetch_response_partition_data_init(&tr->partitions[p]);
            tr->partitions[p].partition_index = in->topics[t].partitions[p].partition;
            tr->partitions[p].high_watermark = hw;
            tr->partitions[p].log_start_offset = 0;
            tr->partitions[p].records = (fr_records_t){NULL, 0, -1, 0, NULL, NULL};
        }
    }
    return out;
}

/* A full fetch of topics x per partitions at now: the session id it got (0: none). */
static int32_t open_full(fr_fetch_sessions_t *c, int topics, int per, uint64_t now) {
    fr_fetch_request_t in = request(0, 0, topics, per, 0);
    fr_fetch_context_t ctx;
    FR_CHECK_EQ_INT(fr_fetch_context_open(c, &in, 0, &arena, now, &ctx), 0);
    FR_CHECK_EQ_INT(ctx.kind, FR_FETCH_FULL);
    fr_fetch_response_t out = respond(&in, 0);
    FR_CHECK_EQ_INT(fr_fetch_context_answer(c, &ctx, &in, &out, &arena, now), 0);
    fr_fetch_context_release(&ctx);
    return out.session_id;
}

/* An incremental fetch naming nothing, answered with nothing new. */
static void use(fr_fetch_sessions_t *c, int32_t sid, uint64_t now) {
    fr_fetch_session_t *s = fr_fetch_sessions_get(c, sid);
    FR_CHECK(s != NULL);
    if (!s)
        return;
    fr_fetch_request_t in = request(sid, s->epoch, 0, 0, 0);
    fr_fetch_context_t ctx;
    FR_CHECK_EQ_INT(fr_fetch_context_open(c, &in, 0, &arena, now, &ctx), 0);
    FR_CHECK_EQ_INT(ctx.kind, FR_FETCH_INCREMENTAL);
    fr_fetch_response_t out = respond(&in, 0);
    FR_CHECK_EQ_INT(fr_fetch_context_answer(c, &ctx, &in, &out, &arena, now), 0);
    FR_CHECK_EQ_INT(out.responses_count, 0);
    fr_fetch_context_release(&ctx);
}

FR_TEST(epochs_move_on_as_kafkas_next_epoch) {
    FR_CHECK_EQ_INT(fr_fetch_session_next_epoch(-1), -1);
    FR_CHECK_EQ_INT(fr_fetch_session_next_epoch(0), 1);
    FR_CHECK_EQ_INT(fr_fetch_session_next_epoch(41), 42);
    FR_CHECK_EQ_INT(fr_fetch_session_next_epoch(INT32_MAX), 1);
    FR_CHECK_EQ_INT(fr_fetch_session_next_epoch(-5), -1);
}

FR_TEST(a_full_cache_evicts_a_stale_session_then_a_lighter_old_one) {
    fr_fetch_sessions_t c;
    fr_fetch_sessions_init(&c, 2, 1000);
    int32_t a = open_full(&c, 1, 3, 0), b = open_full(&c, 1, 1, 0);
    FR_CHECK(a != 0 && b != 0 && a != b);
    /* both in use within the eviction time, neither old: no room */
    FR_CHECK_EQ_INT(open_full(&c, 1, 2, 10), 0);
    FR_CHECK_EQ_INT(fr_fetch_sessions_count(&c), 2);
    /* a is used at 1500, b not since 0: b is stale and goes first */
    use(&c, a, 1500);
    int32_t cc = open_full(&c, 1, 2, 1500);
    FR_CHECK(cc != 0);
    FR_CHECK(fr_fetch_sessions_get(&c, b) == NULL);
    FR_CHECK(fr_fetch_sessions_get(&c, a) != NULL);
    /* nothing stale now; a was over 1000 ms old when last used, so a heavier newcomer takes its place,
     * and a lighter or equal one does not */
    FR_CHECK_EQ_INT(open_full(&c, 1, 3, 1600), 0);
    int32_t d = open_full(&c, 1, 5, 1600);
    FR_CHECK(d != 0);
    FR_CHECK(fr_fetch_sessions_get(&c, a) == NULL);
    FR_CHECK(fr_fetch_sessions_get(&c, cc) != NULL);
    /* c and d are young: nothing can go */
    FR_CHECK_EQ_INT(open_full(&c, 1, 50, 1700), 0);
    FR_CHECK_EQ_INT(c.evictions, 2);
    fr_fetch_sessions_free(&c);

    fr_fetch_sessions_init(&c, 0, 1000);
    FR_CHECK_EQ_INT(open_full(&c, 1, 1, 0), 0);
    fr_fetch_sessions_free(&c);
}

FR_TEST(thousands_of_partitions_updated_and_forgotten_in_bulk) {
    fr_fetch_sessions_t c;
    fr_fetch_sessions_init(&c, 10, 120000);
    int32_t sid = open_full(&c, 50, 100, 0);
    fr_fetch_session_t *s = fr_fetch_sessions_get(&c, sid);
    FR_CHECK(s != NULL && s->n == 5000 && s->epoch == 1);
    if (!s)
        return;
    /* new offsets for t3, a new topic's partitions, and every odd partition of t0..t39 forgotten */
    fr_fetch_request_t in = request(sid, 1, 0, 0, 0);
    fr_fetch_request_t moved = request(0, 0, 4, 100, 1000);
    fr_fetch_request_t added = request(0, 0, 51, 2, 7);
    fr_fetch_request_fetch_topic_t topics[2] = {moved.topics[3], added.topics[50]};
    in.topics = topics;
    in.topics_count = 2;
    in.forgotten_topics_data_count = 40;
    in.forgotten_topics_data = fr_arena_calloc(&arena, 40, sizeof(*in.forgotten_topics_data));
    for (int t = 0; t < 40; t++) {
        in.forgotten_topics_data[t].topic = fr_slice_from_cstr(names[t]);
        in.forgotten_topics_data[t].partitions_count = 50;
        in.forgotten_topics_data[t].partitions = fr_arena_calloc(&arena, 50, sizeof(int32_t));
        for (int p = 0; p < 50; p++)
            in.forgotten_topics_data[t].partitions[p] = 2 * p + 1;
    }
    fr_fetch_context_t ctx;
    FR_CHECK_EQ_INT(fr_fetch_context_open(&c, &in, 0, &arena, 5, &ctx), 0);
    FR_CHECK_EQ_INT(ctx.kind, FR_FETCH_INCREMENTAL);
    FR_CHECK_EQ_INT(s->n, 5000 - 2000 + 2);
    FR_CHECK_EQ_INT(s->epoch, 2);
    /* the fetch reads every partition of the session, in its order, a topic entry per run */
    FR_CHECK_EQ_INT(in.topics_count, 51);
    size_t k = 0;
    int ok = 1;
    for (int32_t t = 0; t < in.topics_count; t++) {
        char want[16];
        snprintf(want, sizeof(want), "t%d", t);
        ok &= fr_slice_eq_cstr(in.topics[t].topic, want);
        ok &= in.topics[t].partitions_count == (t < 40 ? 50 : t == 50 ? 2 : 100);
        for (int32_t p = 0; p < in.topics[t].partitions_count; p++, k++) {
            const fr_fetch_request_fetch_partition_t *fp = &in.topics[t].partitions[p];
            int32_t want_p = t < 40 ? 2 * p : p;
            int64_t want_off = t == 3 ? 1000 + want_p : t == 50 ? 7 + want_p : want_p;
            ok &= fp->partition == want_p && fp->fetch_offset == want_off;
            ok &= fr_slice_cmp(s->parts[k].topic, in.topics[t].topic) == 0 && s->parts[k].partition == want_p;
        }
    }
    FR_CHECK(ok);
    FR_CHECK_EQ_INT(k, s->n);
    /* only the new partitions (never answered) and the ones whose high watermark moved are answered */
    fr_fetch_response_t out = respond(&in, 0);
    out.responses[1].partitions[4].high_watermark = 9;
    FR_CHECK_EQ_INT(fr_fetch_context_answer(&c, &ctx, &in, &out, &arena, 5), 0);
    FR_CHECK_EQ_INT(out.session_id, sid);
    FR_CHECK_EQ_INT(out.responses_count, 2);
    FR_CHECK(fr_slice_eq_cstr(out.responses[0].topic, "t1"));
    FR_CHECK_EQ_INT(out.responses[0].partitions_count, 1);
    FR_CHECK_EQ_INT(out.responses[0].partitions[0].partition_index, 8);
    FR_CHECK(fr_slice_eq_cstr(out.responses[1].topic, "t50"));
    FR_CHECK_EQ_INT(out.responses[1].partitions_count, 2);
    fr_fetch_context_release(&ctx);
    fr_fetch_sessions_free(&c);
}

static int released;
static void count_release(void *ref) {
    (void)ref;
    released++;
}

FR_TEST(a_moved_epoch_refuses_the_answer_and_a_closed_session_outlives_its_context) {
    fr_fetch_sessions_t c;
    fr_fetch_sessions_init(&c, 10, 120000);
    int32_t sid = open_full(&c, 2, 2, 0);
    /* a parked fetch at epoch 1, then another request on the session at epoch 2 */
    fr_fetch_request_t first = request(sid, 1, 0, 0, 0), second = request(sid, 2, 0, 0, 0);
    fr_fetch_context_t a, b;
    FR_CHECK_EQ_INT(fr_fetch_context_open(&c, &first, 0, &arena, 1, &a), 0);
    FR_CHECK_EQ_INT(fr_fetch_context_open(&c, &second, 0, &arena, 2, &b), 0);
    FR_CHECK_EQ_INT(b.kind, FR_FETCH_INCREMENTAL);
    fr_fetch_response_t out = respond(&first, 5);
    out.responses[0].partitions[0].records = (fr_records_t){NULL, 100, 3, 0, count_release, NULL};
    released = 0;
    FR_CHECK_EQ_INT(fr_fetch_context_answer(&c, &a, &first, &out, &arena, 3), 0);
    FR_CHECK_EQ_INT(out.error_code, FR_ERR_INVALID_FETCH_SESSION_EPOCH);
    FR_CHECK_EQ_INT(out.session_id, sid);
    FR_CHECK_EQ_INT(out.responses_count, 0);
    FR_CHECK_EQ_INT(released, 1);
    fr_fetch_context_release(&a);
    /* a full fetch naming the session closes it while b still holds it: b answers from it */
    fr_fetch_request_t full = request(sid, -1, 1, 1, 0);
    fr_fetch_context_t f;
    FR_CHECK_EQ_INT(fr_fetch_context_open(&c, &full, 0, &arena, 4, &f), 0);
    FR_CHECK_EQ_INT(f.kind, FR_FETCH_SESSIONLESS);
    FR_CHECK(fr_fetch_sessions_get(&c, sid) == NULL);
    out = respond(&second, 5);
    FR_CHECK_EQ_INT(fr_fetch_context_answer(&c, &b, &second, &out, &arena, 5), 0);
    FR_CHECK_EQ_INT(out.error_code, 0);
    FR_CHECK_EQ_INT(out.responses_count, 2); /* every high watermark moved from 0 to 5 */
    fr_fetch_context_release(&b);
    fr_fetch_context_release(&b); /* idempotent */
    /* and the id is unknown now */
    fr_fetch_request_t late = request(sid, 3, 0, 0, 0);
    FR_CHECK_EQ_INT(fr_fetch_context_open(&c, &late, 0, &arena, 6, &f), 0);
    FR_CHECK_EQ_INT(f.kind, FR_FETCH_SESSION_ERROR);
    FR_CHECK_EQ_INT(f.error, FR_ERR_FETCH_SESSION_ID_NOT_FOUND);
    fr_fetch_sessions_free(&c);
}

/* An incremental fetch naming nothing on sid, opened at its current epoch. */
static fr_fetch_request_t open_incremental(fr_fetch_sessions_t *c, int32_t sid, fr_fetch_context_t *ctx) {
    fr_fetch_session_t *s = fr_fetch_sessions_get(c, sid);
    fr_fetch_request_t in = request(sid, s ? s->epoch : 1, 0, 0, 0);
    FR_CHECK_EQ_INT(fr_fetch_context_open(c, &in, 0, &arena, 1, ctx), 0);
    FR_CHECK_EQ_INT(ctx->kind, FR_FETCH_INCREMENTAL);
    return in;
}

static int32_t answered_partition(const fr_fetch_response_t *out, int32_t topic, int32_t i) {
    return out->responses[topic].partitions[i].partition_index;
}

FR_TEST(an_answer_keeps_records_moved_offsets_and_errors_and_serves_the_rest_first_next_time) {
    fr_fetch_sessions_t c;
    fr_fetch_sessions_init(&c, 10, 120000);
    int32_t sid = open_full(&c, 2, 3, 0); /* t0: 0 1 2, t1: 0 1 2, every high watermark 0 */
    fr_fetch_context_t ctx;
    fr_fetch_request_t in = open_incremental(&c, sid, &ctx);
    fr_fetch_response_t out = respond(&in, 0);
    out.responses[0].partitions[1].records = (fr_records_t){NULL, 70, -1, 0, NULL, NULL}; /* t0-1: records */
    out.responses[1].partitions[0].log_start_offset = 4;                                 /* t1-0: log start */
    out.responses[1].partitions[2].error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;       /* t1-2: an error */
    out.responses[1].partitions[2].high_watermark = -1;
    FR_CHECK_EQ_INT(fr_fetch_context_answer(&c, &ctx, &in, &out, &arena, 1), 0);
    fr_fetch_context_release(&ctx);
    FR_CHECK_EQ_INT(out.responses_count, 2);
    FR_CHECK(out.responses_count == 2 && out.responses[0].partitions_count == 1 &&
             out.responses[1].partitions_count == 2);
    if (out.responses_count == 2) {
        FR_CHECK_EQ_INT(answered_partition(&out, 0, 0), 1);
        FR_CHECK_EQ_INT(answered_partition(&out, 1, 0), 0);
        FR_CHECK_EQ_INT(answered_partition(&out, 1, 1), 2);
    }
    /* t0-1 got records: it is read last now; the error is answered again, the rest is not */
    in = open_incremental(&c, sid, &ctx);
    FR_CHECK(in.topics_count == 3 && fr_slice_eq_cstr(in.topics[2].topic, "t0") &&
             in.topics[2].partitions_count == 1 && in.topics[2].partitions[0].partition == 1);
    out = respond(&in, 0);
    out.responses[1].partitions[0].log_start_offset = 4;
    out.responses[1].partitions[2].error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    out.responses[1].partitions[2].high_watermark = -1;
    FR_CHECK_EQ_INT(fr_fetch_context_answer(&c, &ctx, &in, &out, &arena, 1), 0);
    fr_fetch_context_release(&ctx);
    FR_CHECK(out.responses_count == 1 && out.responses[0].partitions_count == 1 &&
             answered_partition(&out, 0, 0) == 2);
    /* the error gone, the partition is answered once more (its high watermark was reset), then not */
    for (int round = 0; round < 2; round++) {
        in = open_incremental(&c, sid, &ctx);
        out = respond(&in, 0);
        out.responses[1].partitions[0].log_start_offset = 4;
        FR_CHECK_EQ_INT(fr_fetch_context_answer(&c, &ctx, &in, &out, &arena, 1), 0);
        fr_fetch_context_release(&ctx);
        FR_CHECK_EQ_INT(out.responses_count, round == 0 ? 1 : 0);
    }
    fr_fetch_sessions_free(&c);
}

FR_TEST(neighbours_of_one_topic_share_an_entry_in_the_answer) {
    fr_fetch_sessions_t c;
    fr_fetch_sessions_init(&c, 10, 120000);
    /* a session of t0-0, t1-0, t0-1: t1-0 unchanged, both t0 partitions answered */
    fr_fetch_request_t in = request(0, 0, 2, 2, 0);
    in.topics[1].partitions_count = 1;
    fr_fetch_request_fetch_topic_t three[3] = {in.topics[0], in.topics[1], in.topics[0]};
    three[0].partitions_count = 1;
    three[2].partitions = &in.topics[0].partitions[1];
    three[2].partitions_count = 1;
    in.topics = three;
    in.topics_count = 3;
    fr_fetch_context_t ctx;
    FR_CHECK_EQ_INT(fr_fetch_context_open(&c, &in, 0, &arena, 0, &ctx), 0);
    fr_fetch_response_t out = respond(&in, 0);
    FR_CHECK_EQ_INT(fr_fetch_context_answer(&c, &ctx, &in, &out, &arena, 0), 0);
    int32_t sid = out.session_id;
    in = open_incremental(&c, sid, &ctx);
    FR_CHECK_EQ_INT(in.topics_count, 3);
    out = respond(&in, 0);
    out.responses[0].partitions[0].high_watermark = 1;
    out.responses[2].partitions[0].high_watermark = 1;
    FR_CHECK_EQ_INT(fr_fetch_context_answer(&c, &ctx, &in, &out, &arena, 1), 0);
    fr_fetch_context_release(&ctx);
    FR_CHECK(out.responses_count == 1 && fr_slice_eq_cstr(out.responses[0].topic, "t0") &&
             out.responses[0].partitions_count == 2);
    fr_fetch_sessions_free(&c);
}

FR_TEST(a_parked_fetch_on_a_session_another_request_empties_lets_its_records_go) {
    fr_fetch_sessions_t c;
    fr_fetch_sessions_init(&c, 10, 120000);
    int32_t sid = open_full(&c, 1, 1, 0);
    fr_fetch_context_t parked, other;
    fr_fetch_request_t in = open_incremental(&c, sid, &parked);
    /* another connection forgets the session's one partition: the session closes */
    fr_fetch_request_t forget = request(sid, 2, 0, 0, 0);
    forget.forgotten_topics_data_count = 1;
    forget.forgotten_topics_data = fr_arena_calloc(&arena, 1, sizeof(*forget.forgotten_topics_data));
    forget.forgotten_topics_data[0].topic = fr_slice_from_cstr("t0");
    forget.forgotten_topics_data[0].partitions_count = 1;
    forget.forgotten_topics_data[0].partitions = fr_arena_calloc(&arena, 1, sizeof(int32_t));
    FR_CHECK_EQ_INT(fr_fetch_context_open(&c, &forget, 0, &arena, 2, &other), 0);
    FR_CHECK_EQ_INT(other.kind, FR_FETCH_SESSIONLESS);
    FR_CHECK(fr_fetch_sessions_get(&c, sid) == NULL);
    /* the parked fetch read records meanwhile: they are let go, and the answer says the session moved */
    fr_fetch_response_t out = respond(&in, 1);
    out.responses[0].partitions[0].records = (fr_records_t){NULL, 100, 3, 0, count_release, NULL};
    released = 0;
    FR_CHECK_EQ_INT(fr_fetch_context_answer(&c, &parked, &in, &out, &arena, 3), 0);
    FR_CHECK_EQ_INT(out.error_code, FR_ERR_INVALID_FETCH_SESSION_EPOCH);
    FR_CHECK_EQ_INT(out.responses_count, 0);
    FR_CHECK_EQ_INT(released, 1);
    fr_fetch_context_release(&parked);
    fr_fetch_sessions_free(&c);
}

int main(void) {
    fr_arena_init(&arena, 1 << 16);
    FR_RUN(epochs_move_on_as_kafkas_next_epoch);
    FR_RUN(a_full_cache_evicts_a_stale_session_then_a_lighter_old_one);
    FR_RUN(thousands_of_partitions_updated_and_forgotten_in_bulk);
    FR_RUN(a_moved_epoch_refuses_the_answer_and_a_closed_session_outlives_its_context);
    FR_RUN(an_answer_keeps_records_moved_offsets_and_errors_and_serves_the_rest_first_next_time);
    FR_RUN(neighbours_of_one_topic_share_an_entry_in_the_answer);
    FR_RUN(a_parked_fetch_on_a_session_another_request_empties_lets_its_records_go);
    fr_arena_free(&arena);
    return fr_test_done();
}
