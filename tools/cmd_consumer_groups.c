/*
 * freshet consumer-groups — kafka-consumer-groups.sh: list, describe, reset
 * and delete consumer groups.
 *
 * Flags, checks, messages and output follow Kafka 3.x's ConsumerGroupCommand,
 * over librdkafka's Admin API (ListConsumerGroups, DescribeConsumerGroups,
 * ListConsumerGroupOffsets, AlterConsumerGroupOffsets,
 * DeleteConsumerGroupOffsets, DeleteGroups); log start/end offsets and
 * offsets by time come from rd_kafka_offsets_for_times(), topic partitions
 * from a Metadata request.  This file holds the options, their checks, the
 * client, --list, --delete and --delete-offsets; --describe and
 * --reset-offsets have their own files (cmd_consumer_groups.h).
 *
 * Where Kafka prints "Error: ..." on stdout and still exits 0, this prints it
 * on stderr and exits 1; warnings and notes Kafka writes to stderr
 * ("Consumer group 'G' has no active members.") go to stderr and leave the
 * exit code alone.  Bad usage prints the message and the usage on stderr and
 * exits 1.  --list --state prints Kafka 3.0-3.6's two columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_consumer_groups.h"
#include "commands.h"
#include "fr_logging.h"
#include "fr_props.h"
#include "tool_args.h"
#include "tool_client.h"
#include "tool_groups_admin.h"
#include "tool_groups_parse.h"

#define NL "\n"

static const tool_opt_t opts[] = {
    {"bootstrap-server", TOOL_ARG, "String: server to connect to", "REQUIRED: The server(s) to connect to."},
    {"group", TOOL_LIST, "String: consumer group", "The consumer group we wish to act on."},
    {"topic", TOOL_LIST, "String: topic",
     "The topic whose consumer group information should be deleted or topic whose should be included "
     "in the reset offset process. In `reset-offsets` case, partitions can be specified using this "
     "format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. "
     "Reset-offsets also supports multiple topic inputs."},
    {"all-topics", TOOL_FLAG, NULL, "Consider all topics assigned to a group in the `reset-offsets` process."},
    {"list", TOOL_FLAG, NULL, "List all consumer groups."},
    {"describe", TOOL_FLAG, NULL,
     "Describe consumer group and list offset lag (number of messages not yet processed) related to "
     "given group."},
    {"all-groups", TOOL_FLAG, NULL, "Apply to all consumer groups."},
    {"delete", TOOL_FLAG, NULL,
     "Pass in groups to delete topic partition offsets and ownership information over the entire "
     "consumer group. For instance --group g1 --group g2"},
    {"timeout", TOOL_ARG, "Long: timeout (ms)",
     "The timeout that can be set for some use cases. For example, it can be used when describing the "
     "group to specify the maximum amount of time in milliseconds to wait before the group stabilizes "
     "(when the group is just created, or is going through some changes). (default: 5000)"},
    {"command-config", TOOL_ARG, "String: command config property file",
     "Property file containing configs to be passed to Admin Client and Consumer."},
    {"reset-offsets", TOOL_FLAG, NULL,
     "Reset offsets of consumer group. Supports one consumer group at the time, and instances should "
     "be inactive" NL "Has 2 execution options: --dry-run (the default) to plan which offsets to "
     "reset, and --execute to update the offsets. Additionally, the --export option is used to export "
     "the results to a CSV format." NL "You must choose one of the following reset specifications: "
     "--to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --from-file, --to-current, "
     "--to-offset." NL "To define the scope use --all-topics or --topic. One scope must be specified "
     "unless you use '--from-file'."},
    {"delete-offsets", TOOL_FLAG, NULL,
     "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics."},
    {"dry-run", TOOL_FLAG, NULL,
     "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets."},
    {"execute", TOOL_FLAG, NULL, "Execute operation. Supported operations: reset-offsets."},
    {"export", TOOL_FLAG, NULL, "Export operation execution to a CSV file. Supported operations: reset-offsets."},
    {"to-offset", TOOL_ARG, "Long: offset", "Reset offsets to a specific offset."},
    {"from-file", TOOL_ARG, "String: path to CSV file", "Reset offsets to values defined in CSV file."},
    {"to-datetime", TOOL_ARG, "String: datetime",
     "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'"},
    {"by-duration", TOOL_ARG, "String: duration",
     "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'"},
    {"to-earliest", TOOL_FLAG, NULL, "Reset offsets to earliest offset."},
    {"to-latest", TOOL_FLAG, NULL, "Reset offsets to latest offset."},
    {"to-current", TOOL_FLAG, NULL, "Reset offsets to current offset."},
    {"shift-by", TOOL_ARG, "Long: number-of-offsets",
     "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative."},
    {"members", TOOL_FLAG, NULL,
     "Describe members of the group. This option may be used with '--describe' and "
     "'--bootstrap-server' options only." NL
     "Example: --bootstrap-server localhost:9092 --describe --group group1 --members"},
    {"verbose", TOOL_FLAG, NULL,
     "Provide additional information, if any, when describing the group. This option may be used with "
     "'--offsets'/'--members'/'--state' and '--bootstrap-server' options only." NL
     "Example: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose"},
    {"offsets", TOOL_FLAG, NULL,
     "Describe the group and list all topic partitions in the group along with their offset lag. This "
     "is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options "
     "only." NL "Example: --bootstrap-server localhost:9092 --describe --group group1 --offsets"},
    {"state", TOOL_OPTIONAL_ARG, "String",
     "When specified with '--describe', includes the state of the group." NL
     "Example: --bootstrap-server localhost:9092 --describe --group group1 --state" NL
     "When specified with '--list', it displays the state of all groups. It can also be used to list "
     "groups with specific states." NL "Example: --bootstrap-server localhost:9092 --list --state "
     "stable,empty" NL "This option may be used with '--describe', '--list' and '--bootstrap-server' "
     "options only."},
    {"help", TOOL_FLAG, NULL, "Print usage information."},
    {"version", TOOL_FLAG, NULL, "Display Freshet version."},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char summary[] =
    "This tool helps to list all consumer groups, describe a consumer group, delete consumer group "
    "info, or reset consumer group offsets.";

static const char *const scenarios[] = {"to-offset",   "shift-by",  "to-datetime", "by-duration",
                                        "to-earliest", "to-latest", "to-current",  "from-file"};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static int usage_error(const char *msg) {
    if (msg)
        fprintf(stderr, "%s\n", msg);
    tool_usage(stderr, summary, opts, NOPTS);
    return 1;
}

/* CommandLineUtils.checkInvalidArgs: `used` with any of `invalid` is a usage error. */
static int check_invalid(const tool_args_t *a, const char *used, const char *const *invalid, size_t n) {
    if (!tool_args_has(a, used))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(invalid[i], used) != 0 && tool_args_has(a, invalid[i])) {
            char msg[256];
            snprintf(msg, sizeof(msg), "Option \"[%s]\" can't be used with option \"[%s]\"", used, invalid[i]);
            return usage_error(msg);
        }
    }
    return 0;
}

/* ConsumerGroupCommandOptions.checkArgs() (and jopt-simple's availableIf and type checks). */
static int check_args(const tool_args_t *a) {
    char msg[512];
    bool describe = tool_args_has(a, "describe"), list = tool_args_has(a, "list");
    const char *describe_only[] = {"members", "verbose", "offsets"};
    for (size_t i = 0; i < 3; i++) {
        if (tool_args_has(a, describe_only[i]) && !describe) {
            snprintf(msg, sizeof(msg),
                     "Option(s) [%s] are unavailable given other options on the command line", describe_only[i]);
            return usage_error(msg);
        }
    }
    if (tool_args_has(a, "state") && !describe && !list)
        return usage_error("Option(s) [state] are unavailable given other options on the command line");
    const char *longs[] = {"timeout", "to-offset", "shift-by"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = tool_args_value(a, longs[i]);
        int64_t n;
        if (v && tool_parse_i64(v, INT64_MIN, INT64_MAX, &n) != 0) {
            snprintf(msg, sizeof(msg), "Cannot parse argument '%s' of option %s", v, longs[i]);
            return usage_error(msg);
        }
    }
    if (!tool_args_has(a, "bootstrap-server"))
        return usage_error("Missing required argument \"[bootstrap-server]\"");
    bool group_scope = tool_args_has(a, "group") || tool_args_has(a, "all-groups");
    if (describe) {
        if (!group_scope)
            return usage_error("Option [describe] takes one of these options: [group], [all-groups]");
        if (tool_args_has(a, "members") + tool_args_has(a, "offsets") + tool_args_has(a, "state") > 1)
            return usage_error("Option [describe] takes at most one of these options: [members], [offsets], [state]");
        if (tool_args_has(a, "state") && tool_args_value(a, "state"))
            return usage_error("Option [describe] does not take a value for [state]");
    }
    if (tool_args_has(a, "delete")) {
        if (!group_scope)
            return usage_error("Option [delete] takes one of these options: [group], [all-groups]");
        if (tool_args_has(a, "topic"))
            return usage_error("The consumer does not support topic-specific offset deletion from a consumer group.");
    }
    if (tool_args_has(a, "delete-offsets") && (!tool_args_has(a, "group") || !tool_args_has(a, "topic")))
        return usage_error("Option [delete-offsets] takes the following options: [group], [topic]");
    /* --delete-offsets reads one group (valueOf), where the other actions take several */
    if (tool_args_has(a, "delete-offsets") && tool_args_count(a, "group") > 1)
        return usage_error("Found multiple arguments for option group, but you asked for only one");
    int rc;
    if (tool_args_has(a, "reset-offsets")) {
        if (tool_args_has(a, "dry-run") && tool_args_has(a, "execute"))
            return usage_error("Option [reset-offsets] only accepts one of [execute] and [dry-run]");
        if (!tool_args_has(a, "dry-run") && !tool_args_has(a, "execute"))
            fprintf(stderr, "WARN: No action will be performed as the --execute option is missing.In a future "
                            "major release, the default behavior of this command will be to prompt the user "
                            "before executing the reset rather than doing a dry run. You should add the "
                            "--dry-run option explicitly if you are scripting this command and want to keep "
                            "the current default behavior without prompting.\n");
        if (!group_scope)
            return usage_error("Option [reset-offsets] takes one of these options: [group], [all-groups]");
        for (size_t i = 0; i < NSCENARIOS; i++)
            if ((rc = check_invalid(a, scenarios[i], scenarios, NSCENARIOS)))
                return rc;
    }
    const char *not_with_group[] = {"all-groups", "list"};
    const char *not_with_topic[] = {"list", "describe"};
    if ((rc = check_invalid(a, "group", not_with_group, 2)) || (rc = check_invalid(a, "topic", not_with_topic, 2)))
        return rc;

    const char *actions[] = {"list", "describe", "delete", "reset-offsets", "delete-offsets"};
    int nactions = 0;
    for (size_t i = 0; i < 5; i++)
        nactions += tool_args_has(a, actions[i]);
    if (nactions != 1)
        return usage_error("Command must include exactly one action: --list, --describe, --delete, "
                           "--reset-offsets, --delete-offsets");
    if (tool_args_has(a, "reset-offsets")) {
        size_t nscen = 0;
        for (size_t i = 0; i < NSCENARIOS; i++)
            nscen += tool_args_has(a, scenarios[i]);
        if (nscen == 0)
            return usage_error("Option '[reset-offsets]' requires one of the following scenarios: [to-offset], "
                               "[shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], "
                               "[to-current], [from-file]");
        if (!tool_args_has(a, "from-file") && !tool_args_has(a, "all-topics") && !tool_args_has(a, "topic"))
            return usage_error("One of the reset scopes should be defined: --all-topics, --topic.");
    }
    return 0;
}

/* ---- --list ---- */

static const char *const state_names[] = {"PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty"};

/* Kafka's consumerGroupStatesFromString (names compared ignoring case).  Returns the count or -1. */
static long parse_states(const char *input, rd_kafka_consumer_group_state_t *out, size_t cap) {
    long n = 0;
    const char *p = input;
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        bool found = false;
        for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
            if (strlen(state_names[i]) == (size_t)(e - s) && strncasecmp(state_names[i], s, (size_t)(e - s)) == 0) {
                rd_kafka_consumer_group_state_t st = rd_kafka_consumer_group_state_code(state_names[i]);
                bool dup = false;
                for (long k = 0; k < n; k++)
                    dup |= out[k] == st;
                if (!dup && (size_t)n < cap)
                    out[n++] = st;
                found = true;
            }
        }
        if (!found)
            return -1;
        if (!p[len])
            return n;
        p += len + 1;
    }
}

static int do_list(cg_ctx_t *c) {
    bool with_state = tool_args_has(c->args, "state");
    const char *filter = tool_args_value(c->args, "state");
    rd_kafka_consumer_group_state_t states[8];
    long nstates = 0;
    if (filter && *filter && (nstates = parse_states(filter, states, 8)) < 0) {
        char msg[512];
        snprintf(msg, sizeof(msg),
                 "Invalid state list '%s'. Valid states are: PreparingRebalance, CompletingRebalance, "
                 "Stable, Dead, Empty",
                 filter);
        return usage_error(msg);
    }
    cg_listing_t *l;
    size_t n;
    if (cg_list_groups(c, states, (size_t)nstates, &l, &n) != 0)
        return 1;
    int width = 15;
    for (size_t i = 0; i < n; i++)
        width = (int)strlen(l[i].group) > width ? (int)strlen(l[i].group) : width;
    if (with_state)
        printf("%-*s %s\n", width, "GROUP", "STATE");
    for (size_t i = 0; i < n; i++) {
        if (with_state)
            printf("%-*s %s\n", width, l[i].group, rd_kafka_consumer_group_state_name(l[i].state));
        else
            printf("%s\n", l[i].group);
    }
    cg_listings_free(l, n);
    return 0;
}

/* ---- --delete ---- */

static int do_delete(cg_ctx_t *c) {
    const char **groups;
    cg_listing_t *listings;
    size_t nlist;
    long n = cg_selected_groups(c, &groups, &listings, &nlist);
    if (n < 0)
        return 1;
    rd_kafka_DeleteGroup_t **dg = calloc((size_t)n + 1, sizeof(*dg));
    rd_kafka_event_t *ev = NULL;
    if (!dg) {
        cg_error(c, "out of memory");
    } else if (n > 0) {
        for (long i = 0; i < n; i++)
            dg[i] = rd_kafka_DeleteGroup_new(groups[i]);
        rd_kafka_AdminOptions_t *o = cg_admin_options(c, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
        rd_kafka_DeleteGroups(c->rk, dg, (size_t)n, o, c->queue);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_DeleteGroup_destroy_array(dg, (size_t)n);
        ev = cg_admin_wait(c, RD_KAFKA_EVENT_DELETEGROUPS_RESULT, "deleteConsumerGroups");
    }
    size_t cnt = 0;
    const rd_kafka_group_result_t **res =
        ev ? rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &cnt) : NULL;
    size_t failed = 0;
    for (size_t i = 0; i < cnt; i++)
        failed += rd_kafka_group_result_error(res[i]) != NULL;
    if (c->rc == 0) {
        /* Kafka lists the deleted groups as '<g1>', '<g2>' */
        FILE *out = failed ? stderr : stdout;
        if (failed) {
            cg_error(c, "Deletion of some consumer groups failed:");
            for (size_t i = 0; i < cnt; i++) {
                const rd_kafka_error_t *e = rd_kafka_group_result_error(res[i]);
                char buf[512];
                if (!e)
                    continue;
                cg_err_exception(rd_kafka_error_code(e), buf, sizeof(buf));
                fprintf(stderr, "* Group '%s' could not be deleted due to: %s\n", rd_kafka_group_result_name(res[i]), buf);
            }
        }
        if (!failed || failed < cnt) {
            fprintf(out, failed ? "\nThese consumer groups were deleted successfully: " : "Deletion of requested consumer groups (");
            bool first = true;
            for (size_t i = 0; i < cnt; i++) {
                if (rd_kafka_group_result_error(res[i]))
                    continue;
                fprintf(out, "%s'%s'", first ? "" : ", ", rd_kafka_group_result_name(res[i]));
                first = false;
            }
            if (first)
                fprintf(out, "''");
            fprintf(out, failed ? "\n" : ") was successful.\n");
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    free(dg);
    free(groups);
    cg_listings_free(listings, nlist);
    return c->rc;
}

/* ---- --delete-offsets ---- */

static int do_delete_offsets(cg_ctx_t *c) {
    const char *group = tool_args_value(c->args, "group");
    size_t ntopics = tool_args_count(c->args, "topic");
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(8);
    rd_kafka_topic_partition_list_t *rows = rd_kafka_topic_partition_list_new(8); /* with .err */
    for (size_t i = 0; i < ntopics && c->rc == 0; i++) {
        const char *arg = tool_args_value_at(c->args, "topic", i);
        if (strchr(arg, ':')) {
            size_t cap = tool_count_partitions(arg), np, tlen;
            int32_t *ids = calloc(cap + 1, sizeof(*ids));
            char err[512];
            if (!ids || tool_parse_topic_partitions(arg, &tlen, ids, cap, &np, err, sizeof(err)) != 0) {
                free(ids);
                rd_kafka_topic_partition_list_destroy(parts);
                rd_kafka_topic_partition_list_destroy(rows);
                return usage_error(ids ? err : "out of memory");
            }
            char *topic = strndup(arg, tlen);
            for (size_t k = 0; topic && k < np; k++)
                if (!rd_kafka_topic_partition_list_find(parts, topic, ids[k]))
                    rd_kafka_topic_partition_list_add(parts, topic, ids[k]);
            free(topic);
            free(ids);
        } else if (cg_metadata(c) == 0) {
            int cnt = cg_topic_partition_count(c, arg);
            if (cnt < 0)
                rd_kafka_topic_partition_list_add(rows, arg, -1)->err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
            for (int p = 0; p < cnt; p++)
                if (!rd_kafka_topic_partition_list_find(parts, arg, p))
                    rd_kafka_topic_partition_list_add(parts, arg, p);
        }
    }
    rd_kafka_resp_err_t top = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_event_t *ev = NULL;
    if (c->rc == 0 && parts->cnt > 0) {
        rd_kafka_DeleteConsumerGroupOffsets_t *d = rd_kafka_DeleteConsumerGroupOffsets_new(group, parts);
        rd_kafka_AdminOptions_t *o = cg_admin_options(c, RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS);
        rd_kafka_DeleteConsumerGroupOffsets(c->rk, &d, 1, o, c->queue);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_DeleteConsumerGroupOffsets_destroy(d);
        ev = rd_kafka_queue_poll(c->queue, c->timeout_ms + 5000);
        top = !ev ? RD_KAFKA_RESP_ERR__TIMED_OUT : rd_kafka_event_error(ev);
        size_t cnt = 0;
        const rd_kafka_group_result_t **res =
            top ? NULL
                : rd_kafka_DeleteConsumerGroupOffsets_result_groups(rd_kafka_event_DeleteConsumerGroupOffsets_result(ev), &cnt);
        const rd_kafka_topic_partition_list_t *got = cnt ? rd_kafka_group_result_partitions(res[0]) : NULL;
        for (int i = 0; i < parts->cnt; i++) {
            const rd_kafka_topic_partition_t *p = &parts->elems[i];
            const rd_kafka_topic_partition_t *r = got ? rd_kafka_topic_partition_list_find(got, p->topic, p->partition) : NULL;
            rd_kafka_resp_err_t e = top ? top : r ? r->err : RD_KAFKA_RESP_ERR_NO_ERROR;
            rd_kafka_topic_partition_list_add(rows, p->topic, p->partition)->err = e;
            if (!top && e)
                top = e; /* Kafka's all() fails with the first partition error */
        }
    } else if (c->rc == 0) {
        top = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    }
    if (c->rc == 0) {
        switch (top) {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            printf("Request succeed for deleting offsets with topic ");
            for (size_t i = 0; i < ntopics; i++)
                printf("%s%s", i ? ", " : "", tool_args_value_at(c->args, "topic", i));
            printf(" group %s\n", group);
            break;
        case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
            cg_error(c, "'%s' is not valid.", group);
            break;
        case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
            cg_error(c, "'%s' does not exist.", group);
            break;
        case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
            cg_error(c, "Access to '%s' is not authorized.", group);
            break;
        case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
            cg_error(c, "Deleting offsets of a consumer group '%s' is forbidden if the group is not empty.", group);
            break;
        case RD_KAFKA_RESP_ERR_GROUP_SUBSCRIBED_TO_TOPIC:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            cg_error(c, "Encounter some partition level error, see the follow-up details:");
            break;
        default:
            cg_error(c, "Encounter some unknown error: %s", rd_kafka_err2name(top));
            break;
        }
        cg_sort_partitions(rows);
        printf("\n%-30s %-15s %-15s\n", "TOPIC", "PARTITION", "STATUS");
        for (int i = 0; i < rows->cnt; i++) {
            const rd_kafka_topic_partition_t *r = &rows->elems[i];
            char part[32], status[512];
            snprintf(part, sizeof(part), r->partition >= 0 ? "%d" : "Not Provided", (int)r->partition);
            snprintf(status, sizeof(status), r->err ? "Error: %s" : "Successful", cg_err_message(r->err));
            printf("%-30s %-15s %-15s\n", r->topic, part, status);
            if (r->err)
                c->rc = 1; /* Kafka may still say "Request succeed" (the topic was not there to ask about) */
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_topic_partition_list_destroy(rows);
    return c->rc;
}

/* ---- entry point ---- */

/* The admin client: --command-config, then client.id and --bootstrap-server. */
static rd_kafka_t *new_client(const tool_args_t *a, char *err, size_t errlen) {
    fr_props_t props;
    fr_props_init(&props);
    rd_kafka_t *rk = NULL;
    const char *file = tool_args_value(a, "command-config");
    if (file && tool_props_load_file(&props, file, err, errlen) != 0)
        goto out;
    if (tool_props_default(&props, "client.id", "freshet-consumer-groups") != 0 ||
        fr_props_set(&props, "bootstrap.servers", tool_args_value(a, "bootstrap-server")) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rd_kafka_conf_t *conf = tool_conf_new(&props, err, errlen);
    if (conf && !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen)))
        rd_kafka_conf_destroy(conf);
out:
    fr_props_free(&props);
    return rk;
}

int fr_cmd_consumer_groups(int argc, char **argv) {
    tool_logging_init();
    tool_args_t a;
    char err[1024];
    if (tool_args_parse(&a, opts, NOPTS, argc, argv, err, sizeof(err)) != 0) {
        tool_args_free(&a);
        return usage_error(err);
    }
    if (tool_args_has(&a, "help")) {
        tool_usage(stdout, summary, opts, NOPTS);
        tool_args_free(&a);
        return 0;
    }
    if (tool_args_version(&a)) /* as Kafka's tools: before any other check */
        return 0;
    int rc = check_args(&a);
    if (rc != 0) {
        tool_args_free(&a);
        return rc;
    }
    int64_t timeout = 5000;
    if (tool_args_has(&a, "timeout"))
        tool_parse_i64(tool_args_value(&a, "timeout"), INT64_MIN, INT64_MAX, &timeout);
    cg_ctx_t c = {.args = &a, .timeout_ms = timeout < 1 ? 1 : timeout > INT32_MAX / 2 ? INT32_MAX / 2 : (int)timeout};
    c.rk = new_client(&a, err, sizeof(err));
    if (!c.rk) {
        cg_error(&c, "Executing consumer group command failed due to %s", err);
        tool_args_free(&a);
        return 1;
    }
    c.queue = rd_kafka_queue_new(c.rk);

    if (tool_args_has(&a, "list"))
        rc = do_list(&c);
    else if (tool_args_has(&a, "describe"))
        rc = cg_do_describe(&c);
    else if (tool_args_has(&a, "delete"))
        rc = do_delete(&c);
    else if (tool_args_has(&a, "reset-offsets"))
        rc = cg_do_reset(&c);
    else
        rc = do_delete_offsets(&c);
    fflush(stdout);

    if (c.md)
        rd_kafka_metadata_destroy(c.md);
    rd_kafka_queue_destroy(c.queue);
    rd_kafka_destroy(c.rk);
    tool_args_free(&a);
    return rc || c.rc ? 1 : 0;
}
