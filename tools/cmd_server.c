/*
 * freshet server [server.properties] [--override key=value ...]
 *
 * Runs a single-node broker.  Without a file, Kafka's defaults apply.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "broker.h"
#include "commands.h"
#include "fr_err.h"
#include "fr_logging.h"
#include "fr_version.h"

/* A broker holds two or three descriptors per partition, and a soft limit of
 * 1024 (a common default) runs out at a few hundred.  The soft limit goes up
 * to the hard one, as Redis does; the operator's hard limit stays the bound. */
static void raise_open_files_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        fr_info("server", "raised the open files limit from %llu to %llu", (unsigned long long)was,
                (unsigned long long)rl.rlim_cur);
    else
        fr_warn("server", "cannot raise the open files limit from %llu: %s", (unsigned long long)was, strerror(errno));
}

static void usage(void) {
    fprintf(stderr,
            "USAGE: freshet server [server.properties] [--override property=value]*\n"
            "  --override k=v   set a broker property, overriding the file (repeatable)\n"
            "  --version        print the version and exit\n");
}

int fr_cmd_server(int argc, char **argv) {
    fr_props_t props;
    fr_props_init(&props);
    char err[512] = "";
    const char *file = NULL;
    int rc = 1;
    fr_props_t overrides;
    fr_props_init(&overrides);
    /* Kafka's server looks for --help, then --version, anywhere among its arguments */
    for (int want_help = 1; want_help >= 0; want_help--)
        for (int i = 1; i < argc; i++) {
            if (want_help && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
                usage();
                return 0;
            }
            if (!want_help && strcmp(argv[i], "--version") == 0) {
                printf("%s\n", fr_version());
                return 0;
            }
        }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--override") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "--override needs key=value\n");
                goto out;
            }
            if (fr_props_set_kv(&overrides, argv[++i], err, sizeof(err))) {
                fprintf(stderr, "Invalid --override: %s\n", err);
                goto out;
            }
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "Unknown option %s\n", argv[i]);
            usage();
            goto out;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "Only one properties file may be given\n");
            usage();
            goto out;
        }
    }
    if (file && fr_props_load(&props, file, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    for (size_t i = 0; i < overrides.count; i++)
        if (fr_props_set(&props, overrides.items[i].key, overrides.items[i].value))
            goto out;
    const char *lvl = fr_props_get(&props, "log4j.rootLogger.level");
    if (lvl && fr_logging_parse_level(lvl) >= 0)
        fr_logging_set_level((fr_log_level_t)fr_logging_parse_level(lvl));

    fr_broker_config_t cfg;
    fr_broker_config_defaults(&cfg);
    if (fr_broker_config_load(&cfg, &props, err, sizeof(err))) {
        fr_error("server", "%s", err);
        fprintf(stderr, "Invalid configuration: %s\n", err);
        fr_broker_config_free(&cfg);
        goto out;
    }
    fr_info("server", "Freshet version: %s", fr_version());
    raise_open_files_limit();
    uv_loop_t loop;
    uv_loop_init(&loop);
    fr_server_t srv;
    if (fr_server_init(&srv, &loop, &cfg, err, sizeof(err))) {
        fr_error("server", "Fatal error during KafkaServer startup: %s", err);
        uv_loop_close(&loop);
        fr_broker_config_free(&cfg);
        goto out;
    }
    rc = fr_server_run(&srv);
    uv_loop_close(&loop);
    fr_broker_config_free(&cfg);
out:
    fr_props_free(&props);
    fr_props_free(&overrides);
    return rc;
}
