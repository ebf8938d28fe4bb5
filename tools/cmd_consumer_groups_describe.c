/*
 * freshet consumer-groups --describe: Kafka 3.x's describeGroups(), with its
 * three views and their column layouts:
 *
 *   --offsets (default)  GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
 *                        a row per assigned partition (members with the most partitions first,
 *                        each one's partitions by number), then a row per partition with a
 *                        committed offset that no member holds (CONSUMER-ID, HOST, CLIENT-ID "-")
 *   --members            GROUP CONSUMER-ID [GROUP-INSTANCE-ID] HOST CLIENT-ID #PARTITIONS [ASSIGNMENT]
 *   --state              GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
 *
 * Groups are shown sorted by id.  Each table is preceded by an empty line, as
 * in Kafka; "-" stands for what is unknown.  An Empty group gets "Consumer
 * group 'G' has no active members." and a rebalancing one a warning, both on
 * stderr; a group that does not exist (Dead) is an error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_consumer_groups.h"
#include "tool_groups_admin.h"

#define MISSING "-"

/* Kafka's shouldPrintMemberState(): reports the state; true when there are rows to print. */
static bool should_print(cg_ctx_t *c, const char *group, const char *state, size_t rows) {
    if (strcmp(state, "Dead") == 0) {
        cg_error(c, "Consumer group '%s' does not exist.", group);
        return false;
    }
    fflush(stdout);
    if (strcmp(state, "Empty") == 0)
        fprintf(stderr, "\nConsumer group '%s' has no active members.\n", group);
    else if (strcmp(state, "PreparingRebalance") == 0 || strcmp(state, "CompletingRebalance") == 0)
        fprintf(stderr, "\nWarning: Consumer group '%s' is rebalancing.\n", group);
    return rows > 0;
}

static int max_int(int a, int b) { return a > b ? a : b; }

/* ---- --offsets ---- */

typedef struct offset_row {
    const char *topic;
    int32_t partition;
    int64_t offset; /* -1: none committed */
    const rd_kafka_MemberDescription_t *member; /* NULL: no member holds it */
} offset_row_t;

static int cmp_partition_then_topic(const void *x, const void *y) {
    const rd_kafka_topic_partition_t *a = x, *b = y;
    if (a->partition != b->partition)
        return a->partition < b->partition ? -1 : 1;
    return strcmp(a->topic, b->topic);
}

static size_t member_partition_count(const rd_kafka_MemberDescription_t *m) {
    const rd_kafka_topic_partition_list_t *l =
        rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
    return l ? (size_t)l->cnt : 0;
}

/* Adds the rows of `parts` (sorted by partition, as Kafka's sortBy(_.partition)) held by `member`;
 * the rows' topic names are borrowed from `owner`, which holds every partition of `parts`. */
static void add_rows(offset_row_t *rows, size_t *n, const rd_kafka_topic_partition_list_t *parts,
                     const rd_kafka_topic_partition_list_t *owner, const rd_kafka_topic_partition_list_t *committed,
                     const rd_kafka_MemberDescription_t *member) {
    if (parts->cnt == 0) /* (an empty list has no elems for qsort) */
        return;
    rd_kafka_topic_partition_list_t *sorted = rd_kafka_topic_partition_list_copy(parts);
    qsort(sorted->elems, (size_t)sorted->cnt, sizeof(*sorted->elems), cmp_partition_then_topic);
    for (int i = 0; i < sorted->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &sorted->elems[i];
        const rd_kafka_topic_partition_t *cp =
            committed ? rd_kafka_topic_partition_list_find(committed, p->topic, p->partition) : NULL;
        const rd_kafka_topic_partition_t *orig = rd_kafka_topic_partition_list_find(owner, p->topic, p->partition);
        rows[(*n)++] = (offset_row_t){orig->topic, p->partition, cp ? cp->offset : -1, member};
    }
    rd_kafka_topic_partition_list_destroy(sorted);
}

static void describe_offsets(cg_ctx_t *c, const char *group, const rd_kafka_ConsumerGroupDescription_t *d) {
    const char *state = cg_state_name(d);
    if (strcmp(state, "Dead") == 0) {
        should_print(c, group, state, 0);
        return;
    }
    rd_kafka_topic_partition_list_t *committed = cg_committed(c, group);
    if (!committed)
        return;
    size_t nmembers = rd_kafka_ConsumerGroupDescription_member_count(d), total = (size_t)committed->cnt;
    const rd_kafka_MemberDescription_t **members = calloc(nmembers + 1, sizeof(*members));
    for (size_t i = 0; members && i < nmembers; i++) {
        members[i] = rd_kafka_ConsumerGroupDescription_member(d, i);
        total += member_partition_count(members[i]);
    }
    offset_row_t *rows = calloc(total + 1, sizeof(*rows));
    rd_kafka_topic_partition_list_t *assigned = rd_kafka_topic_partition_list_new(8);
    size_t n = 0;
    if (!members || !rows) {
        cg_error(c, "out of memory");
        goto out;
    }
    /* members with the most partitions first (a stable insertion sort keeps the broker's order otherwise) */
    for (size_t i = 1; i < nmembers; i++)
        for (size_t j = i; j > 0 && member_partition_count(members[j]) > member_partition_count(members[j - 1]); j--) {
            const rd_kafka_MemberDescription_t *t = members[j];
            members[j] = members[j - 1];
            members[j - 1] = t;
        }
    for (size_t i = 0; i < nmembers; i++) {
        const rd_kafka_topic_partition_list_t *parts =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(members[i]));
        if (!parts || parts->cnt == 0)
            continue;
        add_rows(rows, &n, parts, parts, committed, members[i]);
        for (int k = 0; k < parts->cnt; k++)
            rd_kafka_topic_partition_list_add(assigned, parts->elems[k].topic, parts->elems[k].partition);
    }
    rd_kafka_topic_partition_list_t *unassigned = rd_kafka_topic_partition_list_new(committed->cnt);
    for (int i = 0; i < committed->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &committed->elems[i];
        if (!rd_kafka_topic_partition_list_find(assigned, p->topic, p->partition))
            rd_kafka_topic_partition_list_add(unassigned, p->topic, p->partition);
    }
    add_rows(rows, &n, unassigned, committed, committed, NULL);
    rd_kafka_topic_partition_list_destroy(unassigned);

    rd_kafka_topic_partition_list_t *ends = rd_kafka_topic_partition_list_new((int)n + 1);
    for (size_t i = 0; i < n; i++)
        if (!rd_kafka_topic_partition_list_find(ends, rows[i].topic, rows[i].partition))
            rd_kafka_topic_partition_list_add(ends, rows[i].topic, rows[i].partition);
    if ((n == 0 || cg_log_offsets(c, ends, RD_KAFKA_OFFSET_END) == 0) && should_print(c, group, state, n)) {
        int wg = max_int(15, (int)strlen(group)), wt = 15, wc = 15, wh = 15;
        for (size_t i = 0; i < n; i++) {
            const rd_kafka_MemberDescription_t *m = rows[i].member;
            wt = max_int(wt, (int)strlen(rows[i].topic));
            wc = max_int(wc, (int)strlen(m ? rd_kafka_MemberDescription_consumer_id(m) : MISSING));
            wh = max_int(wh, (int)strlen(m ? rd_kafka_MemberDescription_host(m) : MISSING));
        }
        printf("\n%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s\n", wg, "GROUP", wt, "TOPIC", "PARTITION",
               "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", wc, "CONSUMER-ID", wh, "HOST", "CLIENT-ID");
        for (size_t i = 0; i < n; i++) {
            const offset_row_t *r = &rows[i];
            const rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(ends, r->topic, r->partition);
            bool has_end = e && !e->err && e->offset >= 0;
            char part[16], cur[32] = MISSING, end[32] = MISSING, lag[32] = MISSING;
            snprintf(part, sizeof(part), "%" PRId32, r->partition);
            if (r->offset >= 0)
                snprintf(cur, sizeof(cur), "%" PRId64, r->offset);
            if (has_end)
                snprintf(end, sizeof(end), "%" PRId64, e->offset);
            if (has_end && r->offset >= 0)
                snprintf(lag, sizeof(lag), "%" PRId64, e->offset - r->offset);
            const rd_kafka_MemberDescription_t *m = r->member;
            printf("%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s\n", wg, group, wt, r->topic, part, cur, end,
                   lag, wc, m ? rd_kafka_MemberDescription_consumer_id(m) : MISSING, wh,
                   m ? rd_kafka_MemberDescription_host(m) : MISSING,
                   m ? rd_kafka_MemberDescription_client_id(m) : MISSING);
        }
    }
    rd_kafka_topic_partition_list_destroy(ends);
out:
    rd_kafka_topic_partition_list_destroy(assigned);
    rd_kafka_topic_partition_list_destroy(committed);
    free(rows);
    free(members);
}

/* ---- --members ---- */

/* Kafka's verbose ASSIGNMENT column: "t1(0,1), t2(3)" (topics and partitions sorted), or "-". */
static void print_assignment(const rd_kafka_topic_partition_list_t *parts) {
    if (!parts || parts->cnt == 0) {
        printf("%s", MISSING);
        return;
    }
    rd_kafka_topic_partition_list_t *s = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_topic_partition_list_sort(s, NULL, NULL);
    for (int i = 0; i < s->cnt; i++) {
        bool new_topic = i == 0 || strcmp(s->elems[i - 1].topic, s->elems[i].topic) != 0;
        bool last_of_topic = i + 1 == s->cnt || strcmp(s->elems[i + 1].topic, s->elems[i].topic) != 0;
        if (new_topic)
            printf("%s%s(", i ? ", " : "", s->elems[i].topic);
        printf("%s%" PRId32 "%s", new_topic ? "" : ",", s->elems[i].partition, last_of_topic ? ")" : "");
    }
    rd_kafka_topic_partition_list_destroy(s);
}

static void describe_members(cg_ctx_t *c, const char *group, const rd_kafka_ConsumerGroupDescription_t *d) {
    size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
    if (!should_print(c, group, cg_state_name(d), n))
        return;
    bool verbose = tool_args_has(c->args, "verbose"), with_instance = false;
    int wg = max_int(15, (int)strlen(group)), wc = 15, wi = 17, wh = 15, wcl = 15;
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
        const char *inst = rd_kafka_MemberDescription_group_instance_id(m);
        wc = max_int(wc, (int)strlen(rd_kafka_MemberDescription_consumer_id(m)));
        wi = max_int(wi, inst ? (int)strlen(inst) : 0);
        wh = max_int(wh, (int)strlen(rd_kafka_MemberDescription_host(m)));
        wcl = max_int(wcl, (int)strlen(rd_kafka_MemberDescription_client_id(m)));
        with_instance |= inst && *inst;
    }
    printf("\n%-*s %-*s ", wg, "GROUP", wc, "CONSUMER-ID");
    if (with_instance)
        printf("%-*s ", wi, "GROUP-INSTANCE-ID");
    printf("%-*s %-*s %-15s %s\n", wh, "HOST", wcl, "CLIENT-ID", "#PARTITIONS", verbose ? "ASSIGNMENT" : "");
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
        const char *inst = rd_kafka_MemberDescription_group_instance_id(m);
        char count[16];
        snprintf(count, sizeof(count), "%zu", member_partition_count(m));
        printf("%-*s %-*s ", wg, group, wc, rd_kafka_MemberDescription_consumer_id(m));
        if (with_instance)
            printf("%-*s ", wi, inst ? inst : "");
        printf("%-*s %-*s %-15s ", wh, rd_kafka_MemberDescription_host(m), wcl,
               rd_kafka_MemberDescription_client_id(m), count);
        if (verbose)
            print_assignment(rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m)));
        printf("\n");
    }
}

/* ---- --state ---- */

static void describe_state(cg_ctx_t *c, const char *group, const rd_kafka_ConsumerGroupDescription_t *d) {
    const char *state = cg_state_name(d);
    if (!should_print(c, group, state, 1))
        return;
    const rd_kafka_Node_t *node = rd_kafka_ConsumerGroupDescription_coordinator(d);
    char coordinator[512];
    if (node)
        snprintf(coordinator, sizeof(coordinator), "%s:%u (%d)", rd_kafka_Node_host(node),
                 (unsigned)rd_kafka_Node_port(node), rd_kafka_Node_id(node));
    else
        snprintf(coordinator, sizeof(coordinator), "%s", MISSING);
    const char *assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(d);
    int w = max_int(25, (int)strlen(coordinator));
    char members[16];
    snprintf(members, sizeof(members), "%zu", rd_kafka_ConsumerGroupDescription_member_count(d));
    printf("\n%-*s %-25s %-20s %-15s %s", w, "GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS");
    printf("\n%-*s %-25s %-20s %-15s %s\n", w, group, coordinator, assignor ? assignor : "", state, members);
}

int cg_do_describe(cg_ctx_t *c) {
    const char **groups;
    cg_listing_t *listings;
    size_t nlist;
    long n = cg_selected_groups(c, &groups, &listings, &nlist);
    if (n < 0)
        return 1;
    rd_kafka_event_t *ev = n > 0 ? cg_describe(c, groups, (size_t)n) : NULL;
    for (long i = 0; ev && i < n; i++) {
        const rd_kafka_ConsumerGroupDescription_t *d = cg_description(ev, groups[i]);
        const rd_kafka_error_t *e = d ? rd_kafka_ConsumerGroupDescription_error(d) : NULL;
        if (!d || e) {
            cg_error(c, "Executing consumer group command failed due to %s",
                     e ? rd_kafka_error_string(e) : "no description returned");
            continue;
        }
        if (tool_args_has(c->args, "members"))
            describe_members(c, groups[i], d);
        else if (tool_args_has(c->args, "state"))
            describe_state(c, groups[i], d);
        else
            describe_offsets(c, groups[i], d);
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    free(groups);
    cg_listings_free(listings, nlist);
    return c->rc;
}
