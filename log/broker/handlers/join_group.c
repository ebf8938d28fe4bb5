/*
 * JoinGroup: the first phase of a rebalance.  The response waits (parks)
 * until every member has rejoined or the join deadline passes; the leader's
 * response lists every member's subscription so it can compute assignments.
 *
 * New dynamic members at v4+ first get MEMBER_ID_REQUIRED with an id to
 * rejoin with (KIP-394).  Static members (group.instance.id) keep their slot
 * across restarts: a rejoin under a known instance id takes over the old
 * member and, if nothing changed, gets the current generation without a
 * rebalance (KIP-345).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fr_array.h"
#include "fr_logging.h"
#include "group.h"
#include "handlers.h"

#define COMPONENT "group-coordinator"

typedef struct join_state {
    fr_join_group_request_t in;
    char *member_id;      /* arena copy: the member this request joins as */
} join_state_t;

static fr_groups_t *groups(fr_req_t *req) { return &req->srv->groups; }

/* Kafka's generateMemberId: "<group.instance.id>-<uuid>" for a static member,
 * "<client.id>-<uuid>" for a dynamic one. */
static char *new_member_id(fr_req_t *req, fr_slice_t instance_id) {
    uint8_t id[16];
    char uuid[40];
    if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id))
        memset(id, 0, sizeof(id));
    snprintf(uuid, sizeof(uuid), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", id[0], id[1],
             id[2], id[3], id[4], id[5], id[6], id[7], id[8], id[9], id[10], id[11], id[12], id[13], id[14], id[15]);
    fr_slice_t cid = fr_slice_is_null(instance_id) ? req->hdr.client_id : instance_id;
    size_t n = (cid.len > 0 ? (size_t)cid.len : 0) + strlen(uuid) + 2;
    char *s = fr_arena_alloc(req->arena, n);
    if (s)
        snprintf(s, n, "%.*s-%s", cid.len > 0 ? (int)cid.len : 0, cid.len > 0 ? (const char *)cid.ptr : "", uuid);
    return s;
}

static int write_error(fr_req_t *req, int16_t err, const char *member_id) {
    fr_join_group_response_t out;
    fr_join_group_response_init(&out);
    out.error_code = err;
    out.generation_id = -1;
    out.protocol_name = req->hdr.api_version >= 7 ? FR_SLICE_NULL : fr_slice_from_cstr("");
    out.leader = fr_slice_from_cstr("");
    out.member_id = fr_slice_from_cstr(member_id ? member_id : "");
    fr_join_group_response_write(req->resp, req->hdr.api_version, &out);
    return FR_REQ_DONE;
}

static int protocols_match(const fr_member_t *m, const fr_join_group_request_t *in) {
    if (m->num_protocols != in->protocols_count)
        return 0;
    for (int32_t i = 0; i < m->num_protocols; i++) {
        const fr_join_group_request_join_group_request_protocol_t *p = &in->protocols[i];
        if (!fr_slice_eq_cstr(p->name, m->protocols[i].name) || p->metadata.len != m->protocols[i].metadata.len ||
            (p->metadata.len > 0 && memcmp(p->metadata.ptr, m->protocols[i].metadata.ptr, (size_t)p->metadata.len)))
            return 0;
    }
    return 1;
}

/* Copies the request's protocols and timeouts into the member. */
static int member_update(fr_req_t *req, fr_member_t *m, const fr_join_group_request_t *in) {
    fr_member_protocol_t *ps = calloc((size_t)(in->protocols_count > 0 ? in->protocols_count : 1), sizeof(*ps));
    if (!ps)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < in->protocols_count; i++) {
        ps[i].name = strndup((const char *)in->protocols[i].name.ptr, (size_t)in->protocols[i].name.len);
        int32_t len = in->protocols[i].metadata.len < 0 ? 0 : in->protocols[i].metadata.len;
        ps[i].metadata.ptr = malloc((size_t)len + 1);
        ps[i].metadata.len = len;
        if (ps[i].metadata.ptr && len)
            memcpy(ps[i].metadata.ptr, in->protocols[i].metadata.ptr, (size_t)len);
    }
    for (int32_t i = 0; i < m->num_protocols; i++) {
        free(m->protocols[i].name);
        free(m->protocols[i].metadata.ptr);
    }
    free(m->protocols);
    m->protocols = ps;
    m->num_protocols = in->protocols_count;
    m->session_timeout_ms = in->session_timeout_ms;
    m->rebalance_timeout_ms = in->rebalance_timeout_ms > 0 ? in->rebalance_timeout_ms : in->session_timeout_ms;
    free(m->client_id);
    m->client_id = req->hdr.client_id.len > 0 ? strndup((const char *)req->hdr.client_id.ptr, (size_t)req->hdr.client_id.len)
                                              : strdup("");
    free(m->client_host);
    /* Kafka reports the host as InetAddress.toString() does: "/127.0.0.1" */
    char host[80];
    snprintf(host, sizeof(host), "/%s", fr_conn_peer_host(req->conn));
    m->client_host = strdup(host);
    return 0;
}

static fr_member_t *member_add(fr_req_t *req, fr_group_t *grp, const char *member_id, const fr_join_group_request_t *in) {
    fr_member_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->member_id = strdup(member_id);
    m->group_instance_id = in->group_instance_id.len >= 0
                               ? strndup((const char *)in->group_instance_id.ptr, (size_t)in->group_instance_id.len)
                               : NULL;
    if (FR_ARRAY_GROW(grp->members, grp->cap_members, (size_t)grp->num_members + 1, 8)) {
        free(m->member_id);
        free(m->group_instance_id);
        free(m);
        return NULL;
    }
    if (member_update(req, m, in)) {
        free(m->member_id);
        free(m->group_instance_id);
        free(m);
        return NULL;
    }
    m->last_heartbeat = uv_now(req->srv->loop);
    grp->members[grp->num_members++] = m;
    return m;
}

/* Does the member's protocol list overlap what every current member supports? */
static int compatible(const fr_group_t *grp, const fr_join_group_request_t *in) {
    if (grp->num_members == 0)
        return in->protocols_count > 0;
    for (int32_t i = 0; i < in->protocols_count; i++) {
        int everyone = 1;
        for (int32_t j = 0; j < grp->num_members && everyone; j++) {
            int has = 0;
            for (int32_t p = 0; p < grp->members[j]->num_protocols; p++)
                has |= fr_slice_eq_cstr(in->protocols[i].name, grp->members[j]->protocols[p].name);
            everyone = has;
        }
        if (everyone)
            return 1;
    }
    return 0;
}

/* The join's answer naming leader as the leader: m gets the members when it
 * is that leader; skip_assignment (v9+) tells it not to assign. */
static int write_join_answer(fr_req_t *req, fr_group_t *grp, fr_member_t *m, const char *leader,
                             int skip_assignment) {
    int16_t v = req->hdr.api_version;
    fr_join_group_response_t out;
    fr_join_group_response_init(&out);
    out.error_code = FR_ERR_NONE;
    out.generation_id = grp->generation_id;
    out.protocol_type = fr_slice_from_cstr(grp->protocol_type);
    out.protocol_name = fr_slice_from_cstr(grp->protocol_name ? grp->protocol_name : "");
    out.leader = fr_slice_from_cstr(leader ? leader : "");
    out.skip_assignment = skip_assignment != 0;
    out.member_id = fr_slice_from_cstr(m->member_id);
    if (leader && strcmp(leader, m->member_id) == 0) {
        out.members = FR_REQ_ARRAY(req, fr_join_group_response_join_group_response_member_t, grp->num_members);
        if (!out.members)
            return FR_ERR_NOMEM;
        out.members_count = grp->num_members;
        for (int32_t i = 0; i < grp->num_members; i++) {
            fr_member_t *o = grp->members[i];
            out.members[i].member_id = fr_slice_from_cstr(o->member_id);
            out.members[i].group_instance_id = o->group_instance_id ? fr_slice_from_cstr(o->group_instance_id) : FR_SLICE_NULL;
            out.members[i].metadata = fr_slice_from_cstr("");
            for (int32_t p = 0; p < o->num_protocols; p++)
                if (grp->protocol_name && strcmp(o->protocols[p].name, grp->protocol_name) == 0)
                    out.members[i].metadata = (fr_slice_t){o->protocols[p].metadata.ptr, o->protocols[p].metadata.len};
        }
    }
    fr_join_group_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}

/* The response for a member once its group completed the join phase. */
static int write_joined(fr_req_t *req, fr_group_t *grp, fr_member_t *m) {
    return write_join_answer(req, grp, m, grp->leader_id, 0);
}

/* Kafka's acceptJoiningMember for group.max.size: an empty group takes
 * anyone; mid-rebalance, a member already waiting or a newcomer while fewer
 * than the maximum wait (the group's size may still count members about to be
 * dropped); otherwise a member or a newcomer while the group is not full. */
static int accept_joining_member(const fr_groups_t *g, const fr_group_t *grp, const fr_member_t *m) {
    switch (grp->state) {
    case FR_GROUP_EMPTY:
    case FR_GROUP_DEAD:
        return 1;
    case FR_GROUP_PREPARING_REBALANCE: {
        int32_t waiting = 0;
        for (int32_t i = 0; i < grp->num_members; i++)
            waiting += grp->members[i]->awaiting_join != 0;
        return (m && m->awaiting_join) || waiting < g->max_size;
    }
    default:
        return m || grp->num_members < g->max_size;
    }
}

static int join_retry(fr_req_t *req, int timed_out) {
    join_state_t *st = req->state;
    fr_group_t *grp = fr_groups_find(groups(req), st->in.group_id);
    fr_member_t *m = grp ? fr_group_member(grp, fr_slice_from_cstr(st->member_id)) : NULL;
    int coordinator_err = grp ? 0 : fr_groups_coordinator_error(groups(req));
    if (coordinator_err) /* __consumer_offsets was deleted meanwhile: Kafka's onGroupUnloaded */
        return write_error(req, coordinator_err, st->member_id);
    if (!m) {
        /* a static member whose instance id a newer incarnation took while this join waited */
        int fenced = grp && !fr_slice_is_null(st->in.group_instance_id) &&
                     fr_group_static_member(grp, st->in.group_instance_id);
        return write_error(req, fenced ? FR_ERR_FENCED_INSTANCE_ID : FR_ERR_UNKNOWN_MEMBER_ID, st->member_id);
    }
    uint64_t now = uv_now(req->srv->loop);
    if (timed_out && grp->state == FR_GROUP_PREPARING_REBALANCE && grp->join_deadline > now) {
        req->deadline_ms = grp->join_deadline; /* members kept arriving: the first rebalance waits on */
        return FR_REQ_PARKED;
    }
    if (timed_out)
        fr_group_maybe_complete_join(groups(req), grp, now > grp->join_deadline ? now : grp->join_deadline);
    else
        fr_group_maybe_complete_join(groups(req), grp, now);
    if (grp->state != FR_GROUP_PREPARING_REBALANCE && m->joined_generation == grp->generation_id)
        return write_joined(req, grp, m);
    if (timed_out)
        return write_error(req, FR_ERR_REBALANCE_IN_PROGRESS, st->member_id);
    req->deadline_ms = grp->join_deadline;
    return FR_REQ_PARKED;
}

/* Joins (or rejoins) m and waits for the join phase to complete. */
static int join_and_wait(fr_req_t *req, join_state_t *st, fr_group_t *grp, fr_member_t *m, int changed) {
    fr_groups_t *g = groups(req);
    uint64_t now = uv_now(req->srv->loop);
    st->member_id = fr_arena_strndup(req->arena, m->member_id, strlen(m->member_id));
    if (!st->member_id)
        return FR_ERR_NOMEM;
    if (grp->state == FR_GROUP_COMPLETING_REBALANCE && !changed && m->joined_generation == grp->generation_id)
        return write_joined(req, grp, m); /* a repeated join in the same generation: same answer */
    if (grp->state == FR_GROUP_STABLE && !changed && grp->leader_id && strcmp(grp->leader_id, m->member_id) != 0 &&
        m->joined_generation == grp->generation_id)
        return write_joined(req, grp, m); /* a follower with nothing new: no rebalance */
    m->awaiting_join = 1;
    if (grp->state != FR_GROUP_PREPARING_REBALANCE)
        fr_group_prepare_rebalance(g, grp, now, changed ? "member joined or changed its subscription" : "rejoin");
    else if (grp->initial_join && g->initial_rebalance_delay_ms > 0) {
        uint64_t extended = now + (uint64_t)g->initial_rebalance_delay_ms;
        if (extended > grp->join_limit)
            extended = grp->join_limit; /* Kafka's InitialDelayedJoin stops at the rebalance timeout */
        if (extended > grp->join_deadline)
            grp->join_deadline = extended; /* more members are arriving: keep waiting */
    }
    req->retry = join_retry;
    return join_retry(req, 0);
}

/*
 * A known static member back with a new member id (the old one fenced), as
 * Kafka's updateStaticMemberThenRebalanceOrCompleteJoin: in a Stable group
 * whose selected protocol stays, no rebalance, the current generation and
 * assignment.  From JoinGroup v9 (KIP-814) a returning leader is told it
 * leads, with the members, and to skip the assignment; before v9 the answer
 * names the leader as it was before this join, so a returning leader acts as
 * a follower and computes no assignment a Stable group would not hand out.
 * Mid-sync (CompletingRebalance) the leader may be assigning to the old id:
 * a new rebalance.  Mid-join, the member simply joins.
 */
static int static_rejoin(fr_req_t *req, join_state_t *st, fr_group_t *grp, fr_member_t *m, int changed,
                         const char *leader_before) {
    if (grp->state == FR_GROUP_COMPLETING_REBALANCE)
        return join_and_wait(req, st, grp, m, 1);
    if (grp->state != FR_GROUP_STABLE)
        return join_and_wait(req, st, grp, m, changed);
    const char *next = fr_group_select_protocol(grp);
    if (!next || !grp->protocol_name || strcmp(next, grp->protocol_name) != 0)
        return join_and_wait(req, st, grp, m, 1);
    fr_info(COMPONENT, "Static member %s of group %s joined while Stable without changing the selected protocol: "
            "no rebalance", m->member_id, grp->group_id);
    /* the new member id must survive a restart, or the reloaded group would fence it; Kafka writes the
     * group before answering, and on a failed write takes the old id back, which this keeps simple:
     * the member goes on, and is fenced only if the broker restarts before the group is written again */
    int rc = fr_group_store_metadata(groups(req), grp);
    if (rc)
        fr_warn(COMPONENT, "could not write group %s after static member %s rejoined: %s", grp->group_id,
                m->member_id, fr_err_str(rc));
    if (req->hdr.api_version >= 9)
        return write_join_answer(req, grp, m, grp->leader_id,
                                 grp->leader_id && strcmp(grp->leader_id, m->member_id) == 0);
    return write_join_answer(req, grp, m, leader_before, 0);
}

int fr_handle_join_group(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    join_state_t *st = fr_arena_calloc(req->arena, 1, sizeof(*st));
    if (!st)
        return FR_ERR_NOMEM;
    if (fr_join_group_request_read(&req->body, v, req->arena, &st->in))
        return FR_ERR_PARSE;
    req->state = st;
    fr_join_group_request_t *in = &st->in;
    fr_groups_t *g = groups(req);
    if (in->rebalance_timeout_ms <= 0)
        in->rebalance_timeout_ms = in->session_timeout_ms;
    /* errors echo the member id asked with, as Kafka's do */
    size_t asked_len = in->member_id.len > 0 ? (size_t)in->member_id.len : 0;
    char *asked = fr_arena_strndup(req->arena, in->member_id.ptr, asked_len);
    if (!asked)
        return FR_ERR_NOMEM;
    if (in->group_id.len <= 0)
        return write_error(req, FR_ERR_INVALID_GROUP_ID, asked);
    int coordinator_err = fr_groups_coordinator_error(g);
    if (coordinator_err)
        return write_error(req, coordinator_err, asked);
    if (in->session_timeout_ms < g->min_session_timeout_ms || in->session_timeout_ms > g->max_session_timeout_ms)
        return write_error(req, FR_ERR_INVALID_SESSION_TIMEOUT, asked);
    /* only a member without an id may create the group (Kafka's getOrMaybeCreateClassicGroup) */
    if (in->member_id.len > 0 && !fr_groups_find(g, in->group_id))
        return write_error(req, FR_ERR_UNKNOWN_MEMBER_ID, asked);
    fr_group_t *grp = fr_groups_get_or_create(g, in->group_id);
    if (!grp)
        return FR_ERR_NOMEM;
    uint64_t now = uv_now(req->srv->loop);
    fr_member_t *m = in->member_id.len > 0 ? fr_group_member(grp, in->member_id) : NULL;
    if (!accept_joining_member(g, grp, m)) {
        if (m) /* a member that had not rejoined yet: it is out, as in Kafka */
            fr_group_remove_member(g, grp, m, now, "the group is at its group.max.size");
        return write_error(req, FR_ERR_GROUP_MAX_SIZE_REACHED, "");
    }
    if (in->protocol_type.len <= 0 || in->protocols_count <= 0 ||
        (grp->num_members > 0 && grp->protocol_type && !fr_slice_eq_cstr(in->protocol_type, grp->protocol_type)) ||
        !compatible(grp, in))
        return write_error(req, FR_ERR_INCONSISTENT_GROUP_PROTOCOL, asked);
    if (grp->num_members == 0) {
        free(grp->protocol_type);
        grp->protocol_type = strndup((const char *)in->protocol_type.ptr, (size_t)in->protocol_type.len);
    }
    int is_static = in->group_instance_id.len >= 0;

    if (in->member_id.len <= 0) {
        /* A member without an id. */
        char *id = new_member_id(req, in->group_instance_id);
        if (!id)
            return FR_ERR_NOMEM;
        if (is_static) {
            fr_member_t *old = fr_group_static_member(grp, in->group_instance_id);
            if (old) {
                /* KIP-345: the new incarnation replaces the old one (which is now fenced) */
                int was_leader = grp->leader_id && strcmp(grp->leader_id, old->member_id) == 0;
                int changed = !protocols_match(old, in);
                char *leader_before = grp->leader_id ? fr_arena_strndup(req->arena, grp->leader_id,
                                                                        strlen(grp->leader_id)) : NULL;
                if (grp->leader_id && !leader_before)
                    return FR_ERR_NOMEM;
                if (old->pending_sync) { /* Kafka keeps the old id pending: still owed at the deadline */
                    old->pending_sync = 0;
                    grp->pending_sync_ghost = 1;
                }
                free(old->member_id);
                old->member_id = strdup(id);
                fr_server_wake(req->srv); /* the old incarnation's parked join or sync: fenced now */
                if (was_leader) {
                    free(grp->leader_id);
                    grp->leader_id = strdup(id);
                }
                if (member_update(req, old, in))
                    return FR_ERR_NOMEM;
                old->last_heartbeat = now;
                return static_rejoin(req, st, grp, old, changed, leader_before);
            }
        } else if (v >= 4) {
            if (fr_group_pending_add(grp, id, now + (uint64_t)in->session_timeout_ms))
                return FR_ERR_NOMEM;
            return write_error(req, FR_ERR_MEMBER_ID_REQUIRED, id);
        }
        m = member_add(req, grp, id, in);
        if (!m)
            return FR_ERR_NOMEM;
        return join_and_wait(req, st, grp, m, 1);
    }

    /* A member with an id (m: it, when it is a member).  Kafka's validateCurrentMember:
     * an instance id must be mapped, and to this member. */
    if (is_static) {
        fr_member_t *owner = fr_group_static_member(grp, in->group_instance_id);
        if (owner && owner != m)
            return write_error(req, FR_ERR_FENCED_INSTANCE_ID, asked);
        if (!owner && m)
            return write_error(req, FR_ERR_UNKNOWN_MEMBER_ID, asked);
    }
    if (!m) {
        if (!fr_group_pending_take(grp, in->member_id))
            return write_error(req, FR_ERR_UNKNOWN_MEMBER_ID, asked);
        if (!(m = member_add(req, grp, asked, in)))
            return FR_ERR_NOMEM;
        return join_and_wait(req, st, grp, m, 1);
    }
    int changed = !protocols_match(m, in);
    if (changed && member_update(req, m, in))
        return FR_ERR_NOMEM;
    m->last_heartbeat = now;
    return join_and_wait(req, st, grp, m, changed);
}
