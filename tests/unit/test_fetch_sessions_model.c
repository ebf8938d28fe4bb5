/* Random sequences of full and incremental fetches on a few sessions
 * (fetch_sessions.c), each checked against a plain model of Kafka's rules
 * (FetchSession.update, CachedPartition.maybeUpdateResponseData, the move of
 * served partitions to the back): the session's partitions and their order,
 * what each answer keeps, the epochs.  Requests repeat partitions, forget
 * ones the session lacks and empty sessions; topic names run from empty to
 * a few kilobytes, so the names arena is compacted many times.  The rng is
 * seeded: a failure repeats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch_sessions.h"
#include "fr_err.h"
#include "fr_test.h"

#define TOPICS 6
#define SLOTS 8
#define MAX_PARTS 4096
#define ROUNDS 20000

typedef struct model_part {
    int topic, partition;
    int64_t offset, high_watermark, log_start;
} model_part_t;

typedef struct model_session {
    int32_t id, epoch;
    int live;
    model_part_t parts[MAX_PARTS];
    int n;
} model_session_t;

static char *topic_names[TOPICS];
static int topic_lens[TOPICS];
static model_session_t models[SLOTS];
static fr_fetch_sessions_t cache;
static fr_arena_t arena;
static uint64_t rng_state = 88172645463325252ULL;

static unsigned rnd(unsigned n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static fr_slice_t topic_slice(int t) { return (fr_slice_t){(const uint8_t *)topic_names[t], topic_lens[t]}; }

static int topic_of(fr_slice_t s) {
    for (int i = 0; i < TOPICS; i++)
        if (s.len == topic_lens[i] && (s.len == 0 || memcmp(s.ptr, topic_names[i], (size_t)s.len) == 0))
            return i;
    return -1;
}

/* k random partitions in runs of one topic (a partition may come twice) */
static void random_request(fr_fetch_request_t *in, int k, int partitions) {
    in->topics = fr_arena_calloc(&arena, (size_t)k + 1, sizeof(*in->topics));
    in->topics_count = 0;
    for (int i = 0; i < k;) {
        int run = 1 + (int)rnd(4);
        if (run > k - i)
            run = k - i;
        fr_fetch_request_fetch_topic_t *ft = &in->topics[in->topics_count++];
        ft->topic = topic_slice((int)rnd(TOPICS));
        ft->partitions = fr_arena_calloc(&arena, (size_t)run, sizeof(*ft->partitions));
        ft->partitions_count = run;
        for (int j = 0; j < run; j++)
            ft->partitions[j] = (fr_fetch_request_fetch_partition_t){
                .partition = (int32_t)rnd((unsigned)partitions), .current_leader_epoch = -1,
                .fetch_offset = (int64_t)rnd(1000), .last_fetched_epoch = -1, .log_start_offset = -1,
                .partition_max_bytes = 1 << 20};
        i += run;
    }
}

static int model_find(const model_session_t *m, int t, int p) {
    for (int i = 0; i < m->n; i++)
        if (m->parts[i].topic == t && m->parts[i].partition == p)
            return i;
    return -1;
}

/* FetchSession.update: named partitions are added or take the new offset, then the forgotten go */
static void model_update(model_session_t *m, const fr_fetch_request_t *in) {
    for (int i = 0; i < in->topics_count; i++) {
        int t = topic_of(in->topics[i].topic);
        for (int j = 0; j < in->topics[i].partitions_count; j++) {
            const fr_fetch_request_fetch_partition_t *fp = &in->topics[i].partitions[j];
            int at = model_find(m, t, fp->partition);
            if (at >= 0)
                m->parts[at].offset = fp->fetch_offset;
            else if (m->n < MAX_PARTS)
                m->parts[m->n++] = (model_part_t){t, fp->partition, fp->fetch_offset, -1, -1};
        }
    }
    for (int i = 0; i < in->forgotten_topics_data_count; i++) {
        int t = topic_of(in->forgotten_topics_data[i].topic);
        for (int j = 0; j < in->forgotten_topics_data[i].partitions_count; j++) {
            int at = model_find(m, t, in->forgotten_topics_data[i].partitions[j]);
            if (at >= 0) {
                memmove(&m->parts[at], &m->parts[at + 1], (size_t)(m->n - at - 1) * sizeof(model_part_t));
                m->n--;
            }
        }
    }
}

/* A random answer to in: small high watermarks and log starts, some records, some errors. */
static fr_fetch_response_t random_answer(const fr_fetch_request_t *in) {
    fr_fetch_response_t out;
    fr_fetch_response_init(&out);
    out.responses_count = in->topics_count;
    out.responses = fr_arena_calloc(&arena, (size_t)in->topics_count + 1, sizeof(*out.responses));
    for (int32_t t = 0; t < in->topics_count; t++) {
        fr_fetch_response_fetchable_topic_response_t *tr = &out.responses[t];
        tr->topic = in->topics[t].topic;
        tr->partitions_count = in->topics[t].partitions_count;
        tr->partitions = fr_arena_calloc(&arena, (size_t)tr->partitions_count + 1, sizeof(*tr->partitions));
        for (int32_t p = 0; p < tr->partitions_count; p++) {
            fr_fetch_response_partition_data_t *pd = &tr->partitions[p];
            fr_fetch_response_partition_data_init(pd);
            pd->partition_index = in->topics[t].partitions[p].partition;
            pd->high_watermark = rnd(3);
            pd->log_start_offset = rnd(2);
            pd->error_code = rnd(10) == 0 ? FR_ERR_UNKNOWN_TOPIC_OR_PARTITION : 0;
            pd->records = (fr_records_t){NULL, rnd(3) == 0 ? 10 : 0, -1, 0, NULL, NULL};
        }
    }
    return out;
}

static int session_matches(model_session_t *m) {
    fr_fetch_session_t *s = fr_fetch_sessions_get(&cache, m->id);
    if (!s || (int)s->n != m->n || s->epoch != m->epoch)
        return 0;
    for (int i = 0; i < m->n; i++) {
        const fr_fetch_session_part_t *p = &s->parts[i];
        const model_part_t *q = &m->parts[i];
        if (topic_of(p->topic) != q->topic || p->partition != q->partition || p->fetch_offset != q->offset ||
            p->high_watermark != q->high_watermark || p->local_log_start != q->log_start)
            return 0;
    }
    return 1;
}

static int full_fetch(int slot) {
    model_session_t *m = &models[slot];
    fr_fetch_request_t in;
    fr_fetch_request_init(&in);
    in.session_epoch = 0;
    if (m->live) /* names the slot's session: that one closes */
        in.session_id = m->id, m->live = 0;
    random_request(&in, 1 + (int)rnd(40), 8);
    fr_fetch_context_t ctx;
    if (fr_fetch_context_open(&cache, &in, 0, &arena, 0, &ctx))
        return 0;
    fr_fetch_response_t out = random_answer(&in);
    int rc = fr_fetch_context_answer(&cache, &ctx, &in, &out, &arena, 0);
    fr_fetch_context_release(&ctx);
    if (rc)
        return 0;
    if (!out.session_id)
        return 1; /* the cache was full */
    for (int i = 0; i < SLOTS; i++)
        if (models[i].live && models[i].id == out.session_id)
            return 0; /* an id in use given twice */
    memset(m, 0, sizeof(*m));
    m->id = out.session_id;
    m->epoch = 1;
    m->live = 1;
    for (int i = 0; i < in.topics_count; i++) {
        int t = topic_of(in.topics[i].topic);
        for (int j = 0; j < in.topics[i].partitions_count; j++) {
            const fr_fetch_request_fetch_partition_t *fp = &in.topics[i].partitions[j];
            const fr_fetch_response_partition_data_t *pd = &out.responses[i].partitions[j];
            int at = model_find(m, t, fp->partition);
            if (at < 0)
                at = m->n++;
            m->parts[at] = (model_part_t){t, fp->partition, fp->fetch_offset, pd->high_watermark,
                                          pd->log_start_offset};
        }
    }
    return session_matches(m);
}

static int incremental_fetch(int slot) {
    model_session_t *m = &models[slot];
    fr_fetch_request_t in;
    fr_fetch_request_init(&in);
    in.session_id = m->id;
    in.session_epoch = m->epoch;
    random_request(&in, (int)rnd(30), 12);
    int forgotten = (int)rnd(8);
    in.forgotten_topics_data = fr_arena_calloc(&arena, (size_t)forgotten + 1, sizeof(*in.forgotten_topics_data));
    in.forgotten_topics_data_count = forgotten;
    for (int i = 0; i < forgotten; i++) {
        int k = 1 + (int)rnd(10);
        in.forgotten_topics_data[i].topic = topic_slice((int)rnd(TOPICS));
        in.forgotten_topics_data[i].partitions_count = k;
        in.forgotten_topics_data[i].partitions = fr_arena_calloc(&arena, (size_t)k, sizeof(int32_t));
        for (int j = 0; j < k; j++)
            in.forgotten_topics_data[i].partitions[j] = (int32_t)rnd(12);
    }
    model_update(m, &in);
    fr_fetch_context_t ctx;
    if (fr_fetch_context_open(&cache, &in, 0, &arena, 0, &ctx))
        return 0;
    if (m->n == 0) { /* emptied: closed, and the fetch answered without a session */
        m->live = 0;
        return ctx.kind == FR_FETCH_SESSIONLESS && !fr_fetch_sessions_get(&cache, m->id);
    }
    int ok = ctx.kind == FR_FETCH_INCREMENTAL;
    m->epoch = fr_fetch_session_next_epoch(m->epoch);
    /* the fetch reads the whole session, in its order */
    int k = 0;
    for (int i = 0; ok && i < in.topics_count; i++)
        for (int j = 0; ok && j < in.topics[i].partitions_count; j++, k++)
            ok = k < m->n && topic_of(in.topics[i].topic) == m->parts[k].topic &&
                 in.topics[i].partitions[j].partition == m->parts[k].partition;
    ok = ok && k == m->n;
    fr_fetch_response_t out = random_answer(&in);
    /* the model's answer, and its order for the next fetch */
    static int want[MAX_PARTS];
    static model_part_t before[MAX_PARTS], served[MAX_PARTS], rest[MAX_PARTS];
    int nwant = 0, nserved = 0, nrest = 0;
    k = 0;
    for (int i = 0; ok && i < out.responses_count; i++)
        for (int j = 0; j < out.responses[i].partitions_count; j++, k++) {
            const fr_fetch_response_partition_data_t *pd = &out.responses[i].partitions[j];
            model_part_t *p = &m->parts[k];
            int must = pd->records.len > 0;
            if (p->high_watermark != pd->high_watermark)
                p->high_watermark = pd->high_watermark, must = 1;
            if (p->log_start != pd->log_start_offset)
                p->log_start = pd->log_start_offset, must = 1;
            if (pd->error_code)
                p->high_watermark = -1, must = 1;
            if (must)
                want[nwant++] = k;
            if (pd->records.len > 0)
                served[nserved++] = *p;
            else
                rest[nrest++] = *p;
        }
    memcpy(before, m->parts, sizeof(model_part_t) * (size_t)m->n);
    memcpy(m->parts, rest, sizeof(model_part_t) * (size_t)nrest);
    memcpy(m->parts + nrest, served, sizeof(model_part_t) * (size_t)nserved);
    if (ok && fr_fetch_context_answer(&cache, &ctx, &in, &out, &arena, 0))
        ok = 0;
    int g = 0;
    for (int i = 0; ok && i < out.responses_count; i++) {
        ok = i == 0 || topic_of(out.responses[i].topic) != topic_of(out.responses[i - 1].topic);
        for (int j = 0; ok && j < out.responses[i].partitions_count; j++, g++)
            ok = g < nwant && topic_of(out.responses[i].topic) == before[want[g]].topic &&
                 out.responses[i].partitions[j].partition_index == before[want[g]].partition;
    }
    fr_fetch_context_release(&ctx);
    return ok && g == nwant && session_matches(m);
}

FR_TEST(random_fetches_follow_the_model) {
    int failures = 0;
    long round;
    for (round = 0; round < ROUNDS && failures == 0; round++) {
        int slot = (int)rnd(SLOTS);
        int ok = !models[slot].live || rnd(20) == 0 ? full_fetch(slot) : incremental_fetch(slot);
        if (!ok) {
            fprintf(stderr, "round %ld, slot %d: the sessions and the model differ\n", round, slot);
            failures++;
        }
        fr_arena_reset(&arena);
    }
    FR_CHECK_EQ_INT(failures, 0);
    FR_CHECK_EQ_INT(round, ROUNDS);
}

int main(void) {
    for (int i = 0; i < TOPICS; i++) { /* "", one byte, three, then names of kilobytes */
        topic_lens[i] = i == 0 ? 0 : i == 1 ? 1 : i == 2 ? 3 : 1500 + 700 * i;
        topic_names[i] = malloc((size_t)topic_lens[i] + 1);
        for (int j = 0; j < topic_lens[i]; j++)
            topic_names[i][j] = (char)('a' + (i + j) % 26);
        topic_names[i][topic_lens[i]] = 0;
        if (i > 2)
            topic_names[i][0] = (char)('0' + i);
    }
    fr_fetch_sessions_init(&cache, SLOTS - 2, 120000); /* fewer places than slots: full fetches evict or fail */
    fr_arena_init(&arena, 1 << 16);
    FR_RUN(random_fetches_follow_the_model);
    fr_fetch_sessions_free(&cache);
    fr_arena_free(&arena);
    for (int i = 0; i < TOPICS; i++)
        free(topic_names[i]);
    return fr_test_done();
}
