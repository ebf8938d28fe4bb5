/*
 * example_app.c — command line, signals and the run loop shared by the
 * streams examples (see example_app.h).
 */
#include "example_app.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t g_stop;

/* Only sets a flag: fr_streams_close must run on the main thread, never in a
 * signal handler (it joins threads and talks to the broker). */
static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

static void on_state(void *ctx, fr_streams_state_t now, fr_streams_state_t old) {
    fprintf(stderr, "%s: state %s -> %s\n", (const char *)ctx, fr_streams_state_name(old),
            fr_streams_state_name(now));
}

static int set(fr_streams_config_t *cfg, const char *key, const char *value) {
    char err[512];
    if (fr_streams_config_set(cfg, key, value, err, sizeof(err)) != 0) {
        fprintf(stderr, "bad setting %s=%s: %s\n", key, value, err);
        return -1;
    }
    return 0;
}

fr_streams_config_t *example_config(int argc, char **argv, const char *usage, const char *application_id,
                                    const char *const *defaults) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    if (!cfg) {
        fprintf(stderr, "out of memory\n");
        return NULL;
    }
    if (set(cfg, FR_STREAMS_APPLICATION_ID, application_id) != 0 ||
        set(cfg, FR_STREAMS_BOOTSTRAP_SERVERS, "localhost:9092") != 0)
        goto fail;
    for (size_t i = 0; defaults && defaults[i]; i += 2)
        if (set(cfg, defaults[i], defaults[i + 1]) != 0)
            goto fail;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            fprintf(stderr, "%s", usage);
            goto fail;
        }
        if (!value) {
            fprintf(stderr, "%s needs a value\n%s", flag, usage);
            goto fail;
        }
        i++;
        if (strcmp(flag, "--bootstrap-server") == 0) {
            if (set(cfg, FR_STREAMS_BOOTSTRAP_SERVERS, value) != 0)
                goto fail;
        } else if (strcmp(flag, "--state-dir") == 0) {
            if (set(cfg, FR_STREAMS_STATE_DIR, value) != 0)
                goto fail;
        } else if (strcmp(flag, "--set") == 0) {
            const char *eq = strchr(value, '=');
            char key[256];
            if (!eq || eq == value || (size_t)(eq - value) >= sizeof(key)) {
                fprintf(stderr, "--set wants key=value, got '%s'\n", value);
                goto fail;
            }
            memcpy(key, value, (size_t)(eq - value));
            key[eq - value] = '\0';
            if (set(cfg, key, eq + 1) != 0)
                goto fail;
        } else {
            fprintf(stderr, "unknown flag %s\n%s", flag, usage);
            goto fail;
        }
    }
    return cfg;
fail:
    fr_streams_config_free(cfg);
    return NULL;
}

/* One CreateTopics request for every listed topic; "already exists" is the
 * usual answer after the first run and is fine.  Returns 0 or -1 after
 * printing which topic failed and why. */
static int ensure_topics(const char *name, const char *bootstrap, const example_topic_t *topics) {
    size_t n = 0;
    while (topics && topics[n].name)
        n++;
    if (n == 0)
        return 0;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s: %s\n", name, err);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "%s: %s\n", name, err);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    int rc = -1;
    rd_kafka_NewTopic_t **nts = calloc(n, sizeof(*nts));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev = NULL;
    for (size_t i = 0; nts && i < n; i++) {
        nts[i] = rd_kafka_NewTopic_new(topics[i].name, 1, 1, err, sizeof(err));
        if (!nts[i] || (topics[i].cleanup_policy &&
                        rd_kafka_NewTopic_set_config(nts[i], "cleanup.policy", topics[i].cleanup_policy))) {
            fprintf(stderr, "%s: topic %s: %s\n", name, topics[i].name, nts[i] ? "bad config" : err);
            goto done;
        }
    }
    if (!nts)
        goto done;
    rd_kafka_CreateTopics(rk, nts, n, NULL, q);
    ev = rd_kafka_queue_poll(q, 30000);
    const rd_kafka_CreateTopics_result_t *res = ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
    if (!res) {
        fprintf(stderr, "%s: creating topics at %s: %s\n", name, bootstrap,
                ev ? rd_kafka_event_error_string(ev) : "no answer in 30 s");
        goto done;
    }
    size_t nres;
    const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &nres);
    rc = 0;
    for (size_t i = 0; i < nres; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            fprintf(stderr, "%s: created topic %s\n", name, rd_kafka_topic_result_name(tr[i]));
        else if (e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            fprintf(stderr, "%s: cannot create topic %s: %s\n", name, rd_kafka_topic_result_name(tr[i]),
                    rd_kafka_topic_result_error_string(tr[i]));
            rc = -1;
        }
    }
done:
    if (ev)
        rd_kafka_event_destroy(ev);
    for (size_t i = 0; nts && i < n; i++)
        if (nts[i])
            rd_kafka_NewTopic_destroy(nts[i]);
    free(nts);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

int example_run(const char *name, fr_builder_t *b, fr_streams_config_t *cfg, const example_topic_t *topics) {
    char err[1024];
    fr_topology_t *topology = NULL;
    fr_streams_t *app = NULL;
    const char *bootstrap = fr_streams_config_get(cfg, FR_STREAMS_BOOTSTRAP_SERVERS);
    if (ensure_topics(name, bootstrap ? bootstrap : "localhost:9092", topics) != 0) {
        fr_builder_free(b);
        fr_streams_config_free(cfg);
        return 1;
    }
    int rc = fr_builder_build(b, cfg, &topology, err, sizeof(err));
    fr_builder_free(b);
    if (rc != 0) {
        fprintf(stderr, "%s: building the topology failed: %s\n", name, err);
        fr_streams_config_free(cfg);
        return 1;
    }
    char *text = fr_topology_describe(topology);
    if (text) {
        fprintf(stderr, "%s", text);
        free(text);
    }
    rc = fr_streams_new(topology, cfg, &app, err, sizeof(err));
    fr_streams_config_free(cfg); /* the instance keeps its own copy */
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", name, err);
        fr_topology_free(topology);
        return 1;
    }
    fr_streams_set_state_listener(app, on_state, (void *)name);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (fr_streams_start(app, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: start failed: %s\n", name, err);
        fr_streams_close(app);
        fr_topology_free(topology);
        return 1;
    }
    /* Wake up twice a second to notice the signal flag; await returns 1 when
     * a stream thread failed and the instance stopped by itself. */
    while (!g_stop && fr_streams_await(app, 500) == 0)
        ;
    int failed = fr_streams_state(app) == FR_STREAMS_ERROR;
    if (failed)
        fprintf(stderr, "%s: stopped on an error: %s\n", name, fr_streams_error_message(app));
    else
        fprintf(stderr, "%s: shutting down\n", name);
    rc = fr_streams_close(app); /* final commit, leaves the group, frees app */
    fr_topology_free(topology);
    return rc != 0 || failed ? 1 : 0;
}
