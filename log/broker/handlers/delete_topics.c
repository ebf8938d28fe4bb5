/*
 * DeleteTopics: by name (v0-5) or by name or id (v6).
 *
 * A topic whose new partitions are being made (CreatePartitions) is deleted
 * once they are: the request parks until then, up to its timeout_ms, after
 * which that topic is answered REQUEST_TIMED_OUT and kept.
 *
 * A deletion is answered once it is on disk: the request parks again until
 * the log dirs' sync asked for after its renames is back (topic_delete.c).
 * If that sync fails, the deleted topics are answered KAFKA_STORAGE_ERROR;
 * if timeout_ms passes first, REQUEST_TIMED_OUT (they stay deleted either
 * way, as far as this broker is concerned, and a retry finds them gone).
 * With timeout_ms <= 0 the answer does not wait, and every deleted topic is
 * answered REQUEST_TIMED_OUT, as CreateTopics' (Kafka's ZkAdminManager).
 *
 * A named topic still being created (a CreateTopics answered before its
 * files were made, as with timeout_ms <= 0) is waited for first, whatever
 * the timeout, and then deleted: Kafka's ZkAdminManager has written such a
 * topic before it answers, so a deletion right after finds it.
 *
 * Before anything is deleted, entries are checked as Kafka's ControllerApis
 * does: a name or id given twice is answered once ("Duplicate topic
 * name."/"Duplicate topic id.", INVALID_REQUEST) and deletes nothing; a v6
 * entry must give a name or an id, not both, not neither; a name whose
 * topic's id the request also gives is refused, the id deletes it.  With
 * deletion disabled every entry is refused: TOPIC_DELETION_DISABLED from v3,
 * INVALID_REQUEST before (older clients do not know that code).
 */
#include <stddef.h>
#include <string.h>

#include "handlers.h"

typedef struct delete_topics_state {
    fr_delete_topics_request_t in;
    fr_delete_topics_response_t out;
    int32_t *entry;       /* per answer: the request entry it answers */
    uint8_t *settled;     /* per answer: refused before deletion; delete_now leaves it */
    int deleted;          /* the deletions were made; what is left is their sync */
    int created;          /* no named topic is still being created */
    uint64_t deadline_ms; /* the request's own, kept while it waits for a creation */
    uint64_t sync_ticket; /* the sync that makes them durable (0: none deleted) */
} delete_topics_state_t;

/* The topic answer k's entry names, or NULL; v6 entries by id get their name filled in. */
static fr_topic_t *lookup(fr_req_t *req, delete_topics_state_t *st, int32_t k) {
    fr_server_t *srv = req->srv;
    fr_delete_topics_response_deletable_topic_result_t *r = &st->out.responses[k];
    int32_t i = st->entry[k];
    if (req->hdr.api_version < 6)
        return fr_topics_find(&srv->topics, st->in.topic_names[i]);
    if (!fr_slice_is_null(st->in.topics[i].name))
        return fr_topics_find(&srv->topics, st->in.topics[i].name);
    fr_topic_t *topic = fr_topics_find_id(&srv->topics, st->in.topics[i].topic_id);
    if (topic)
        r->name = fr_req_msg(req, topic->name);
    return topic;
}

/* Deletes what can be deleted, once no named topic is still growing. */
static int delete_now(fr_req_t *req, delete_topics_state_t *st, int timed_out) {
    fr_server_t *srv = req->srv;
    int any_deleted = 0;
    if (!timed_out)
        for (int32_t k = 0; k < st->out.responses_count; k++) {
            fr_topic_t *topic = st->settled[k] ? NULL : lookup(req, st, k);
            if (topic && topic->growths)
                return FR_REQ_PARKED;
        }
    for (int32_t k = 0; k < st->out.responses_count; k++) {
        if (st->settled[k])
            continue;
        fr_delete_topics_response_deletable_topic_result_t *r = &st->out.responses[k];
        int v6_by_id = req->hdr.api_version >= 6 && fr_slice_is_null(st->in.topics[st->entry[k]].name);
        fr_topic_t *topic = lookup(req, st, k);
        if (topic)
            memcpy(r->topic_id, topic->id, 16);
        if (!topic)
            r->error_code = v6_by_id ? FR_ERR_UNKNOWN_TOPIC_ID : FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        else
            r->error_code = fr_err_to_kafka(fr_server_delete_topic(srv, topic));
        if (r->error_code == FR_ERR_REQUEST_TIMED_OUT)
            r->error_message = fr_req_msg(req, "Timed out waiting for the topic's new partitions; it was not deleted.");
        any_deleted |= r->error_code == FR_ERR_NONE;
    }
    if (any_deleted) /* one sync for the whole request */
        st->sync_ticket = fr_dir_sync_request(srv);
    st->deleted = 1;
    return FR_REQ_DONE;
}

/* The deleted topics' answer once their sync is back (or will not be waited for). */
static void answer_deleted(fr_req_t *req, delete_topics_state_t *st, int16_t code, const char *why) {
    for (int32_t i = 0; i < st->out.responses_count; i++) {
        fr_delete_topics_response_deletable_topic_result_t *r = &st->out.responses[i];
        if (r->error_code == 0) {
            r->error_code = code;
            r->error_message = fr_req_msg(req, why);
        }
    }
}

/* True while a topic named by an unsettled answer is still being created. */
static int creation_pending(fr_req_t *req, delete_topics_state_t *st) {
    for (int32_t k = 0; k < st->out.responses_count; k++) {
        if (st->settled[k])
            continue;
        int32_t i = st->entry[k];
        fr_slice_t name = req->hdr.api_version < 6 ? st->in.topic_names[i] : st->in.topics[i].name;
        if (!fr_slice_is_null(name) && !fr_topics_find(&req->srv->topics, name) &&
            fr_topics_pending(&req->srv->topics, name))
            return 1;
    }
    return 0;
}

static int delete_topics_retry(fr_req_t *req, int timed_out) {
    delete_topics_state_t *st = req->state;
    if (!st->created) {
        /* a creation always ends (its build wakes the parked requests): no deadline meanwhile */
        if (creation_pending(req, st)) {
            req->deadline_ms = UINT64_MAX;
            return FR_REQ_PARKED;
        }
        st->created = 1;
        req->deadline_ms = st->deadline_ms;
        timed_out = uv_now(req->srv->loop) >= st->deadline_ms && st->in.timeout_ms > 0 ? 1 : timed_out;
    }
    if (!st->deleted && delete_now(req, st, timed_out) == FR_REQ_PARKED)
        return FR_REQ_PARKED;
    int sync = st->sync_ticket && st->in.timeout_ms > 0 ? fr_dir_sync_state(req->srv, st->sync_ticket) : 0;
    if (sync == 1 && !timed_out)
        return FR_REQ_PARKED;
    if (st->sync_ticket && st->in.timeout_ms <= 0)
        answer_deleted(req, st, FR_ERR_REQUEST_TIMED_OUT,
                       "Not waiting for the deletion to reach the disk (timeout_ms <= 0); the topic is deleted.");
    else if (sync == 1)
        answer_deleted(req, st, FR_ERR_REQUEST_TIMED_OUT,
                       "The topic was deleted, but the deletion was not yet on disk when the timeout passed.");
    else if (sync)
        answer_deleted(req, st, FR_ERR_KAFKA_STORAGE_ERROR,
                       "The topic was deleted, but syncing the log directory failed: the deletion may not "
                       "survive a crash.");
    fr_delete_topics_response_write(req->resp, req->hdr.api_version, &st->out);
    return FR_REQ_DONE;
}

/* Refuses answer k before anything is deleted. */
static void settle(fr_req_t *req, delete_topics_state_t *st, int32_t k, int16_t code, const char *msg) {
    st->out.responses[k].error_code = code;
    st->out.responses[k].error_message = msg ? fr_req_msg(req, msg) : FR_SLICE_NULL;
    st->settled[k] = 1;
}

/* A v6 request's names that map to a topic whose id the request also
 * gives: refused, the id deletes it.  Finds them by marking the ids given
 * (first) and the named topics' ids (after) as repeats of one another. */
static int refuse_names_of_given_ids(fr_req_t *req, delete_topics_state_t *st) {
    int32_t n = st->out.responses_count, m = 0;
    fr_slice_t *ids = FR_REQ_ARRAY(req, fr_slice_t, 2 * n);
    int32_t *answer = FR_REQ_ARRAY(req, int32_t, 2 * n);
    if (!ids || !answer)
        return FR_ERR_NOMEM;
    for (int pass = 0; pass < 2; pass++)
        for (int32_t k = 0; k < n; k++) {
            if (st->settled[k])
                continue;
            const fr_delete_topics_request_delete_topic_state_t *e = &st->in.topics[st->entry[k]];
            const fr_topic_t *topic = NULL;
            if (pass == 0 && fr_slice_is_null(e->name))
                ids[m] = (fr_slice_t){e->topic_id, 16};
            else if (pass == 1 && !fr_slice_is_null(e->name) && (topic = fr_topics_find(&req->srv->topics, e->name)))
                ids[m] = (fr_slice_t){topic->id, 16};
            else
                continue;
            answer[m++] = k;
        }
    uint8_t *marks = fr_req_mark_duplicate_names(req, ids, m, sizeof(*ids), 0, 0);
    if (!marks)
        return FR_ERR_NOMEM;
    for (int32_t j = 0; j < m; j++)
        if (marks[j] == FR_NAME_REPEAT && !fr_slice_is_null(st->in.topics[st->entry[answer[j]]].name))
            settle(req, st, answer[j], FR_ERR_INVALID_REQUEST,
                   "The provided topic name maps to an ID that was already supplied.");
    return 0;
}

/* One answer per name or id given, each request entry's checks made. */
static int plan(fr_req_t *req, delete_topics_state_t *st) {
    int16_t v = req->hdr.api_version;
    int32_t n = v >= 6 ? st->in.topics_count : st->in.topic_names_count;
    n = n < 0 ? 0 : n;
    static const uint8_t zero_id[16];
    fr_slice_t *keys = FR_REQ_ARRAY(req, fr_slice_t, n);
    st->out.responses = FR_REQ_ARRAY(req, fr_delete_topics_response_deletable_topic_result_t, n);
    st->entry = FR_REQ_ARRAY(req, int32_t, n);
    st->settled = FR_REQ_ARRAY(req, uint8_t, n);
    if (!keys || !st->out.responses || !st->entry || !st->settled)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < n; i++) {
        if (v < 6) {
            keys[i] = st->in.topic_names[i];
            continue;
        }
        /* names and ids are told apart by a first byte, so no name can repeat an id */
        const fr_delete_topics_request_delete_topic_state_t *e = &st->in.topics[i];
        int by_id = fr_slice_is_null(e->name);
        size_t len = by_id ? 16 : (size_t)e->name.len;
        uint8_t *key = fr_arena_calloc(req->arena, 1, 1 + len);
        if (!key)
            return FR_ERR_NOMEM;
        key[0] = by_id ? 'i' : 'n';
        if (len)
            memcpy(key + 1, by_id ? e->topic_id : e->name.ptr, len);
        keys[i] = (fr_slice_t){key, (int32_t)(1 + len)};
    }
    uint8_t *dups = fr_req_mark_duplicate_names(req, keys, n, sizeof(*keys), 0, 0);
    if (!dups)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < n; i++) {
        if (dups[i] == FR_NAME_REPEAT)
            continue;
        int32_t k = st->out.responses_count++;
        fr_delete_topics_response_deletable_topic_result_t *r = &st->out.responses[k];
        st->entry[k] = i;
        r->error_message = FR_SLICE_NULL;
        const fr_delete_topics_request_delete_topic_state_t *e = v >= 6 ? &st->in.topics[i] : NULL;
        r->name = e ? e->name : st->in.topic_names[i];
        if (e)
            memcpy(r->topic_id, e->topic_id, 16);
        int by_id = e && fr_slice_is_null(e->name), has_id = e && memcmp(e->topic_id, zero_id, 16) != 0;
        if (!req->srv->cfg->delete_topic_enable)
            settle(req, st, k, v >= 3 ? FR_ERR_TOPIC_DELETION_DISABLED : FR_ERR_INVALID_REQUEST,
                   v >= 3 ? NULL : "Topic deletion is disabled.");
        else if (e && !by_id && has_id)
            settle(req, st, k, FR_ERR_INVALID_REQUEST, "You may not specify both topic name and topic id.");
        else if (by_id && !has_id)
            settle(req, st, k, FR_ERR_INVALID_REQUEST, "Neither topic name nor id were specified.");
        else if (dups[i] == FR_NAME_KEPT)
            settle(req, st, k, FR_ERR_INVALID_REQUEST, by_id ? "Duplicate topic id." : "Duplicate topic name.");
    }
    return v >= 6 ? refuse_names_of_given_ids(req, st) : 0;
}

int fr_handle_delete_topics(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    delete_topics_state_t *st = fr_arena_calloc(req->arena, 1, sizeof(*st));
    if (!st)
        return FR_ERR_NOMEM;
    if (fr_delete_topics_request_read(&req->body, v, req->arena, &st->in))
        return FR_ERR_PARSE;
    fr_delete_topics_response_init(&st->out);
    int rc = plan(req, st);
    if (rc)
        return rc;
    req->state = st;
    req->retry = delete_topics_retry;
    st->deadline_ms = uv_now(req->srv->loop) + (uint64_t)(st->in.timeout_ms > 0 ? st->in.timeout_ms : 0);
    req->deadline_ms = st->deadline_ms;
    return delete_topics_retry(req, 0);
}
