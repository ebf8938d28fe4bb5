#include "tool_groups_admin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_logging.h"

#define COMPONENT "consumer-groups"

void cg_error(cg_ctx_t *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout);
    fputs("Error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    c->rc = 1;
}

/* Kafka's Errors entries for the codes the group commands meet. */
static const struct {
    rd_kafka_resp_err_t err;
    const char *exception;
    const char *message;
} java_errors[] = {
    {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "UnknownTopicOrPartitionException",
     "This server does not host this topic-partition."},
    {RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE, "OffsetMetadataTooLarge",
     "The metadata field of the offset request was too large."},
    {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, "CoordinatorLoadInProgressException",
     "The coordinator is loading and hence can't process requests."},
    {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, "CoordinatorNotAvailableException",
     "The coordinator is not available."},
    {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, "NotCoordinatorException", "This is not the correct coordinator."},
    {RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, "IllegalGenerationException",
     "Specified group generation id is not valid."},
    {RD_KAFKA_RESP_ERR_INVALID_GROUP_ID, "InvalidGroupIdException", "The configured groupId is invalid."},
    {RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, "UnknownMemberIdException",
     "The coordinator is not aware of this member."},
    {RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, "RebalanceInProgressException",
     "The group is rebalancing, so a rejoin is needed."},
    {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "TopicAuthorizationException", "Topic authorization failed."},
    {RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, "GroupAuthorizationException", "Group authorization failed."},
    {RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP, "GroupNotEmptyException", "The group is not empty."},
    {RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND, "GroupIdNotFoundException", "The group id does not exist."},
    {RD_KAFKA_RESP_ERR_GROUP_SUBSCRIBED_TO_TOPIC, "GroupSubscribedToTopicException",
     "The consumer group is actively subscribed to the topic"},
    {RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT, "UnstableOffsetCommitException",
     "There are unstable offsets that need to be cleared."},
};
#define NJAVA_ERRORS (sizeof(java_errors) / sizeof(java_errors[0]))

const char *cg_err_message(rd_kafka_resp_err_t err) {
    for (size_t i = 0; i < NJAVA_ERRORS; i++)
        if (java_errors[i].err == err)
            return java_errors[i].message;
    return rd_kafka_err2str(err);
}

void cg_err_exception(rd_kafka_resp_err_t err, char *buf, size_t len) {
    for (size_t i = 0; i < NJAVA_ERRORS; i++) {
        if (java_errors[i].err == err) {
            snprintf(buf, len, "org.apache.kafka.common.errors.%s: %s", java_errors[i].exception,
                     java_errors[i].message);
            return;
        }
    }
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
        snprintf(buf, len, "org.apache.kafka.common.errors.TimeoutException: %s", rd_kafka_err2str(err));
    else
        snprintf(buf, len, "org.apache.kafka.common.KafkaException: %s", rd_kafka_err2str(err));
}

rd_kafka_AdminOptions_t *cg_admin_options(cg_ctx_t *c, rd_kafka_admin_op_t op) {
    char errstr[256];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(c->rk, op);
    if (rd_kafka_AdminOptions_set_request_timeout(o, c->timeout_ms, errstr, sizeof(errstr)))
        fr_warn(COMPONENT, "admin options: %s", errstr);
    return o;
}

rd_kafka_event_t *cg_admin_wait(cg_ctx_t *c, rd_kafka_event_type_t type, const char *api) {
    rd_kafka_event_t *ev = rd_kafka_queue_poll(c->queue, c->timeout_ms + 5000);
    if (!ev) {
        cg_error(c, "Executing consumer group command failed due to "
                    "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node "
                    "assignment. Call: %s", api);
        return NULL;
    }
    if (rd_kafka_event_type(ev) != type) {
        cg_error(c, "Executing consumer group command failed due to unexpected admin result %s",
                 rd_kafka_event_name(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    if (err) {
        char buf[512];
        cg_err_exception(err, buf, sizeof(buf));
        if (err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
            err == RD_KAFKA_RESP_ERR__TRANSPORT)
            snprintf(buf, sizeof(buf), "%s (%s)", rd_kafka_err2str(err), rd_kafka_event_error_string(ev));
        cg_error(c, "Executing consumer group command failed due to %s", buf);
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

void cg_listings_free(cg_listing_t *l, size_t n) {
    for (size_t i = 0; l && i < n; i++)
        free(l[i].group);
    free(l);
}

int cg_list_groups(cg_ctx_t *c, const rd_kafka_consumer_group_state_t *states, size_t nstates,
                   cg_listing_t **out, size_t *n) {
    *out = NULL;
    *n = 0;
    rd_kafka_AdminOptions_t *o = cg_admin_options(c, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    if (nstates > 0) {
        rd_kafka_error_t *e = rd_kafka_AdminOptions_set_match_consumer_group_states(o, states, nstates);
        if (e) {
            cg_error(c, "%s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            rd_kafka_AdminOptions_destroy(o);
            return -1;
        }
    }
    rd_kafka_ListConsumerGroups(c->rk, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev = cg_admin_wait(c, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "listConsumerGroups");
    if (!ev)
        return -1;
    const rd_kafka_ListConsumerGroups_result_t *res = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t nerr, nvalid;
    const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
    const rd_kafka_ConsumerGroupListing_t **valid = rd_kafka_ListConsumerGroups_result_valid(res, &nvalid);
    int rc = 0;
    if (nerr > 0) {
        char buf[512];
        cg_err_exception(rd_kafka_error_code(errs[0]), buf, sizeof(buf));
        cg_error(c, "Executing consumer group command failed due to %s", buf);
        rc = -1;
    } else if (nvalid > 0 && !(*out = calloc(nvalid, sizeof(**out)))) {
        cg_error(c, "out of memory");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < nvalid; i++) {
        (*out)[i].group = strdup(rd_kafka_ConsumerGroupListing_group_id(valid[i]));
        (*out)[i].state = rd_kafka_ConsumerGroupListing_state(valid[i]);
        *n = i + 1;
        if (!(*out)[i].group) {
            cg_error(c, "out of memory");
            rc = -1;
        }
    }
    rd_kafka_event_destroy(ev);
    if (rc != 0) {
        cg_listings_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int cmp_str_ptr(const void *x, const void *y) {
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

long cg_selected_groups(cg_ctx_t *c, const char ***out, cg_listing_t **listings, size_t *nlist) {
    *out = NULL;
    *listings = NULL;
    *nlist = 0;
    size_t n = tool_args_count(c->args, "group");
    if (tool_args_has(c->args, "all-groups")) {
        if (cg_list_groups(c, NULL, 0, listings, nlist) != 0)
            return -1;
        n = *nlist;
    }
    const char **groups = calloc(n + 1, sizeof(*groups));
    if (!groups) {
        cg_error(c, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        groups[i] = *listings ? (*listings)[i].group : tool_args_value_at(c->args, "group", i);
    qsort(groups, n, sizeof(*groups), cmp_str_ptr);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || strcmp(groups[kept - 1], groups[i]) != 0)
            groups[kept++] = groups[i];
    *out = groups;
    return (long)kept;
}

rd_kafka_event_t *cg_describe(cg_ctx_t *c, const char **groups, size_t n) {
    rd_kafka_AdminOptions_t *o = cg_admin_options(c, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_DescribeConsumerGroups(c->rk, groups, n, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    return cg_admin_wait(c, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, "describeConsumerGroups");
}

const rd_kafka_ConsumerGroupDescription_t *cg_description(rd_kafka_event_t *ev, const char *group) {
    size_t n;
    const rd_kafka_ConsumerGroupDescription_t **d =
        rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rd_kafka_ConsumerGroupDescription_group_id(d[i]), group) == 0)
            return d[i];
    return NULL;
}

const char *cg_state_name(const rd_kafka_ConsumerGroupDescription_t *d) {
    return rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d));
}

void cg_sort_partitions(rd_kafka_topic_partition_list_t *l) {
    rd_kafka_topic_partition_list_sort(l, NULL, NULL); /* topic, then partition */
}

rd_kafka_topic_partition_list_t *cg_committed(cg_ctx_t *c, const char *group) {
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
    rd_kafka_AdminOptions_t *o = cg_admin_options(c, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_ListConsumerGroupOffsets(c->rk, &req, 1, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = cg_admin_wait(c, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, "listConsumerGroupOffsets");
    if (!ev)
        return NULL;
    size_t n;
    const rd_kafka_group_result_t **res =
        rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    rd_kafka_topic_partition_list_t *out = NULL;
    const rd_kafka_error_t *gerr = n > 0 ? rd_kafka_group_result_error(res[0]) : NULL;
    if (n == 0 || gerr) {
        char buf[512];
        cg_err_exception(gerr ? rd_kafka_error_code(gerr) : RD_KAFKA_RESP_ERR__BAD_MSG, buf, sizeof(buf));
        cg_error(c, "Executing consumer group command failed due to %s", buf);
    } else {
        const rd_kafka_topic_partition_list_t *got = rd_kafka_group_result_partitions(res[0]);
        out = rd_kafka_topic_partition_list_new(got ? got->cnt : 0);
        for (int i = 0; got && i < got->cnt; i++) {
            const rd_kafka_topic_partition_t *p = &got->elems[i];
            if (p->err == RD_KAFKA_RESP_ERR_NO_ERROR && p->offset >= 0)
                rd_kafka_topic_partition_list_add(out, p->topic, p->partition)->offset = p->offset;
        }
        cg_sort_partitions(out);
    }
    rd_kafka_event_destroy(ev);
    return out;
}

int cg_metadata(cg_ctx_t *c) {
    if (c->md)
        return 0;
    rd_kafka_resp_err_t err = rd_kafka_metadata(c->rk, 1, NULL, &c->md, c->timeout_ms);
    if (err) {
        c->md = NULL;
        cg_error(c, "Executing consumer group command failed due to %s",
                 err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT
                     ? "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node "
                       "assignment. Call: describeTopics"
                     : rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

int cg_topic_partition_count(cg_ctx_t *c, const char *topic) {
    for (int i = 0; c->md && i < c->md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &c->md->topics[i];
        if (strcmp(t->topic, topic) == 0)
            return t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? -1 : t->partition_cnt;
    }
    return -1;
}

int cg_log_offsets(cg_ctx_t *c, rd_kafka_topic_partition_list_t *parts, int64_t spec) {
    if (cg_metadata(c) != 0)
        return -1;
    /* Partitions of topics that do not exist would fail the whole query: ask only for the others. */
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int cnt = cg_topic_partition_count(c, p->topic);
        p->err = cnt < 0 || p->partition < 0 || p->partition >= cnt ? RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                                                                    : RD_KAFKA_RESP_ERR__IN_PROGRESS;
        if (p->err == RD_KAFKA_RESP_ERR__IN_PROGRESS &&
            !rd_kafka_topic_partition_list_find(q, p->topic, p->partition))
            rd_kafka_topic_partition_list_add(q, p->topic, p->partition)->offset = spec;
    }
    int rc = 0;
    if (q->cnt > 0) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(c->rk, q, c->timeout_ms);
        if (err) {
            char buf[512];
            cg_err_exception(err, buf, sizeof(buf));
            cg_error(c, "Executing consumer group command failed due to %s", buf);
            rc = -1;
        }
    }
    for (int i = 0; rc == 0 && i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        if (p->err != RD_KAFKA_RESP_ERR__IN_PROGRESS)
            continue;
        const rd_kafka_topic_partition_t *r = rd_kafka_topic_partition_list_find(q, p->topic, p->partition);
        p->err = r ? r->err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        if (r && !r->err)
            p->offset = r->offset;
    }
    rd_kafka_topic_partition_list_destroy(q);
    return rc;
}
