/*
 * freshet consumer-groups --reset-offsets: Kafka 3.x's resetOffsets().
 *
 * Only a group that is Empty (or Dead: it does not exist yet) is reset; any
 * other state is "Error: Assignments can only be reset if the group 'G' is
 * inactive, but the current state is S."  The scope is --all-topics (every
 * partition with a committed offset) or --topic T / T:0,1 (repeatable); with
 * --from-file the file is the plan.  New offsets:
 *   --to-earliest / --to-latest      the log start / end offset
 *   --to-offset N, --shift-by N      clamped to [log start, log end] with a warning
 *   --to-datetime, --by-duration     the first offset at or after the time; a partition
 *                                    without one falls back to the log end ("Warn: ...")
 *   --to-current                     the committed offset, or the log end
 * The plan is printed as GROUP TOPIC PARTITION NEW-OFFSET (or as CSV with
 * --export); --execute commits it with AlterConsumerGroupOffsets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "cmd_consumer_groups.h"
#include "fr_array.h"
#include "fr_logging.h"
#include "tool_groups_admin.h"
#include "tool_groups_parse.h"

#define COMPONENT "consumer-groups"

/* One line of a --from-file plan. */
typedef struct plan_line {
    char *group; /* NULL: the single --group */
    char *topic;
    int32_t partition;
    int64_t offset;
} plan_line_t;

typedef struct reset {
    cg_ctx_t *c;
    int64_t timestamp; /* for --to-datetime / --by-duration */
    char *file_buf;    /* --from-file contents; the lines point into it */
    plan_line_t *lines;
    size_t nlines;
} reset_t;

static int64_t wall_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Reads and parses --from-file.  Returns 0 or -1 (reported). */
static int load_plan(reset_t *r, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        cg_error(r->c, "Executing consumer group command failed due to %s (No such file or directory)", path);
        return -1;
    }
    size_t cap = 4096, len = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap && FR_ARRAY_GROW(buf, cap, cap + 1, cap)) {
            free(buf);
            buf = NULL;
        }
    }
    r->file_buf = buf;
    fclose(f);
    size_t maxlines = 1;
    for (size_t i = 0; r->file_buf && i < len; i++)
        maxlines += r->file_buf[i] == '\n';
    if (!r->file_buf || !(r->lines = calloc(maxlines, sizeof(*r->lines)))) {
        cg_error(r->c, "out of memory");
        return -1;
    }
    r->file_buf[len] = '\0';
    bool single_group = tool_args_count(r->c->args, "group") == 1;
    char *save = NULL;
    for (char *line = strtok_r(r->file_buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        plan_line_t *pl = &r->lines[r->nlines];
        char err[512];
        if (strspn(line, " \r") == strlen(line))
            continue;
        if (tool_parse_plan_line(line, &pl->group, &pl->topic, &pl->partition, &pl->offset, err, sizeof(err))) {
            cg_error(r->c, "Executing consumer group command failed due to %s", err);
            return -1;
        }
        if (!pl->group && !single_group) {
            cg_error(r->c, "Executing consumer group command failed due to a plan line without a group "
                           "('%s,%" PRId32 ",%" PRId64 "') needs exactly one --group",
                     pl->topic, pl->partition, pl->offset);
            return -1;
        }
        r->nlines++;
    }
    return 0;
}

/* Kafka's getPartitionsToReset(): a new list (caller destroys), or NULL (reported). */
static rd_kafka_topic_partition_list_t *partitions_to_reset(reset_t *r, const char *group) {
    cg_ctx_t *c = r->c;
    if (tool_args_has(c->args, "from-file")) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)r->nlines + 1);
        for (size_t i = 0; i < r->nlines; i++) {
            const plan_line_t *pl = &r->lines[i];
            if ((!pl->group || strcmp(pl->group, group) == 0) &&
                !rd_kafka_topic_partition_list_find(l, pl->topic, pl->partition))
                rd_kafka_topic_partition_list_add(l, pl->topic, pl->partition)->offset = pl->offset;
        }
        if (l->cnt == 0)
            cg_error(c, "No reset plan for group %s found", group);
        return l;
    }
    if (tool_args_has(c->args, "all-topics"))
        return cg_committed(c, group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    size_t ntopics = tool_args_count(c->args, "topic");
    for (size_t i = 0; i < ntopics; i++) {
        const char *arg = tool_args_value_at(c->args, "topic", i);
        if (!strchr(arg, ':')) {
            int cnt = cg_metadata(c) == 0 ? cg_topic_partition_count(c, arg) : -2;
            if (cnt == -1) {
                char buf[512];
                cg_err_exception(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, buf, sizeof(buf));
                cg_error(c, "Executing consumer group command failed due to %s", buf);
            }
            if (cnt < 0)
                goto fail;
            for (int p = 0; p < cnt; p++)
                if (!rd_kafka_topic_partition_list_find(l, arg, p))
                    rd_kafka_topic_partition_list_add(l, arg, p);
            continue;
        }
        size_t cap = tool_count_partitions(arg), np, tlen;
        int32_t *ids = calloc(cap + 1, sizeof(*ids));
        char err[512], *topic = NULL;
        if (!ids || tool_parse_topic_partitions(arg, &tlen, ids, cap, &np, err, sizeof(err)) != 0 ||
            !(topic = strndup(arg, tlen))) {
            cg_error(c, "%s", ids ? err : "out of memory");
            free(ids);
            goto fail;
        }
        for (size_t k = 0; k < np; k++)
            if (!rd_kafka_topic_partition_list_find(l, topic, ids[k]))
                rd_kafka_topic_partition_list_add(l, topic, ids[k]);
        free(topic);
        free(ids);
    }
    return l;
fail:
    rd_kafka_topic_partition_list_destroy(l);
    return NULL;
}

/* The log offsets at `spec` for the partitions of l, as a new list (caller destroys), or NULL. */
static rd_kafka_topic_partition_list_t *log_offsets(cg_ctx_t *c, const rd_kafka_topic_partition_list_t *l, int64_t spec) {
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_copy(l);
    if (cg_log_offsets(c, q, spec) != 0) {
        rd_kafka_topic_partition_list_destroy(q);
        return NULL;
    }
    return q;
}

/* Kafka's checkOffsetsRange(): clamps each requested offset to [log start, log end].  Returns 0 or -1. */
static int check_range(cg_ctx_t *c, rd_kafka_topic_partition_list_t *l) {
    rd_kafka_topic_partition_list_t *start = log_offsets(c, l, RD_KAFKA_OFFSET_BEGINNING);
    rd_kafka_topic_partition_list_t *end = start ? log_offsets(c, l, RD_KAFKA_OFFSET_END) : NULL;
    for (int i = 0; end && i < l->cnt; i++) {
        rd_kafka_topic_partition_t *p = &l->elems[i];
        const rd_kafka_topic_partition_t *s = &start->elems[i], *e = &end->elems[i];
        if (!e->err && p->offset > e->offset) {
            fr_warn(COMPONENT, "New offset (%" PRId64 ") is higher than latest offset for topic partition %s-%" PRId32
                    ". Value will be set to %" PRId64, p->offset, p->topic, p->partition, e->offset);
            p->offset = e->offset;
        } else if (!s->err && p->offset < s->offset) {
            fr_warn(COMPONENT, "New offset (%" PRId64 ") is lower than earliest offset for topic partition %s-%" PRId32
                    ". Value will be set to %" PRId64, p->offset, p->topic, p->partition, s->offset);
            p->offset = s->offset;
        }
    }
    int rc = end ? 0 : -1;
    if (start)
        rd_kafka_topic_partition_list_destroy(start);
    if (end)
        rd_kafka_topic_partition_list_destroy(end);
    return rc;
}

/* Sets every partition's offset to the log's at `spec`; a partition without one is an error. */
static int to_log_offsets(cg_ctx_t *c, rd_kafka_topic_partition_list_t *l, int64_t spec, const char *what) {
    if (l->cnt == 0)
        return 0;
    rd_kafka_topic_partition_list_t *q = log_offsets(c, l, spec);
    int rc = q ? 0 : -1;
    for (int i = 0; q && rc == 0 && i < l->cnt; i++) {
        if (q->elems[i].err) {
            cg_error(c, "Error getting %s offset of topic partition: %s-%" PRId32, what, l->elems[i].topic,
                     l->elems[i].partition);
            rc = -1;
        }
        l->elems[i].offset = q->elems[i].offset;
    }
    if (q)
        rd_kafka_topic_partition_list_destroy(q);
    return rc;
}

/* Kafka's getLogTimestampOffsets(): offsets by time, the log end where there is none. */
static int to_timestamp(cg_ctx_t *c, rd_kafka_topic_partition_list_t *l, int64_t ts) {
    rd_kafka_topic_partition_list_t *q = l->cnt ? log_offsets(c, l, ts) : NULL;
    rd_kafka_topic_partition_list_t *empty = rd_kafka_topic_partition_list_new(l->cnt + 1);
    int rc = q || l->cnt == 0 ? 0 : -1;
    for (int i = 0; q && rc == 0 && i < l->cnt; i++) {
        if (q->elems[i].err) {
            cg_error(c, "Error getting offset by timestamp of topic partition: %s-%" PRId32, l->elems[i].topic,
                     l->elems[i].partition);
            rc = -1;
        } else if (q->elems[i].offset < 0) {
            fflush(stdout);
            fprintf(stderr, "\nWarn: Partition %" PRId32 " from topic %s is empty. Falling back to latest known offset.\n",
                    l->elems[i].partition, l->elems[i].topic);
            rd_kafka_topic_partition_list_add(empty, l->elems[i].topic, l->elems[i].partition);
        }
        l->elems[i].offset = q->elems[i].offset;
    }
    if (rc == 0 && empty->cnt > 0 && (rc = to_log_offsets(c, empty, RD_KAFKA_OFFSET_END, "ending")) == 0)
        for (int i = 0; i < empty->cnt; i++)
            rd_kafka_topic_partition_list_find(l, empty->elems[i].topic, empty->elems[i].partition)->offset =
                empty->elems[i].offset;
    if (q)
        rd_kafka_topic_partition_list_destroy(q);
    rd_kafka_topic_partition_list_destroy(empty);
    return rc;
}

/* Kafka's prepareOffsetsToReset(): fills l's offsets.  Returns 0 or -1 (reported). */
static int prepare(reset_t *r, const char *group, rd_kafka_topic_partition_list_t *l) {
    cg_ctx_t *c = r->c;
    const tool_args_t *a = c->args;
    int64_t n = 0;
    if (tool_args_has(a, "to-offset")) {
        tool_parse_i64(tool_args_value(a, "to-offset"), INT64_MIN, INT64_MAX, &n);
        for (int i = 0; i < l->cnt; i++)
            l->elems[i].offset = n;
        return check_range(c, l);
    }
    if (tool_args_has(a, "to-earliest"))
        return to_log_offsets(c, l, RD_KAFKA_OFFSET_BEGINNING, "starting");
    if (tool_args_has(a, "to-latest"))
        return to_log_offsets(c, l, RD_KAFKA_OFFSET_END, "ending");
    if (tool_args_has(a, "to-datetime") || tool_args_has(a, "by-duration"))
        return to_timestamp(c, l, r->timestamp);
    if (tool_args_has(a, "from-file"))
        return check_range(c, l); /* the file's offsets are already in l */
    rd_kafka_topic_partition_list_t *committed = cg_committed(c, group);
    if (!committed)
        return -1;
    int rc = 0;
    if (tool_args_has(a, "shift-by")) {
        tool_parse_i64(tool_args_value(a, "shift-by"), INT64_MIN, INT64_MAX, &n);
        for (int i = 0; rc == 0 && i < l->cnt; i++) {
            rd_kafka_topic_partition_t *p = &l->elems[i];
            const rd_kafka_topic_partition_t *cp = rd_kafka_topic_partition_list_find(committed, p->topic, p->partition);
            if (!cp) {
                cg_error(c, "Cannot shift offset for partition %s-%" PRId32 " since there is no current committed offset",
                         p->topic, p->partition);
                rc = -1;
            } else {
                p->offset = cp->offset + n;
            }
        }
        rc = rc ? rc : check_range(c, l);
    } else { /* --to-current */
        rd_kafka_topic_partition_list_t *missing = rd_kafka_topic_partition_list_new(l->cnt + 1);
        for (int i = 0; i < l->cnt; i++) {
            rd_kafka_topic_partition_t *p = &l->elems[i];
            const rd_kafka_topic_partition_t *cp = rd_kafka_topic_partition_list_find(committed, p->topic, p->partition);
            if (cp)
                p->offset = cp->offset;
            else
                rd_kafka_topic_partition_list_add(missing, p->topic, p->partition);
        }
        if ((rc = to_log_offsets(c, missing, RD_KAFKA_OFFSET_END, "ending")) == 0)
            for (int i = 0; i < missing->cnt; i++)
                rd_kafka_topic_partition_list_find(l, missing->elems[i].topic, missing->elems[i].partition)->offset =
                    missing->elems[i].offset;
        rd_kafka_topic_partition_list_destroy(missing);
    }
    rd_kafka_topic_partition_list_destroy(committed);
    return rc;
}

/* Commits the plan with AlterConsumerGroupOffsets.  Returns 0 or -1 (reported). */
static int execute(cg_ctx_t *c, const char *group, const rd_kafka_topic_partition_list_t *l) {
    if (l->cnt == 0)
        return 0;
    rd_kafka_AlterConsumerGroupOffsets_t *req = rd_kafka_AlterConsumerGroupOffsets_new(group, l);
    rd_kafka_AdminOptions_t *o = cg_admin_options(c, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    rd_kafka_AlterConsumerGroupOffsets(c->rk, &req, 1, o, c->queue);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = cg_admin_wait(c, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, "alterConsumerGroupOffsets");
    if (!ev)
        return -1;
    size_t n;
    const rd_kafka_group_result_t **res =
        rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    rd_kafka_resp_err_t err = n == 0 ? RD_KAFKA_RESP_ERR__BAD_MSG
                              : rd_kafka_group_result_error(res[0])
                                  ? rd_kafka_error_code(rd_kafka_group_result_error(res[0]))
                                  : RD_KAFKA_RESP_ERR_NO_ERROR;
    const rd_kafka_topic_partition_list_t *parts = n ? rd_kafka_group_result_partitions(res[0]) : NULL;
    for (int i = 0; !err && parts && i < parts->cnt; i++)
        err = parts->elems[i].err;
    if (err) {
        char buf[512];
        cg_err_exception(err, buf, sizeof(buf));
        cg_error(c, "Executing consumer group command failed due to %s", buf);
    }
    rd_kafka_event_destroy(ev);
    return err ? -1 : 0;
}

/* Parses the time of --to-datetime / --by-duration into r->timestamp.  Returns 0 or -1 (reported). */
static int parse_time(reset_t *r) {
    char err[256];
    const char *dt = tool_args_value(r->c->args, "to-datetime");
    const char *dur = tool_args_value(r->c->args, "by-duration");
    int64_t ms;
    if (dt && tool_parse_datetime(dt, &r->timestamp, err, sizeof(err)) != 0) {
        cg_error(r->c, "Executing consumer group command failed due to %s", err);
        return -1;
    }
    if (dur) {
        if (tool_parse_duration(dur, &ms, err, sizeof(err)) != 0) {
            cg_error(r->c, "Executing consumer group command failed due to %s", err);
            return -1;
        }
        r->timestamp = wall_ms() - ms;
    }
    return 0;
}

int cg_do_reset(cg_ctx_t *c) {
    reset_t r = {.c = c};
    const char *file = tool_args_value(c->args, "from-file");
    if (parse_time(&r) != 0 || (file && load_plan(&r, file) != 0)) {
        free(r.lines);
        free(r.file_buf);
        return 1;
    }
    const char **groups;
    cg_listing_t *listings;
    size_t nlist;
    long n = cg_selected_groups(c, &groups, &listings, &nlist);
    if (n < 0) {
        free(r.lines);
        free(r.file_buf);
        return 1;
    }
    rd_kafka_topic_partition_list_t **plans = calloc((size_t)n + 1, sizeof(*plans));
    rd_kafka_event_t *ev = n > 0 && plans ? cg_describe(c, groups, (size_t)n) : NULL;
    bool dry_run = !tool_args_has(c->args, "execute");
    for (long i = 0; ev && i < n; i++) {
        const rd_kafka_ConsumerGroupDescription_t *d = cg_description(ev, groups[i]);
        const rd_kafka_error_t *e = d ? rd_kafka_ConsumerGroupDescription_error(d) : NULL;
        if (!d || e) {
            cg_error(c, "Executing consumer group command failed due to %s", e ? rd_kafka_error_string(e) : "no description");
            continue;
        }
        const char *state = cg_state_name(d);
        if (strcmp(state, "Empty") != 0 && strcmp(state, "Dead") != 0) {
            cg_error(c, "Assignments can only be reset if the group '%s' is inactive, but the current state is %s.",
                     groups[i], state);
            continue;
        }
        rd_kafka_topic_partition_list_t *l = partitions_to_reset(&r, groups[i]);
        if (l && (prepare(&r, groups[i], l) != 0 || (!dry_run && execute(c, groups[i], l) != 0))) {
            rd_kafka_topic_partition_list_destroy(l);
            l = NULL;
        }
        if (l)
            cg_sort_partitions(l);
        plans[i] = l;
    }

    bool any = false;
    for (long i = 0; i < n && plans; i++)
        any |= plans[i] != NULL;
    if (any && tool_args_has(c->args, "export")) {
        /* Kafka's CSV: topic,partition,offset for one --group, else group,topic,partition,offset */
        bool single = tool_args_count(c->args, "group") == 1;
        for (long i = 0; i < n; i++)
            for (int k = 0; plans[i] && k < plans[i]->cnt; k++) {
                const rd_kafka_topic_partition_t *p = &plans[i]->elems[k];
                printf("%s%s%s,%" PRId32 ",%" PRId64 "\n", single ? "" : groups[i], single ? "" : ",", p->topic,
                       p->partition, p->offset);
            }
        printf("\n");
    } else if (any) {
        printf("\n%-30s %-30s %-10s %-15s\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
        for (long i = 0; i < n; i++)
            for (int k = 0; plans[i] && k < plans[i]->cnt; k++) {
                const rd_kafka_topic_partition_t *p = &plans[i]->elems[k];
                char part[16], off[32];
                snprintf(part, sizeof(part), "%" PRId32, p->partition);
                snprintf(off, sizeof(off), "%" PRId64, p->offset);
                printf("%-30s %-30s %-10s %-15s\n", groups[i], p->topic, part, off);
            }
    }
    for (long i = 0; plans && i < n; i++)
        if (plans[i])
            rd_kafka_topic_partition_list_destroy(plans[i]);
    if (!plans)
        cg_error(c, "out of memory");
    if (ev)
        rd_kafka_event_destroy(ev);
    free(plans);
    free(groups);
    cg_listings_free(listings, nlist);
    free(r.lines);
    free(r.file_buf);
    return c->rc;
}
