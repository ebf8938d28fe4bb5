#include "fetch_sessions.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fr_array.h"
#include "fr_err.h"
#include "fr_hash.h"

#define NAMES_BLOCK 4096

/* ---- one session's partitions ---- */

static uint64_t part_hash(fr_slice_t topic, int32_t partition) {
    return fr_hash_bytes_seed(topic.ptr, topic.len > 0 ? (size_t)topic.len : 0, (uint32_t)partition);
}

static int same_part(const fr_fetch_session_part_t *p, fr_slice_t topic, int32_t partition) {
    return p->partition == partition && fr_slice_cmp(p->topic, topic) == 0;
}

static void slots_insert(fr_fetch_session_t *s, size_t index) {
    size_t mask = s->nslots - 1;
    size_t at = s->parts[index].hash & mask;
    while (s->slots[at])
        at = (at + 1) & mask;
    s->slots[at] = (uint32_t)index + 1;
}

/* Makes the lookup table fresh, with room for n parts at most half full; it is sized anew when
 * rebuilt, so it shrinks with the session. */
static int slots_fit(fr_fetch_session_t *s, size_t n) {
    if (!s->slots_stale && s->nslots >= 2 * n && s->slots)
        return 0;
    size_t want = 16;
    while (want < 2 * n)
        want *= 2;
    if (want != s->nslots) {
        uint32_t *slots = malloc(want * sizeof(*slots));
        if (!slots)
            return FR_ERR_NOMEM;
        free(s->slots);
        s->slots = slots;
        s->nslots = want;
    }
    memset(s->slots, 0, s->nslots * sizeof(*s->slots));
    for (size_t i = 0; i < s->n; i++)
        slots_insert(s, i);
    s->slots_stale = 0;
    return 0;
}

/* The index of (topic, partition) in s, or -1.  The table must be fresh. */
static long part_find(const fr_fetch_session_t *s, fr_slice_t topic, int32_t partition) {
    if (!s->nslots)
        return -1;
    size_t mask = s->nslots - 1;
    uint64_t h = part_hash(topic, partition);
    for (size_t at = h & mask; s->slots[at]; at = (at + 1) & mask)
        if (s->parts[s->slots[at] - 1].hash == h && same_part(&s->parts[s->slots[at] - 1], topic, partition))
            return (long)s->slots[at] - 1;
    return -1;
}

/* A copy of name in names (an empty one takes a byte, so every copy has an address); *bytes
 * grows by what it took.  0 or FR_ERR_NOMEM. */
static int arena_copy(fr_arena_t *names, fr_slice_t name, fr_slice_t *out, size_t *bytes) {
    size_t len = name.len > 0 ? (size_t)name.len : 0;
    uint8_t *copy = fr_arena_alloc(names, len ? len : 1);
    if (!copy)
        return FR_ERR_NOMEM;
    if (len)
        memcpy(copy, name.ptr, len);
    *bytes += len ? len : 1;
    *out = (fr_slice_t){copy, (int32_t)len};
    return 0;
}

/* A copy of topic in the session's names, shared with the last part when it is the same topic
 * (requests list a topic's partitions together). */
static int name_copy(fr_fetch_session_t *s, fr_slice_t topic, fr_slice_t *out) {
    if (s->n && fr_slice_cmp(s->parts[s->n - 1].topic, topic) == 0) {
        *out = s->parts[s->n - 1].topic;
        return 0;
    }
    return arena_copy(&s->names, topic, out, &s->names_bytes);
}

static void params_set(fr_fetch_session_part_t *p, const fr_fetch_request_fetch_partition_t *fp) {
    p->max_bytes = fp->partition_max_bytes;
    p->current_leader_epoch = fp->current_leader_epoch;
    p->last_fetched_epoch = fp->last_fetched_epoch;
    p->fetch_offset = fp->fetch_offset;
    p->log_start_offset = fp->log_start_offset;
}

/* Appends a partition not in s yet (the lookup table must be fresh, and stays so). */
static int part_add(fr_fetch_session_t *s, fr_slice_t topic, const fr_fetch_request_fetch_partition_t *fp) {
    if (FR_ARRAY_GROW(s->parts, s->cap, s->n + 1, 16) || slots_fit(s, s->n + 1))
        return FR_ERR_NOMEM;
    fr_fetch_session_part_t *p = &s->parts[s->n];
    if (name_copy(s, topic, &p->topic))
        return FR_ERR_NOMEM;
    p->partition = fp->partition;
    p->hash = part_hash(p->topic, p->partition);
    params_set(p, fp);
    p->high_watermark = -1;
    p->local_log_start = -1;
    s->n++;
    slots_insert(s, s->n - 1);
    return 0;
}

/* After removals the names arena holds dead copies: start it again once they are most of it.
 * scratch (the request's arena) holds the new slices until all are copied; out of memory, the old
 * arena stays (only memory is lost). */
static void names_compact(fr_fetch_session_t *s, fr_arena_t *scratch) {
    size_t live = 0;
    for (size_t i = 0; i < s->n; i++)
        live += (size_t)s->parts[i].topic.len;
    if (s->names_bytes <= 2 * live + NAMES_BLOCK)
        return;
    fr_arena_t fresh;
    fr_arena_init(&fresh, NAMES_BLOCK);
    fr_slice_t *moved = fr_arena_alloc(scratch, (s->n ? s->n : 1) * sizeof(*moved));
    size_t bytes = 0;
    for (size_t i = 0; moved && i < s->n; i++) {
        const fr_slice_t *t = &s->parts[i].topic;
        if (i > 0 && t->ptr == s->parts[i - 1].topic.ptr) { /* shared with the part before: stays shared */
            moved[i] = moved[i - 1];
            continue;
        }
        if (arena_copy(&fresh, *t, &moved[i], &bytes)) {
            moved = NULL;
            break;
        }
    }
    if (!moved) {
        fr_arena_free(&fresh);
        return;
    }
    for (size_t i = 0; i < s->n; i++)
        s->parts[i].topic = moved[i];
    fr_arena_free(&s->names);
    s->names = fresh;
    s->names_bytes = bytes;
}

static fr_fetch_session_t *session_new(void) {
    fr_fetch_session_t *s = calloc(1, sizeof(*s));
    if (s)
        fr_arena_init(&s->names, NAMES_BLOCK);
    return s;
}

static void session_unref(fr_fetch_session_t *s) {
    if (!s || --s->refs > 0)
        return;
    free(s->parts);
    free(s->slots);
    fr_arena_free(&s->names);
    free(s);
}

/* Kafka's FetchSession.update: the request's partitions are added or take their new parameters,
 * then the forgotten ones go. */
static int session_update(fr_fetch_session_t *s, const fr_fetch_request_t *in, fr_arena_t *arena) {
    if (in->topics_count == 0 && in->forgotten_topics_data_count == 0)
        return 0; /* the common fetch: nothing to look up, so no table to rebuild after a rotation */
    if (slots_fit(s, s->n))
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < in->topics_count; i++) {
        const fr_fetch_request_fetch_topic_t *ft = &in->topics[i];
        for (int32_t j = 0; j < ft->partitions_count; j++) {
            const fr_fetch_request_fetch_partition_t *fp = &ft->partitions[j];
            long at = part_find(s, ft->topic, fp->partition);
            if (at >= 0)
                params_set(&s->parts[at], fp);
            else if (part_add(s, ft->topic, fp))
                return FR_ERR_NOMEM;
        }
    }
    /* the forgotten ones are marked first and dropped together: the lookups stay valid meanwhile */
    uint8_t *gone = NULL;
    size_t removed = 0;
    for (int32_t i = 0; i < in->forgotten_topics_data_count; i++) {
        const fr_fetch_request_forgotten_topic_t *f = &in->forgotten_topics_data[i];
        for (int32_t j = 0; j < f->partitions_count; j++) {
            long at = part_find(s, f->topic, f->partitions[j]);
            if (at < 0)
                continue;
            if (!gone && !(gone = fr_arena_calloc(arena, s->n, 1)))
                return FR_ERR_NOMEM;
            removed += !gone[at];
            gone[at] = 1;
        }
    }
    if (removed) {
        size_t m = 0;
        for (size_t i = 0; i < s->n; i++)
            if (!gone[i])
                s->parts[m++] = s->parts[i];
        s->n = m;
        s->slots_stale = 1;
        names_compact(s, arena);
    }
    return 0;
}

/* ---- the cache ---- */

void fr_fetch_sessions_init(fr_fetch_sessions_t *c, int32_t max_sessions, uint64_t eviction_ms) {
    memset(c, 0, sizeof(*c));
    c->max_sessions = max_sessions > 0 ? max_sessions : 0;
    c->eviction_ms = eviction_ms;
}

void fr_fetch_sessions_free(fr_fetch_sessions_t *c) {
    for (size_t i = 0; i < c->n; i++)
        session_unref(c->by_id[i]);
    free(c->by_id);
    c->by_id = NULL;
    c->n = c->cap = 0;
}

size_t fr_fetch_sessions_count(const fr_fetch_sessions_t *c) { return c->n; }

/* The index of id in by_id, or -(insertion point)-1. */
static long id_search(const fr_fetch_sessions_t *c, int32_t id) {
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->by_id[mid]->id == id)
            return (long)mid;
        if (c->by_id[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

fr_fetch_session_t *fr_fetch_sessions_get(const fr_fetch_sessions_t *c, int32_t id) {
    long at = id_search(c, id);
    return at >= 0 ? c->by_id[at] : NULL;
}

static void remove_at(fr_fetch_sessions_t *c, size_t at) {
    fr_fetch_session_t *s = c->by_id[at];
    memmove(&c->by_id[at], &c->by_id[at + 1], (c->n - at - 1) * sizeof(*c->by_id));
    c->n--;
    session_unref(s);
}

static void remove_id(fr_fetch_sessions_t *c, int32_t id) {
    long at = id_search(c, id);
    if (at >= 0)
        remove_at(c, (size_t)at);
}

/* Kafka's FetchSessionCacheShard.touch: last use, and the weight and standing for eviction. */
static void touch(const fr_fetch_sessions_t *c, fr_fetch_session_t *s, uint64_t now) {
    s->last_used_ms = now;
    s->cached_size = s->n;
    s->evictable = now - s->created_ms > c->eviction_ms;
}

int32_t fr_fetch_session_next_epoch(int32_t epoch) {
    if (epoch < 0)
        return -1; /* FINAL_EPOCH */
    return epoch == INT32_MAX ? 1 : epoch + 1;
}

/* Kafka's tryEvict for a consumer's new session of `size` partitions: the least recently used
 * session if unused for the eviction time, else the lightest evictable one if it is lighter. */
static int try_evict(fr_fetch_sessions_t *c, size_t size, uint64_t now) {
    if (c->n == 0)
        return 0;
    size_t lru = 0, light = c->n;
    for (size_t i = 0; i < c->n; i++) {
        const fr_fetch_session_t *s = c->by_id[i], *l = c->by_id[lru];
        if (s->last_used_ms < l->last_used_ms || (s->last_used_ms == l->last_used_ms && s->id < l->id))
            lru = i;
        /* by_id is in id order, so the first of the lightest has the smallest id */
        if (s->evictable && (light == c->n || s->cached_size < c->by_id[light]->cached_size))
            light = i;
    }
    if (now - c->by_id[lru]->last_used_ms > c->eviction_ms) {
        remove_at(c, lru);
        c->evictions++;
        return 1;
    }
    /* Kafka compares (privileged, size, id) with the new one's id as 0: only a lighter one goes */
    if (light == c->n || size <= c->by_id[light]->cached_size)
        return 0;
    remove_at(c, light);
    c->evictions++;
    return 1;
}

static int32_t new_session_id(const fr_fetch_sessions_t *c) {
    for (;;) {
        uint32_t r = 0;
        if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
            r = (uint32_t)rand();
        int32_t id = (int32_t)(r & 0x7fffffff);
        if (id != 0 && !fr_fetch_sessions_get(c, id))
            return id;
    }
}

static int insert(fr_fetch_sessions_t *c, fr_fetch_session_t *s) {
    if (FR_ARRAY_GROW(c->by_id, c->cap, c->n + 1, 16))
        return FR_ERR_NOMEM;
    s->id = new_session_id(c);
    size_t at = (size_t)(-id_search(c, s->id) - 1);
    memmove(&c->by_id[at + 1], &c->by_id[at], (c->n - at) * sizeof(*c->by_id));
    c->by_id[at] = s;
    c->n++;
    s->refs++;
    return 0;
}

/* ---- contexts ---- */

/* Replaces in->topics by the session's partitions, a topic entry per run of the same topic. */
static int session_as_request(const fr_fetch_session_t *s, fr_fetch_request_t *in, fr_arena_t *arena) {
    size_t runs = 0;
    for (size_t i = 0; i < s->n; i++)
        if (i == 0 || fr_slice_cmp(s->parts[i].topic, s->parts[i - 1].topic) != 0)
            runs++;
    fr_fetch_request_fetch_topic_t *topics = fr_arena_calloc(arena, runs ? runs : 1, sizeof(*topics));
    fr_fetch_request_fetch_partition_t *parts = fr_arena_calloc(arena, s->n ? s->n : 1, sizeof(*parts));
    if (!topics || !parts)
        return FR_ERR_NOMEM;
    int32_t t = -1;
    for (size_t i = 0; i < s->n; i++) {
        const fr_fetch_session_part_t *p = &s->parts[i];
        if (t < 0 || fr_slice_cmp(p->topic, topics[t].topic) != 0) {
            char *name = fr_arena_strndup(arena, p->topic.ptr, (size_t)p->topic.len);
            if (!name)
                return FR_ERR_NOMEM;
            t++;
            topics[t].topic = (fr_slice_t){(const uint8_t *)name, p->topic.len};
            topics[t].partitions = &parts[i];
        }
        topics[t].partitions_count++;
        parts[i] = (fr_fetch_request_fetch_partition_t){.partition = p->partition,
                                                        .current_leader_epoch = p->current_leader_epoch,
                                                        .fetch_offset = p->fetch_offset,
                                                        .last_fetched_epoch = p->last_fetched_epoch,
                                                        .log_start_offset = p->log_start_offset,
                                                        .partition_max_bytes = p->max_bytes};
    }
    in->topics = topics;
    in->topics_count = t + 1;
    return 0;
}

int fr_fetch_context_open(fr_fetch_sessions_t *c, fr_fetch_request_t *in, int uses_topic_ids, fr_arena_t *arena,
                          uint64_t now, fr_fetch_context_t *ctx) {
    *ctx = (fr_fetch_context_t){.kind = FR_FETCH_SESSIONLESS, .uses_topic_ids = uses_topic_ids};
    if (in->session_epoch == 0 || in->session_epoch == -1) { /* a full fetch closes the session it names */
        if (in->session_id != 0)
            remove_id(c, in->session_id);
        ctx->kind = in->session_epoch == 0 ? FR_FETCH_FULL : FR_FETCH_SESSIONLESS;
        return 0;
    }
    fr_fetch_session_t *s = fr_fetch_sessions_get(c, in->session_id);
    if (!s || s->epoch != in->session_epoch) {
        ctx->kind = FR_FETCH_SESSION_ERROR;
        ctx->error = s ? FR_ERR_INVALID_FETCH_SESSION_EPOCH : FR_ERR_FETCH_SESSION_ID_NOT_FOUND;
        return 0;
    }
    if (s->uses_topic_ids != uses_topic_ids) { /* its partitions are keyed the other way: left as it is */
        ctx->kind = FR_FETCH_SESSION_ERROR;
        ctx->error = FR_ERR_FETCH_SESSION_TOPIC_ID_ERROR;
        return 0;
    }
    int rc = session_update(s, in, arena);
    /* the session changed: a fetch parked on it meanwhile must find its epoch moved (its
     * partitions are no longer the ones it read), also when the session closes below */
    s->epoch = fr_fetch_session_next_epoch(s->epoch);
    if (rc) { /* part of the update may have landed: the session can no longer be trusted */
        remove_id(c, s->id);
        return FR_ERR_NOMEM;
    }
    if (s->n == 0) { /* Kafka closes it and answers the request's own partitions without one */
        remove_id(c, s->id);
        return 0;
    }
    if (session_as_request(s, in, arena))
        return FR_ERR_NOMEM;
    touch(c, s, now);
    s->refs++;
    ctx->kind = FR_FETCH_INCREMENTAL;
    ctx->session = s;
    ctx->expected_epoch = s->epoch;
    return 0;
}

void fr_fetch_response_release(fr_fetch_response_t *out) {
    for (int32_t i = 0; i < out->responses_count; i++)
        for (int32_t j = 0; j < out->responses[i].partitions_count; j++) {
            fr_records_t *r = &out->responses[i].partitions[j].records;
            if (r->unref)
                r->unref(r->ref);
            r->unref = NULL;
        }
}

/* Kafka's FullFetchContext: a session of the partitions answered, if there is room for it.  It is
 * built first: its weight for eviction is its partitions, each counted once (Kafka's updates.size). */
static int answer_full(fr_fetch_sessions_t *c, const fr_fetch_context_t *ctx, const fr_fetch_request_t *in,
                       fr_fetch_response_t *out, uint64_t now) {
    if (c->max_sessions == 0)
        return 0;
    fr_fetch_session_t *s = session_new();
    if (!s || slots_fit(s, 0))
        goto drop;
    s->uses_topic_ids = ctx->uses_topic_ids;
    for (int32_t i = 0; i < in->topics_count && i < out->responses_count; i++) {
        const fr_fetch_request_fetch_topic_t *ft = &in->topics[i];
        const fr_fetch_response_fetchable_topic_response_t *tr = &out->responses[i];
        for (int32_t j = 0; j < ft->partitions_count && j < tr->partitions_count; j++) {
            const fr_fetch_response_partition_data_t *pd = &tr->partitions[j];
            long at = part_find(s, ft->topic, ft->partitions[j].partition);
            if (at < 0) { /* a partition named twice is one, with what was asked last (Java's map) */
                if (part_add(s, ft->topic, &ft->partitions[j]))
                    goto drop;
                at = (long)s->n - 1;
            } else {
                params_set(&s->parts[at], &ft->partitions[j]);
            }
            s->parts[at].high_watermark = pd->high_watermark;
            s->parts[at].local_log_start = pd->log_start_offset;
        }
    }
    if (c->n >= (size_t)c->max_sessions && !try_evict(c, s->n, now))
        goto drop;
    s->created_ms = now;
    s->epoch = fr_fetch_session_next_epoch(0);
    if (insert(c, s))
        goto drop;
    touch(c, s, now);
    out->session_id = s->id;
    return 0;
drop: /* no room, or no memory: answered without a session, and the client asks again in full */
    if (s) {
        s->refs = 1;
        session_unref(s);
    }
    return 0;
}

/* Kafka's CachedPartition.maybeUpdateResponseData, updating. */
static int must_answer(fr_fetch_session_part_t *p, const fr_fetch_response_partition_data_t *pd) {
    int must = pd->records.len > 0;
    if (p->high_watermark != pd->high_watermark) {
        p->high_watermark = pd->high_watermark;
        must = 1;
    }
    if (p->local_log_start != pd->log_start_offset) {
        p->local_log_start = pd->log_start_offset;
        must = 1;
    }
    if (pd->error_code != FR_ERR_NONE) {
        p->high_watermark = -1; /* so the partition is answered again once the error is gone */
        must = 1;
    }
    return must;
}

/* Kafka's IncrementalFetchContext: only what changed, and who got records goes last.  The answer
 * groups neighbours of one topic in one entry, as Kafka's FetchResponse does: after the filter, and
 * after earlier rotations, two entries of a topic may meet. */
static int answer_incremental(fr_fetch_context_t *ctx, fr_fetch_response_t *out, fr_arena_t *arena) {
    fr_fetch_session_t *s = ctx->session;
    size_t answered = 0;
    for (int32_t i = 0; i < out->responses_count; i++)
        answered += (size_t)out->responses[i].partitions_count;
    out->session_id = s->id;
    /* the epoch moves with every change to the session; the count is belt and braces */
    if (s->epoch != ctx->expected_epoch || answered != s->n) {
        fr_fetch_response_release(out);
        out->error_code = FR_ERR_INVALID_FETCH_SESSION_EPOCH;
        out->responses_count = 0;
        return 0;
    }
    /* first which partitions are answered (and the session's record of them updated), then room for
     * just those: a session of thousands of partitions mostly answers a few */
    uint8_t *mark = fr_arena_alloc(arena, s->n ? s->n : 1); /* 0 left out, 1 answered, 2 answered with records */
    if (!mark)
        return FR_ERR_NOMEM;
    size_t k = 0, nkept = 0, nserved = 0;
    for (int32_t i = 0; i < out->responses_count; i++)
        for (int32_t j = 0; j < out->responses[i].partitions_count; j++, k++) {
            const fr_fetch_response_partition_data_t *pd = &out->responses[i].partitions[j];
            mark[k] = must_answer(&s->parts[k], pd) ? (pd->records.len > 0 ? 2 : 1) : 0;
            nkept += mark[k] != 0;
            nserved += mark[k] == 2;
        }
    fr_fetch_response_partition_data_t *kept = fr_arena_alloc(arena, (nkept ? nkept : 1) * sizeof(*kept));
    fr_fetch_response_fetchable_topic_response_t *topics =
        fr_arena_alloc(arena, (nkept ? nkept : 1) * sizeof(*topics));
    fr_fetch_session_part_t *served = fr_arena_alloc(arena, (nserved ? nserved : 1) * sizeof(*served));
    if (!kept || !topics || !served)
        return FR_ERR_NOMEM; /* the session's record moved on already: the client is answered nothing */
    int32_t ntopics = 0;
    nkept = k = 0;
    for (int32_t i = 0; i < out->responses_count; i++) {
        const fr_fetch_response_fetchable_topic_response_t *tr = &out->responses[i];
        for (int32_t j = 0; j < tr->partitions_count; j++, k++) {
            if (!mark[k])
                continue;
            if (ntopics == 0 || fr_slice_cmp(topics[ntopics - 1].topic, tr->topic) != 0) {
                topics[ntopics] = (fr_fetch_response_fetchable_topic_response_t){.topic = tr->topic,
                                                                                  .partitions = &kept[nkept]};
                memcpy(topics[ntopics++].topic_id, tr->topic_id, sizeof(tr->topic_id));
            }
            topics[ntopics - 1].partitions_count++;
            kept[nkept++] = tr->partitions[j];
        }
    }
    out->responses = topics;
    out->responses_count = ntopics;
    if (nserved) { /* stable: the others keep their order, then the served ones in theirs */
        size_t m = 0, ns = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (mark[i] == 2)
                served[ns++] = s->parts[i];
            else
                s->parts[m++] = s->parts[i];
        }
        memcpy(&s->parts[m], served, ns * sizeof(*served));
        s->slots_stale = 1;
    }
    return 0;
}

int fr_fetch_context_answer(fr_fetch_sessions_t *c, fr_fetch_context_t *ctx, const fr_fetch_request_t *in,
                            fr_fetch_response_t *out, fr_arena_t *arena, uint64_t now) {
    out->session_id = 0;
    switch (ctx->kind) {
    case FR_FETCH_SESSION_ERROR:
        fr_fetch_response_release(out);
        out->error_code = ctx->error;
        out->responses_count = 0;
        return 0;
    case FR_FETCH_FULL:
        return answer_full(c, ctx, in, out, now);
    case FR_FETCH_INCREMENTAL:
        return answer_incremental(ctx, out, arena);
    default:
        return 0;
    }
}

void fr_fetch_context_release(fr_fetch_context_t *ctx) {
    session_unref(ctx->session);
    ctx->session = NULL;
}
