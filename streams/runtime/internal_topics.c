/*
 * internal_topics.c — what the application needs from the cluster before its
 * threads start: every user source topic exists, the topics of a
 * sub-topology are co-partitioned, and the internal topics (repartition,
 * changelog) exist with the right partition counts.
 *
 * Partition counts of internal topics marked -1 follow the source topics of
 * their sub-topology (fr_task.h).  A sub-topology fed only by a repartition
 * topic gets its count from that topic, so counts are resolved to a fixed
 * point over the chain.  Several instances may start at once: CreateTopics'
 * TOPIC_ALREADY_EXISTS is success, and an existing internal topic with the
 * wrong partition count is an error (tasks would not line up).
 */
#include <stdlib.h>
#include <string.h>

#include "fr_array.h"
#include "fr_logging.h"
#include "rt_internal.h"

#define RT_ADMIN_TIMEOUT_MS 30000

typedef struct topic_info {
    const char *name;
    int32_t partitions; /* -1 unknown */
    int exists;
    const fr_internal_topic_t *internal; /* NULL for a user topic */
} topic_info_t;

typedef struct topic_set {
    topic_info_t *t;
    size_t n, cap;
} topic_set_t;

static topic_info_t *set_find(topic_set_t *s, const char *name) {
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->t[i].name, name) == 0)
            return &s->t[i];
    }
    return NULL;
}

static topic_info_t *set_add(topic_set_t *s, const char *name) {
    topic_info_t *ti = set_find(s, name);
    if (ti)
        return ti;
    if (FR_ARRAY_GROW(s->t, s->cap, s->n + 1, 16))
        return NULL;
    ti = &s->t[s->n++];
    memset(ti, 0, sizeof(*ti));
    ti->name = name;
    ti->partitions = -1;
    return ti;
}

/* Fills exists/partitions from a metadata request for every topic. */
static int read_metadata(rd_kafka_t *rk, topic_set_t *s, char *err, size_t errlen) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, RT_ADMIN_TIMEOUT_MS);
    if (e) {
        fr_errorf(err, errlen, "metadata request to the cluster failed: %s", rd_kafka_err2str(e));
        return FR_ERR_BROKER_NOT_AVAILABLE;
    }
    for (size_t i = 0; i < s->n; i++) {
        s->t[i].exists = 0;
        for (int j = 0; j < md->topic_cnt; j++) {
            if (strcmp(md->topics[j].topic, s->t[i].name) == 0 && md->topics[j].err == 0 &&
                md->topics[j].partition_cnt > 0) {
                s->t[i].exists = 1;
                if (!s->t[i].internal || s->t[i].partitions < 0)
                    s->t[i].partitions = md->topics[j].partition_cnt;
                else if (s->t[i].partitions != md->topics[j].partition_cnt) {
                    fr_errorf(err, errlen,
                              "internal topic %s has %d partitions, the topology needs %d (delete it or "
                              "reset the application)",
                              s->t[i].name, md->topics[j].partition_cnt, s->t[i].partitions);
                    rd_kafka_metadata_destroy(md);
                    return FR_ERR_INVALID_PARTITIONS;
                }
            }
        }
    }
    rd_kafka_metadata_destroy(md);
    return 0;
}

/* Partition count of a topic as metadata (or creation) gave it; < 1 when unknown. */
static int32_t set_count(void *ctx, const char *topic) {
    topic_info_t *ti = set_find(ctx, topic);
    return ti && ti->exists ? ti->partitions : -1;
}

/* Resolves -1 partition counts through sub-topologies until nothing changes. */
static void resolve_counts(const fr_topology_t *topo, topic_set_t *s, int32_t *sub_parts, size_t nsubs) {
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t sub = 0; sub < nsubs; sub++) {
            if (sub_parts[sub] > 0)
                continue;
            size_t n;
            const char *const *src = fr_topology_source_topics(topo, sub, &n);
            for (size_t i = 0; i < n; i++) {
                topic_info_t *ti = set_find(s, src[i]);
                if (ti && ti->partitions > 0) {
                    sub_parts[sub] = ti->partitions;
                    changed = 1;
                    break;
                }
            }
        }
        for (size_t i = 0; i < s->n; i++) {
            topic_info_t *ti = &s->t[i];
            if (ti->internal && ti->partitions < 0 && ti->internal->copartition_sub < nsubs &&
                sub_parts[ti->internal->copartition_sub] > 0) {
                ti->partitions = sub_parts[ti->internal->copartition_sub];
                changed = 1;
            }
        }
    }
}

static int create_missing(rd_kafka_t *rk, const rt_config_t *c, topic_set_t *s, char *err, size_t errlen) {
    rd_kafka_NewTopic_t **nt = calloc(s->n ? s->n : 1, sizeof(*nt));
    size_t nnew = 0;
    int rc = 0;
    char errstr[256];
    if (!nt)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < s->n && !rc; i++) {
        topic_info_t *ti = &s->t[i];
        if (!ti->internal || ti->exists)
            continue;
        rd_kafka_NewTopic_t *t = rd_kafka_NewTopic_new(ti->name, ti->partitions, c->replication_factor, errstr,
                                                       sizeof(errstr));
        if (!t) {
            fr_errorf(err, errlen, "internal topic %s: %s", ti->name, errstr);
            rc = FR_ERR_INVALID_ARG;
            break;
        }
        nt[nnew++] = t;
        if (ti->internal->kind == FR_INTERNAL_CHANGELOG) {
            const char *const *cf = ti->internal->configs;
            int has_policy = 0;
            for (; cf && cf[0] && cf[1]; cf += 2)
                has_policy |= strcmp(cf[0], "cleanup.policy") == 0;
            if (!has_policy)
                rd_kafka_NewTopic_set_config(t, "cleanup.policy", "compact");
        }
        for (const char *const *cf = ti->internal->configs; cf && cf[0] && cf[1]; cf += 2)
            rd_kafka_NewTopic_set_config(t, cf[0], cf[1]);
        fr_info(RT_LOG, "creating internal topic %s (%d partitions, %s)", ti->name, ti->partitions,
                ti->internal->kind == FR_INTERNAL_CHANGELOG ? "changelog" : "repartition");
    }
    if (!rc && nnew) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(opt, RT_ADMIN_TIMEOUT_MS, errstr, sizeof(errstr));
        rd_kafka_CreateTopics(rk, nt, nnew, opt, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, RT_ADMIN_TIMEOUT_MS + 5000);
        if (!ev) {
            fr_errorf(err, errlen, "CreateTopics for the internal topics timed out");
            rc = FR_ERR_REQUEST_TIMED_OUT;
        } else if (rd_kafka_event_error(ev)) {
            fr_errorf(err, errlen, "CreateTopics for the internal topics failed: %s", rd_kafka_event_error_string(ev));
            rc = FR_ERR_UNKNOWN_SERVER_ERROR;
        } else {
            const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
            size_t nres;
            const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &nres);
            for (size_t i = 0; i < nres && !rc; i++) {
                rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
                if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                    const char *msg = rd_kafka_topic_result_error_string(tr[i]);
                    fr_errorf(err, errlen, "creating internal topic %s failed: %s", rd_kafka_topic_result_name(tr[i]),
                              msg && *msg ? msg : rd_kafka_err2str(e));
                    rc = FR_ERR_UNKNOWN_SERVER_ERROR;
                }
            }
        }
        if (ev)
            rd_kafka_event_destroy(ev);
        rd_kafka_AdminOptions_destroy(opt);
        rd_kafka_queue_destroy(q);
    }
    for (size_t i = 0; i < nnew; i++)
        rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    return rc;
}

int rt_topics_prepare(const fr_topology_t *topo, const rt_config_t *c, rt_topics_t *out, char *err, size_t errlen) {
    topic_set_t s = {0};
    int rc = 0;
    char errstr[256];
    memset(out, 0, sizeof(*out));
    out->nsubs = fr_topology_subtopology_count(topo);
    out->sub_partitions = calloc(out->nsubs ? out->nsubs : 1, sizeof(int32_t));
    if (!out->sub_partitions)
        return FR_ERR_NOMEM;

    size_t nint;
    const fr_internal_topic_t *it = fr_topology_internal_topics(topo, &nint);
    for (size_t i = 0; i < nint; i++) {
        topic_info_t *ti = set_add(&s, it[i].name);
        if (!ti) {
            rc = FR_ERR_NOMEM;
            goto done;
        }
        ti->internal = &it[i];
        ti->partitions = it[i].partitions > 0 ? it[i].partitions : -1;
    }
    for (size_t sub = 0; sub < out->nsubs; sub++) {
        size_t n;
        const char *const *src = fr_topology_source_topics(topo, sub, &n);
        for (size_t i = 0; i < n; i++) {
            if (!set_add(&s, src[i])) {
                rc = FR_ERR_NOMEM;
                goto done;
            }
            out->nsrc++;
        }
    }

    rd_kafka_conf_t *conf = rt_config_client(c, RT_ROLE_ADMIN, "streams-admin", err, errlen);
    if (!conf) {
        rc = FR_ERR_CONFIG;
        goto done;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fr_errorf(err, errlen, "admin client: %s", errstr);
        rc = FR_ERR_CONFIG;
        goto done;
    }
    if ((rc = read_metadata(rk, &s, err, errlen)) != 0)
        goto done_rk;
    for (size_t i = 0; i < s.n; i++) {
        if (!s.t[i].internal && !s.t[i].exists) {
            fr_errorf(err, errlen, "source topic %s is missing: create it before starting the application",
                      s.t[i].name);
            rc = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            goto done_rk;
        }
    }
    resolve_counts(topo, &s, out->sub_partitions, out->nsubs);
    for (size_t i = 0; i < s.n; i++) {
        if (s.t[i].internal && s.t[i].partitions < 0) {
            fr_errorf(err, errlen, "cannot tell how many partitions internal topic %s needs (sub-topology %zu has no "
                                   "source topic with a known count)",
                      s.t[i].name, s.t[i].internal->copartition_sub);
            rc = FR_ERR_INVALID_PARTITIONS;
            goto done_rk;
        }
    }
    if ((rc = create_missing(rk, c, &s, err, errlen)) != 0)
        goto done_rk;
    /* Wait until every internal topic shows up in metadata with its partitions. */
    for (int64_t deadline = rt_now_ms() + RT_ADMIN_TIMEOUT_MS;;) {
        if ((rc = read_metadata(rk, &s, err, errlen)) != 0)
            goto done_rk;
        size_t missing = 0;
        for (size_t i = 0; i < s.n; i++)
            missing += !s.t[i].exists;
        if (!missing)
            break;
        if (rt_now_ms() > deadline) {
            fr_errorf(err, errlen, "%zu internal topics did not appear in metadata after creation", missing);
            rc = FR_ERR_REQUEST_TIMED_OUT;
            goto done_rk;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* Co-partitioning: the join groups (Kafka's "Topics not co-partitioned"),
     * then every source topic of a sub-topology has its count. */
    if ((rc = fr_topology_check_copartition(topo, set_count, &s, err, errlen)) != 0)
        goto done_rk;
    out->src_topics = calloc(out->nsrc ? out->nsrc : 1, sizeof(char *));
    out->src_sub = calloc(out->nsrc ? out->nsrc : 1, sizeof(size_t));
    out->src_repartition = calloc(out->nsrc ? out->nsrc : 1, 1);
    if (!out->src_topics || !out->src_sub || !out->src_repartition) {
        rc = FR_ERR_NOMEM;
        goto done_rk;
    }
    out->nsrc = 0;
    for (size_t sub = 0; sub < out->nsubs; sub++) {
        size_t n;
        const char *const *src = fr_topology_source_topics(topo, sub, &n);
        for (size_t i = 0; i < n; i++) {
            topic_info_t *ti = set_find(&s, src[i]);
            if (out->sub_partitions[sub] <= 0)
                out->sub_partitions[sub] = ti->partitions;
            if (ti->partitions != out->sub_partitions[sub]) {
                fr_errorf(err, errlen,
                          "topics of sub-topology %zu are not co-partitioned: %s has %d partitions, %s has %d "
                          "(co-partitioned topics need equal counts)",
                          sub, src[0], out->sub_partitions[sub], src[i], ti->partitions);
                rc = FR_ERR_INVALID_PARTITIONS;
                goto done_rk;
            }
            out->src_topics[out->nsrc] = src[i];
            out->src_sub[out->nsrc] = sub;
            out->src_repartition[out->nsrc] = ti->internal && ti->internal->kind == FR_INTERNAL_REPARTITION;
            out->nsrc++;
        }
        fr_info(RT_LOG, "sub-topology %zu: %zu source topics, %d partitions (tasks %zu_0..%zu_%d)", sub, n,
                out->sub_partitions[sub], sub, sub, out->sub_partitions[sub] - 1);
    }
done_rk:
    rd_kafka_destroy(rk);
done:
    free(s.t);
    if (rc)
        rt_topics_free(out);
    return rc;
}

void rt_topics_free(rt_topics_t *t) {
    free(t->sub_partitions);
    free(t->src_topics);
    free(t->src_sub);
    free(t->src_repartition);
    memset(t, 0, sizeof(*t));
}

long rt_topics_sub_of(const rt_topics_t *t, const char *topic) {
    for (size_t i = 0; i < t->nsrc; i++) {
        if (strcmp(t->src_topics[i], topic) == 0)
            return (long)t->src_sub[i];
    }
    return -1;
}

int rt_topics_is_repartition(const rt_topics_t *t, const char *topic) {
    for (size_t i = 0; i < t->nsrc; i++) {
        if (strcmp(t->src_topics[i], topic) == 0)
            return t->src_repartition[i];
    }
    return 0;
}
