/*
 * The subcommand table.  Each entry's function takes (argc, argv) with argv[0]
 * being the subcommand name, and returns the process exit code.
 */
#ifndef FR_TOOLS_COMMANDS_H
#define FR_TOOLS_COMMANDS_H

typedef struct fr_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} fr_command_t;

#define FR_COMMANDS(X)                                                              \
    X("server", fr_cmd_server, "run a broker: server [server.properties] [--override k=v ...]") \
    X("topics", fr_cmd_topics, "create, list, describe, alter and delete topics")  \
    X("console-producer", fr_cmd_console_producer, "produce lines from stdin")     \
    X("console-consumer", fr_cmd_console_consumer, "print records to stdout")      \
    X("consumer-groups", fr_cmd_consumer_groups, "list, describe, reset and delete consumer groups") \
    X("configs", fr_cmd_configs, "describe and alter topic and broker configs") \
    X("delete-records", fr_cmd_delete_records, "delete records of partitions below given offsets") \
    X("dump-log-segments", fr_cmd_dump_log_segments, "print the contents of log segment and index files") \
    X("log-dirs", fr_cmd_log_dirs, "describe the log directories of brokers and partition sizes") \
    X("producer-perf-test", fr_cmd_producer_perf_test, "measure producer throughput and latency") \
    X("consumer-perf-test", fr_cmd_consumer_perf_test, "measure consumer throughput") \
    X("e2e-latency", fr_cmd_e2e_latency, "measure end-to-end latency, one record at a time or at a fixed rate")

#define FR_CMD_DECL_(name, fn, help) int fn(int argc, char **argv);
FR_COMMANDS(FR_CMD_DECL_)
#undef FR_CMD_DECL_

#endif
