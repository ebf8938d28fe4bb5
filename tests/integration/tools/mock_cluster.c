/*
 * mock_cluster — runs librdkafka's built-in mock Kafka cluster so that the
 * client tools (console-producer, console-consumer) can be exercised before a
 * real broker exists.
 *
 *   mock_cluster [--brokers N] [--topic NAME:PARTITIONS]... [--no-group-apis]
 *
 * Prints the cluster's bootstrap address as one line on stdout, then serves
 * until SIGINT or SIGTERM.  --no-group-apis removes the consumer-group APIs
 * (OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup, Heartbeat,
 * LeaveGroup, SyncGroup, DescribeGroups, ListGroups) from the mock's
 * ApiVersions, as on a broker that does not implement them yet.  The mock
 * does not implement the topic admin APIs (CreateTopics, DeleteTopics,
 * CreatePartitions, DescribeConfigs); topics are made with --topic or
 * auto-created on first use.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop = 0;
static void on_signal(int signo) { stop = signo; }

static int usage(void) {
    fprintf(stderr, "usage: mock_cluster [--brokers N] [--topic NAME:PARTITIONS]... [--no-group-apis]\n");
    return 2;
}

int main(int argc, char **argv) {
    int brokers = 1, no_group_apis = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc)
            brokers = atoi(argv[++i]);
        else if (strcmp(argv[i], "--no-group-apis") == 0)
            no_group_apis = 1;
        else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc)
            i++; /* handled once the cluster exists */
        else
            return usage();
    }
    if (brokers < 1)
        return usage();

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "mock_cluster: %s\n", errstr);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "mock_cluster: rd_kafka_new: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "mock_cluster: could not start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--topic") != 0)
            continue;
        char *spec = argv[++i], *colon = strrchr(spec, ':');
        int partitions = colon ? atoi(colon + 1) : 1;
        if (colon)
            *colon = '\0';
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, spec, partitions, 1);
        if (err) {
            fprintf(stderr, "mock_cluster: topic %s: %s\n", spec, rd_kafka_err2str(err));
            return 1;
        }
    }
    if (no_group_apis) {
        static const int16_t group_apis[] = {8, 9, 10, 11, 12, 13, 14, 15, 16};
        for (size_t i = 0; i < sizeof(group_apis) / sizeof(group_apis[0]); i++)
            rd_kafka_mock_set_apiversion(mc, group_apis[i], -1, -1);
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (!stop)
        usleep(100 * 1000);

    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
