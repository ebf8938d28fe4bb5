/*
 * group.c — group registry, membership and the rebalance state machine.
 * Offsets and their persistence live in offsets_log.c.
 */
#include "group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fr_array.h"
#include "fr_err.h"
#include "fr_logging.h"

#define COMPONENT "group-coordinator"

const char *fr_group_state_name(fr_group_state_t s) {
    switch (s) {
    case FR_GROUP_EMPTY: return "Empty";
    case FR_GROUP_PREPARING_REBALANCE: return "PreparingRebalance";
    case FR_GROUP_COMPLETING_REBALANCE: return "CompletingRebalance";
    case FR_GROUP_STABLE: return "Stable";
    case FR_GROUP_DEAD: return "Dead";
    }
    return "Unknown";
}

/* ---------- registry ---------- */

static const char *group_name_of(const void *item) { return ((const fr_group_t *)item)->group_id; }

static long groups_search(const fr_groups_t *g, fr_slice_t id) {
    return fr_sorted_search((void *const *)g->items, g->count, id, group_name_of);
}

fr_group_t *fr_groups_find(fr_groups_t *g, fr_slice_t id) {
    if (id.len < 0)
        return NULL;
    long i = groups_search(g, id);
    return i >= 0 ? g->items[i] : NULL;
}

fr_group_t *fr_groups_get_or_create(fr_groups_t *g, fr_slice_t id) {
    long i = groups_search(g, id);
    if (i >= 0)
        return g->items[i];
    size_t pos = (size_t)(-i - 1);
    if (FR_ARRAY_GROW(g->items, g->cap, g->count + 1, 16))
        return NULL;
    fr_group_t *grp = calloc(1, sizeof(*grp));
    if (!grp || !(grp->group_id = strndup((const char *)id.ptr, (size_t)id.len))) {
        free(grp);
        return NULL;
    }
    grp->state = FR_GROUP_EMPTY;
    grp->empty_since_ms = -1; /* never had members: its offsets expire by their commit times */
    memmove(g->items + pos + 1, g->items + pos, (g->count - pos) * sizeof(*g->items));
    g->items[pos] = grp;
    g->count++;
    return grp;
}

static void member_free(fr_member_t *m) {
    if (!m)
        return;
    free(m->member_id);
    free(m->group_instance_id);
    free(m->client_id);
    free(m->client_host);
    for (int32_t i = 0; i < m->num_protocols; i++) {
        free(m->protocols[i].name);
        free(m->protocols[i].metadata.ptr);
    }
    free(m->protocols);
    free(m->assignment.ptr);
    free(m);
}

static void subscriptions_clear(fr_group_t *grp) {
    for (int32_t i = 0; i < grp->num_subscribed; i++)
        free(grp->subscribed[i]);
    free(grp->subscribed);
    grp->subscribed = NULL;
    grp->num_subscribed = 0;
    grp->subscribed_known = 0;
}

static void group_free(fr_group_t *grp) {
    subscriptions_clear(grp);
    for (int32_t i = 0; i < grp->num_members; i++)
        member_free(grp->members[i]);
    free(grp->members);
    for (int32_t i = 0; i < grp->num_pending; i++)
        free(grp->pending[i].id);
    free(grp->pending);
    for (int32_t i = 0; i < grp->num_offsets; i++) {
        free(grp->offsets[i].topic);
        free(grp->offsets[i].metadata);
    }
    free(grp->offsets);
    free(grp->group_id);
    free(grp->protocol_type);
    free(grp->protocol_name);
    free(grp->leader_id);
    free(grp);
}

void fr_groups_close(fr_groups_t *g) {
    for (size_t i = 0; i < g->count; i++)
        group_free(g->items[i]);
    free(g->items);
    g->items = NULL;
    g->count = g->cap = 0;
}

/* Removes the group from the registry and frees it. */
void fr_groups_forget(fr_groups_t *g, fr_group_t *grp) {
    long i = groups_search(g, fr_slice_from_cstr(grp->group_id));
    if (i < 0)
        return;
    memmove(g->items + i, g->items + i + 1, (g->count - (size_t)i - 1) * sizeof(*g->items));
    g->count--;
    group_free(grp);
}

fr_member_t *fr_group_member(const fr_group_t *grp, fr_slice_t member_id) {
    for (int32_t i = 0; i < grp->num_members; i++)
        if (fr_slice_eq_cstr(member_id, grp->members[i]->member_id))
            return grp->members[i];
    return NULL;
}

fr_member_t *fr_group_static_member(const fr_group_t *grp, fr_slice_t instance_id) {
    if (instance_id.len < 0)
        return NULL;
    for (int32_t i = 0; i < grp->num_members; i++)
        if (grp->members[i]->group_instance_id && fr_slice_eq_cstr(instance_id, grp->members[i]->group_instance_id))
            return grp->members[i];
    return NULL;
}

/* ---------- state machine ---------- */

static void set_str(char **dst, const char *src) {
    free(*dst);
    *dst = src ? strdup(src) : NULL;
}

int fr_group_pending_add(fr_group_t *grp, const char *id, uint64_t expires) {
    if (FR_ARRAY_GROW(grp->pending, grp->cap_pending, (size_t)grp->num_pending + 1, 8))
        return FR_ERR_NOMEM;
    char *copy = strdup(id);
    if (!copy)
        return FR_ERR_NOMEM;
    grp->pending[grp->num_pending++] = (fr_pending_member_t){copy, expires};
    return 0;
}

static void pending_drop_at(fr_group_t *grp, int32_t i) {
    free(grp->pending[i].id);
    grp->pending[i] = grp->pending[--grp->num_pending];
}

int fr_group_pending_take(fr_group_t *grp, fr_slice_t id) {
    for (int32_t i = 0; i < grp->num_pending; i++)
        if (fr_slice_eq_cstr(id, grp->pending[i].id)) {
            pending_drop_at(grp, i);
            return 1;
        }
    return 0;
}

static int all_members_joined(const fr_group_t *grp) {
    if (grp->num_pending > 0)
        return 0;
    for (int32_t i = 0; i < grp->num_members; i++)
        if (!grp->members[i]->awaiting_join)
            return 0;
    return 1;
}

static int32_t max_rebalance_timeout(const fr_group_t *grp) {
    int32_t max_rebalance = 0;
    for (int32_t i = 0; i < grp->num_members; i++)
        if (grp->members[i]->rebalance_timeout_ms > max_rebalance)
            max_rebalance = grp->members[i]->rebalance_timeout_ms;
    return max_rebalance;
}

/* Kafka's maybeElectNewJoinedLeader: keeps a leader that rejoined, else takes
 * the first member that did; 0 when none did. */
static int elect_joined_leader(fr_group_t *grp) {
    fr_member_t *first_joined = NULL;
    for (int32_t i = 0; i < grp->num_members; i++) {
        fr_member_t *m = grp->members[i];
        if (!m->awaiting_join)
            continue;
        if (grp->leader_id && strcmp(grp->leader_id, m->member_id) == 0)
            return 1;
        if (!first_joined)
            first_joined = m;
    }
    if (!first_joined)
        return 0;
    set_str(&grp->leader_id, first_joined->member_id);
    return 1;
}

/* A new rebalance: nobody owes a SyncGroup for the old generation any more. */
static void clear_pending_sync(fr_group_t *grp) {
    for (int32_t i = 0; i < grp->num_members; i++)
        grp->members[i]->pending_sync = 0;
    grp->pending_sync_ghost = 0;
}

void fr_group_prepare_rebalance(fr_groups_t *g, fr_group_t *grp, uint64_t now, const char *reason) {
    if (grp->state == FR_GROUP_PREPARING_REBALANCE)
        return;
    int32_t max_rebalance = max_rebalance_timeout(grp);
    /* A group forming from empty waits group.initial.rebalance.delay.ms so that
     * members starting together land in one generation. */
    grp->initial_join = grp->state == FR_GROUP_EMPTY && g->initial_rebalance_delay_ms > 0;
    uint64_t wait = grp->initial_join ? (uint64_t)g->initial_rebalance_delay_ms : (uint64_t)max_rebalance;
    if (grp->initial_join && (uint64_t)max_rebalance < wait)
        wait = (uint64_t)max_rebalance;
    grp->join_deadline = now + wait;
    grp->join_limit = now + (uint64_t)max_rebalance;
    grp->state = FR_GROUP_PREPARING_REBALANCE;
    clear_pending_sync(grp);
    fr_info(COMPONENT, "Preparing to rebalance group %s in state PreparingRebalance with old generation %d (reason: %s)",
            grp->group_id, grp->generation_id, reason);
    fr_server_wake(g->srv);
}

/* (group.h) */
const char *fr_group_select_protocol(const fr_group_t *grp) {
    fr_member_t *first = grp->members[0];
    const char *best = NULL;
    int best_votes = -1;
    for (int32_t c = 0; c < first->num_protocols; c++) {
        const char *cand = first->protocols[c].name;
        int everyone = 1;
        for (int32_t i = 1; i < grp->num_members && everyone; i++) {
            int has = 0;
            for (int32_t p = 0; p < grp->members[i]->num_protocols; p++)
                has |= strcmp(grp->members[i]->protocols[p].name, cand) == 0;
            everyone = has;
        }
        if (!everyone)
            continue;
        int votes = 0;
        for (int32_t i = 0; i < grp->num_members; i++) {
            /* each member votes for its most preferred common protocol */
            for (int32_t p = 0; p < grp->members[i]->num_protocols; p++) {
                const char *pn = grp->members[i]->protocols[p].name;
                int common = 1;
                for (int32_t j = 0; j < grp->num_members && common; j++) {
                    int has = 0;
                    for (int32_t q = 0; q < grp->members[j]->num_protocols; q++)
                        has |= strcmp(grp->members[j]->protocols[q].name, pn) == 0;
                    common = has;
                }
                if (common) {
                    votes += strcmp(pn, cand) == 0;
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

static void drop_member_at(fr_group_t *grp, int32_t i) {
    fr_member_t *m = grp->members[i];
    if (grp->leader_id && strcmp(grp->leader_id, m->member_id) == 0)
        set_str(&grp->leader_id, NULL);
    member_free(m);
    memmove(grp->members + i, grp->members + i + 1, (size_t)(grp->num_members - i - 1) * sizeof(*grp->members));
    grp->num_members--;
}

void fr_group_clear_members(fr_group_t *grp) {
    while (grp->num_members > 0)
        drop_member_at(grp, grp->num_members - 1);
}

void fr_group_maybe_complete_join(fr_groups_t *g, fr_group_t *grp, uint64_t now) {
    if (grp->state != FR_GROUP_PREPARING_REBALANCE)
        return;
    if (grp->initial_join ? now < grp->join_deadline : (!all_members_joined(grp) && now < grp->join_deadline))
        return;
    /* Dynamic members that did not rejoin in time are out; static ones keep
     * their place until their session expires (Kafka's completeClassicGroupJoin). */
    for (int32_t i = grp->num_members - 1; i >= 0; i--)
        if (!grp->members[i]->awaiting_join && !grp->members[i]->group_instance_id) {
            fr_info(COMPONENT, "Member %s of group %s did not rejoin in time; removing it",
                    grp->members[i]->member_id, grp->group_id);
            drop_member_at(grp, i);
        }
    if (grp->num_members > 0 && !elect_joined_leader(grp)) {
        /* only absent static members: wait another rebalance timeout for them
         * to rejoin or for their sessions to expire, as Kafka does */
        fr_warn(COMPONENT, "Group %s could not complete rebalance because no members rejoined", grp->group_id);
        grp->join_deadline = now + (uint64_t)max_rebalance_timeout(grp);
        return;
    }
    grp->initial_join = 0; /* pending ids stay: they may still join (or expire) */
    grp->generation_id++;
    if (grp->num_members == 0) {
        grp->state = FR_GROUP_EMPTY;
        set_str(&grp->protocol_name, NULL);
        set_str(&grp->leader_id, NULL);
        grp->empty_since_ms = fr_now_ms();
        fr_group_snapshot_subscriptions(grp);
        fr_info(COMPONENT, "Group %s with generation %d is now empty", grp->group_id, grp->generation_id);
        fr_group_store_metadata(g, grp);
    } else {
        set_str(&grp->protocol_name, fr_group_select_protocol(grp));
        if (!grp->leader_id)
            set_str(&grp->leader_id, grp->members[0]->member_id);
        grp->state = FR_GROUP_COMPLETING_REBALANCE;
        grp->sync_deadline = now + (uint64_t)max_rebalance_timeout(grp);
        fr_group_snapshot_subscriptions(grp);
        for (int32_t i = 0; i < grp->num_members; i++) {
            fr_member_t *m = grp->members[i];
            m->joined_generation = grp->generation_id;
            m->awaiting_join = 0;
            m->pending_sync = 1;
            m->last_heartbeat = now;
            free(m->assignment.ptr);
            m->assignment = (fr_bytes_t){NULL, 0};
        }
        fr_info(COMPONENT, "Stabilized group %s generation %d with %d members (protocol %s)", grp->group_id,
                grp->generation_id, grp->num_members, grp->protocol_name ? grp->protocol_name : "-");
    }
    fr_server_wake(g->srv);
}

/*
 * Kafka's expirePendingSync: members of the generation that sent no
 * SyncGroup within the rebalance timeout of its join phase (a leader that
 * never hands out assignments would otherwise keep its group in
 * CompletingRebalance for good) are removed, and the rest rebalance.
 */
/* After members were dropped: the rest rebalance, at once when nobody is left to wait for. */
static void rebalance_without(fr_groups_t *g, fr_group_t *grp, uint64_t now, const char *reason) {
    if (grp->state == FR_GROUP_STABLE || grp->state == FR_GROUP_COMPLETING_REBALANCE)
        fr_group_prepare_rebalance(g, grp, now, reason);
    if (grp->state == FR_GROUP_PREPARING_REBALANCE) {
        if (grp->num_members == 0)
            grp->join_deadline = now;
        fr_group_maybe_complete_join(g, grp, now);
    }
}

static void expire_pending_sync(fr_groups_t *g, fr_group_t *grp, uint64_t now) {
    if ((grp->state != FR_GROUP_COMPLETING_REBALANCE && grp->state != FR_GROUP_STABLE) || now < grp->sync_deadline)
        return;
    int any = grp->pending_sync_ghost;
    for (int32_t i = 0; i < grp->num_members && !any; i++)
        any = grp->members[i]->pending_sync;
    if (!any) {
        grp->sync_deadline = UINT64_MAX; /* everyone synced: nothing to look at until the next join */
        return;
    }
    for (int32_t i = grp->num_members - 1; i >= 0; i--)
        if (grp->members[i]->pending_sync) {
            fr_info(COMPONENT, "Member %s of group %s sent no SyncGroup for generation %d in time; removing it",
                    grp->members[i]->member_id, grp->group_id, grp->generation_id);
            drop_member_at(grp, i);
        }
    rebalance_without(g, grp, now, "removing members on pending sync request expiration");
}

void fr_group_complete_sync(fr_groups_t *g, fr_group_t *grp) {
    grp->state = FR_GROUP_STABLE;
    uint64_t now = uv_now(g->srv->loop);
    for (int32_t i = 0; i < grp->num_members; i++) {
        grp->members[i]->awaiting_sync = 0;
        grp->members[i]->last_heartbeat = now;
    }
    fr_info(COMPONENT, "Assignment received from leader %s for group %s for generation %d. The group has %d members",
            grp->leader_id, grp->group_id, grp->generation_id, grp->num_members);
    fr_group_store_metadata(g, grp);
    fr_server_wake(g->srv);
}

void fr_group_remove_member(fr_groups_t *g, fr_group_t *grp, fr_member_t *m, uint64_t now, const char *reason) {
    for (int32_t i = 0; i < grp->num_members; i++) {
        if (grp->members[i] != m)
            continue;
        fr_info(COMPONENT, "Member %s in group %s has left (%s)", m->member_id, grp->group_id, reason);
        drop_member_at(grp, i);
        break;
    }
    rebalance_without(g, grp, now, reason);
    fr_server_wake(g->srv);
}

uint64_t fr_groups_next_deadline(const fr_groups_t *g) {
    uint64_t next = UINT64_MAX;
#define EARLIER(t) next = (t) < next ? (t) : next
    for (size_t gi = 0; gi < g->count; gi++) {
        const fr_group_t *grp = g->items[gi];
        for (int32_t i = 0; i < grp->num_members; i++) {
            const fr_member_t *m = grp->members[i];
            if (!m->awaiting_join && !m->awaiting_sync)
                EARLIER(m->last_heartbeat + (uint64_t)m->session_timeout_ms);
        }
        for (int32_t i = 0; i < grp->num_pending; i++)
            EARLIER(grp->pending[i].expires);
        if (grp->state == FR_GROUP_PREPARING_REBALANCE)
            EARLIER(grp->join_deadline);
        if (grp->state == FR_GROUP_COMPLETING_REBALANCE || grp->state == FR_GROUP_STABLE)
            EARLIER(grp->sync_deadline);
    }
#undef EARLIER
    return next;
}

void fr_groups_tick(fr_groups_t *g, uint64_t now) {
    for (size_t gi = 0; gi < g->count; gi++) {
        fr_group_t *grp = g->items[gi];
        for (int32_t i = grp->num_members - 1; i >= 0; i--) {
            fr_member_t *m = grp->members[i];
            if (m->awaiting_join || m->awaiting_sync)
                continue;
            if (now >= m->last_heartbeat + (uint64_t)m->session_timeout_ms)
                fr_group_remove_member(g, grp, m, now, "session timeout expired");
        }
        expire_pending_sync(g, grp, now);
        int expired = 0;
        for (int32_t i = grp->num_pending - 1; i >= 0; i--)
            if (now >= grp->pending[i].expires) {
                fr_info(COMPONENT, "Pending member %s in group %s has been removed after session timeout expiration",
                        grp->pending[i].id, grp->group_id);
                pending_drop_at(grp, i);
                expired = 1;
            }
        /* the deadline passed, or the join phase waited only on expired pending ids */
        if (grp->state == FR_GROUP_PREPARING_REBALANCE && (expired || now >= grp->join_deadline))
            fr_group_maybe_complete_join(g, grp, now);
    }
    if (now >= g->next_retention_check) {
        /* Offsets of groups empty for longer than offsets.retention.minutes
         * expire; an empty group left without offsets is deleted (Kafka's
         * cleanupGroupMetadata), so ListGroups stops showing it.  Backwards:
         * a deletion drops the group from the list. */
        g->next_retention_check = now + (uint64_t)g->retention_check_interval_ms;
        int64_t wall = fr_now_ms();
        for (size_t gi = g->count; gi-- > 0;) {
            fr_group_t *grp = g->items[gi];
            /* Kafka's removeExpiredOffsets: an Empty group that had members counts from when it
             * became Empty; a group that never had any (a simple consumer's) from each commit; a
             * Stable consumer group expires, by commit time, the offsets of topics its generation
             * does not subscribe to; any other keeps its offsets */
            int empty = grp->state == FR_GROUP_EMPTY && grp->num_members == 0;
            int stable = grp->state == FR_GROUP_STABLE && grp->subscribed_known; /* known: consumer groups only */
            if (!empty && !stable)
                continue;
            for (int32_t i = grp->num_offsets - 1; i >= 0; i--) {
                if (stable && fr_group_subscribes_to(grp, grp->offsets[i].topic))
                    continue;
                int64_t since = empty && grp->protocol_type && grp->empty_since_ms >= 0
                                    ? grp->empty_since_ms
                                    : grp->offsets[i].commit_timestamp;
                int64_t expire = grp->offsets[i].expire_timestamp; /* a v2-v4 commit's own retention */
                if (expire >= 0 ? wall >= expire : wall - since >= g->offsets_retention_ms) {
                    fr_info(COMPONENT, "Expiring offset of %s-%d for group %s", grp->offsets[i].topic,
                            grp->offsets[i].partition, grp->group_id);
                    char *topic = strdup(grp->offsets[i].topic);
                    if (topic) {
                        fr_group_delete_offsets(g, grp, topic, grp->offsets[i].partition);
                        free(topic);
                    }
                }
            }
            if (fr_group_deletable(grp)) {
                int rc = fr_groups_delete(g, fr_slice_from_cstr(grp->group_id)); /* and its tombstone */
                if (rc)
                    fr_warn(COMPONENT, "could not delete an empty group: %s", fr_err_str(rc));
            }
        }
    }
}

int fr_group_deletable(const fr_group_t *grp) {
    /* (ids handed out with MEMBER_ID_REQUIRED are members about to join: the group is kept for them) */
    return grp->state == FR_GROUP_EMPTY && grp->num_members == 0 && grp->num_offsets == 0 && grp->num_pending == 0;
}

int fr_groups_delete(fr_groups_t *g, fr_slice_t group_id) {
    fr_group_t *grp = fr_groups_find(g, group_id);
    if (!grp)
        return FR_ERR_GROUP_ID_NOT_FOUND;
    if (grp->state != FR_GROUP_EMPTY || grp->num_members > 0)
        return FR_ERR_NON_EMPTY_GROUP;
    grp->state = FR_GROUP_DEAD;
    int rc = fr_group_delete_offsets(g, grp, NULL, -1);
    /* Dead: the group tombstone; not for generation 0, a group that only stored offsets and never
     * wrote metadata (Kafka's cleanupGroupMetadata) */
    if (!rc && grp->generation_id > 0)
        rc = fr_group_store_metadata(g, grp);
    if (rc) {
        grp->state = FR_GROUP_EMPTY; /* still there, so the next clean-up (or DeleteGroups) tries again */
        return rc;
    }
    fr_info(COMPONENT, "Group %s deleted", grp->group_id);
    fr_groups_forget(g, grp);
    return 0;
}

int32_t fr_groups_offsets_partition(const fr_groups_t *g, const char *group_id) {
    /* Kafka: Utils.abs(groupId.hashCode) % partitions, with Java's String.hashCode over UTF-16 units.
     * Group ids are nearly always ASCII; for other bytes this still spreads evenly. */
    int32_t h = 0;
    for (const unsigned char *p = (const unsigned char *)group_id; *p; p++)
        h = (int32_t)((uint32_t)h * 31u + *p);
    int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
    return a % g->offsets_partitions;
}

int16_t fr_group_validate_member(const fr_group_t *grp, fr_slice_t member_id, fr_slice_t instance_id,
                                 fr_member_t **out) {
    fr_member_t *m = fr_group_member(grp, member_id);
    *out = NULL;
    if (!fr_slice_is_null(instance_id)) {
        fr_member_t *owner = fr_group_static_member(grp, instance_id);
        if (!owner)
            return FR_ERR_UNKNOWN_MEMBER_ID;
        if (owner != m)
            return FR_ERR_FENCED_INSTANCE_ID;
    } else if (!m) {
        return FR_ERR_UNKNOWN_MEMBER_ID;
    }
    *out = m;
    return FR_ERR_NONE;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Adds the topics of one ConsumerProtocolSubscription (version int16, topics
 * [string], ...: v0 is every version's prefix).  -1 when it does not parse or
 * memory runs out. */
static int add_subscription(fr_group_t *grp, const fr_bytes_t *metadata, size_t *cap) {
    fr_reader_t r;
    int16_t version;
    int32_t n;
    if (metadata->len < 0)
        return -1;
    fr_reader_init(&r, metadata->ptr, (size_t)metadata->len);
    if (fr_read_i16(&r, &version) || fr_read_array_len(&r, 0, 2, &n))
        return -1;
    for (int32_t t = 0; t < n; t++) {
        fr_slice_t name;
        if (fr_read_string(&r, 0, 0, &name) ||
            FR_ARRAY_GROW(grp->subscribed, *cap, (size_t)grp->num_subscribed + 1, 8))
            return -1;
        char *copy = strndup((const char *)name.ptr, (size_t)name.len);
        if (!copy)
            return -1;
        grp->subscribed[grp->num_subscribed++] = copy;
    }
    return 0;
}

/* (group.h) Kafka's computeSubscribedTopics. */
void fr_group_snapshot_subscriptions(fr_group_t *grp) {
    subscriptions_clear(grp);
    if (!grp->protocol_type || strcmp(grp->protocol_type, "consumer") != 0)
        return;
    if (grp->num_members > 0 && !grp->protocol_name)
        return;
    size_t cap = 0;
    for (int32_t i = 0; i < grp->num_members; i++)
        for (int32_t p = 0; p < grp->members[i]->num_protocols; p++)
            if (strcmp(grp->members[i]->protocols[p].name, grp->protocol_name) == 0 &&
                add_subscription(grp, &grp->members[i]->protocols[p].metadata, &cap)) {
                subscriptions_clear(grp); /* cannot be told */
                return;
            }
    if (grp->num_subscribed > 1)
        qsort(grp->subscribed, (size_t)grp->num_subscribed, sizeof(*grp->subscribed), cmp_names);
    grp->subscribed_known = 1;
}

int fr_group_subscribes_to(const fr_group_t *grp, const char *topic) {
    /* Kafka's ClassicGroup.isSubscribedToTopic: only a consumer group with
     * members subscribes to anything; while it cannot know their topics (no
     * generation yet, or a subscription that does not parse) it takes the
     * group to subscribe to every topic. */
    if (!grp->protocol_type || strcmp(grp->protocol_type, "consumer") != 0 || grp->num_members == 0)
        return 0;
    if (!grp->subscribed_known)
        return 1;
    return grp->num_subscribed > 0 &&
           bsearch(&topic, grp->subscribed, (size_t)grp->num_subscribed, sizeof(*grp->subscribed), cmp_names) != NULL;
}
