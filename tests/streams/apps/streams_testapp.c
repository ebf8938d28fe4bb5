/*
 * streams_testapp — runs one of two topologies with the streams runtime, for
 * the integration tests (tests/integration/test_streams_*.py).
 *
 *   streams_testapp wordcount   --bootstrap B --app-id A --input IN --output OUT --state-dir D [options]
 *   streams_testapp passthrough ...same...
 *   streams_testapp windowcount ...same...
 *
 * wordcount:   Kafka's WordCountDemo: lines → lowercase words → groupBy(word)
 *              → count (store "counts") → OUT (string word, 8-byte big-endian long).
 * passthrough: processor API: every record goes to OUT unchanged, and a
 *              processor counts records per key in store "seen" (long values).
 *              A record whose value is "poison" fails the task (the
 *              uncaught-error path); --punctuate-ms N adds a wall-clock
 *              punctuator per task forwarding ("tick-<partition>", "tick").
 * windowcount: per-key counts in tumbling one-minute windows (record time),
 *              window store "wcounts" retained an hour.
 * globaljoin:  orders (IN: order id → "<customer id>:<item>") joined with the
 *              GlobalKTable of --table (customer id → name, store "customers")
 *              through a key mapper (the customer id in the value):
 *              OUT gets order id → "<item> for <name>" (string serdes).
 * tablejoin:   IN joined by key with the KTable of --table (store "tbl"):
 *              OUT gets key → "<left>+<right>"; the topics must be co-partitioned.
 *
 * Options: --threads N, --commit-ms N, --punctuate-ms N, --table TOPIC,
 * --set key=value (any config key, repeatable).
 *
 * Protocol on stdin/stdout (one line each), so a test can drive it:
 *   stdout "STATE <new> <old>"                on every state change
 *   stdin  "get <store> <key>"  → "VALUE <key> <long>" | "MISSING <key>" | "ERROR <key> <code name>"
 *   stdin  "sget <store> <key>" → "SVALUE <key> <string>" | "MISSING <key>" | "ERROR <key> <code name>"
 *   stdin  "range <store> <from> <to>"  ("-" for an open bound)
 *                               → "ENTRY <key> <long>"... then "END range" | "ERROR range <code name>"
 *   stdin  "wget <store> <key> <from> <to>"
 *                               → "WINDOW <key> <start> <timestamp> <long>"... then "END <key>" | "ERROR <key> <code name>"
 *   stdin  "state"              → "STATE <current>"
 *   stdin  "quit" or EOF, or SIGTERM/SIGINT → clean close, exit 0 (1 if the app ended in ERROR)
 * The signal handler only sets a flag; the main thread closes the app.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_logging.h"
#include "freshet/streams.h"
#include "freshet/streams_app.h"
#include "freshet/streams_joins.h"
#include "freshet/streams_windows.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

static void on_state(void *ctx, fr_streams_state_t s, fr_streams_state_t old) {
    (void)ctx;
    printf("STATE %s %s\n", fr_streams_state_name(s), fr_streams_state_name(old));
    fflush(stdout);
}

/* ---- wordcount ---- */

static int split_words(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_emitter_t *emit) {
    (void)ctx;
    (void)key;
    if (value->is_null)
        return 0;
    const char *p = value->ptr, *end = value->ptr + value->len;
    while (p < end) {
        while (p < end && !isalnum((unsigned char)*p))
            p++;
        const char *w = p;
        while (p < end && isalnum((unsigned char)*p))
            p++;
        if (p > w) {
            char *lw = fr_scratch_strndup(fr_emitter_scratch(emit), w, (size_t)(p - w));
            if (!lw)
                return FR_ERR_NOMEM;
            for (char *c = lw; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            fr_datum_t d = fr_datum_strn(lw, (size_t)(p - w));
            int rc = fr_emit(emit, NULL, &d);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int word_as_key(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_datum_t *out_key,
                       fr_scratch_t *scratch) {
    (void)ctx;
    (void)key;
    (void)scratch;
    *out_key = *value;
    return 0;
}

static int build_wordcount(fr_builder_t *b, const char *in, const char *out) {
    fr_consumed_t consumed = {.key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
    fr_kstream_t *lines = fr_builder_stream(b, in, &consumed);
    fr_kstream_t *words = fr_kstream_flat_map_values(lines, split_words, NULL, fr_serde_string(), NULL);
    fr_grouped_t grouped = {.name = "words", .key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
    fr_kgrouped_stream_t *g = fr_kstream_group_by(words, word_as_key, NULL, fr_serde_string(), &grouped);
    fr_materialized_t m = {.name = "counts", .key_serde = fr_serde_string(), .value_serde = fr_serde_int64()};
    fr_ktable_t *counts = fr_kgrouped_stream_count(g, &m);
    fr_produced_t produced = {.key_serde = fr_serde_string(), .value_serde = fr_serde_int64()};
    return fr_kstream_to(fr_ktable_to_stream(counts, NULL), out, &produced);
}

/* ---- windowcount: per-key counts in tumbling one-minute windows ---- */

static int build_windowcount(fr_builder_t *b, const char *in, const char *out) {
    fr_consumed_t consumed = {.key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
    fr_kgrouped_stream_t *g = fr_kstream_group_by_key(fr_builder_stream(b, in, &consumed), NULL);
    fr_time_windows_t w = fr_time_windows_of_size_no_grace(60000);
    fr_materialized_t m = {.name = "wcounts", .key_serde = fr_serde_string(), .value_serde = fr_serde_int64()};
    /* an hour of retention, so closed windows stay queryable */
    fr_ktable_t *counts = fr_windowed_stream_count(fr_kgrouped_stream_windowed_by(g, &w), &m, 3600000);
    return fr_kstream_to(fr_ktable_to_stream(counts, NULL), out, NULL);
}

/* ---- globaljoin / tablejoin ---- */

/* The customer id: the value up to ':' (none: no lookup, the order is dropped). */
static int customer_of(void *ctx, const fr_datum_t *key, const fr_datum_t *value, fr_datum_t *out_key,
                       fr_scratch_t *scratch) {
    (void)ctx;
    (void)key;
    (void)scratch;
    const char *colon = value->is_null ? NULL : memchr(value->ptr, ':', value->len);
    *out_key = colon ? fr_datum_strn(value->ptr, (size_t)(colon - value->ptr)) : fr_datum_null();
    return 0;
}

/* "<item> for <name>" or, for tablejoin, "<left>+<right>". */
static int join_values(void *ctx, const fr_datum_t *key, const fr_datum_t *left, const fr_datum_t *right,
                       fr_datum_t *out, fr_scratch_t *scratch) {
    (void)key;
    const char *sep = ctx;
    const char *l = left->ptr;
    size_t ll = left->len;
    if (strcmp(sep, " for ") == 0) { /* the item after "<customer>:" */
        const char *colon = memchr(l, ':', ll);
        ll -= (size_t)(colon + 1 - l);
        l = colon + 1;
    }
    size_t n = ll + strlen(sep) + right->len;
    char *buf = fr_scratch_alloc(scratch, n + 1);
    if (!buf)
        return FR_ERR_NOMEM;
    snprintf(buf, n + 1, "%.*s%s%.*s", (int)ll, l, sep, (int)right->len, right->ptr);
    *out = fr_datum_strn(buf, n);
    return 0;
}

static int build_globaljoin(fr_builder_t *b, const char *in, const char *table, const char *out) {
    fr_consumed_t strings = {.key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
    fr_materialized_t m = {.name = "customers", .key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
    fr_global_ktable_t *customers = fr_builder_global_table(b, table, &strings, &m);
    fr_kstream_t *orders = fr_builder_stream(b, in, &strings);
    fr_kstream_t *j = fr_kstream_join_global(orders, customers, customer_of, NULL, join_values, " for ",
                                             fr_serde_string(), NULL);
    return fr_kstream_to(j, out, NULL);
}

static int build_tablejoin(fr_builder_t *b, const char *in, const char *table, const char *out) {
    fr_consumed_t strings = {.key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
    fr_materialized_t m = {.name = "tbl", .key_serde = fr_serde_string(), .value_serde = fr_serde_string()};
    fr_ktable_t *t = fr_builder_table(b, table, &strings, &m);
    fr_kstream_t *s = fr_builder_stream(b, in, &strings);
    return fr_kstream_to(fr_kstream_join_table(s, t, join_values, "+", fr_serde_string(), NULL), out, NULL);
}

/* ---- passthrough (processor API) ---- */

static int64_t g_punctuate_ms; /* --punctuate-ms: a wall-clock punctuator per task */

/* Forwards ("tick-<partition>", "tick") each time the wall clock fires. */
static int tick(void *ctx, fr_processor_context_t *pc, int64_t timestamp) {
    (void)ctx;
    (void)timestamp;
    char key[32];
    snprintf(key, sizeof(key), "tick-%d", (int)fr_pctx_partition(pc));
    fr_datum_t k = fr_datum_str(key), v = fr_datum_str("tick");
    return fr_pctx_forward(pc, &k, &v);
}

static int seen_init(void *ctx, fr_processor_context_t *pc, void **state) {
    (void)ctx;
    *state = fr_pctx_kv(pc, "seen");
    if (!*state)
        return FR_ERR_NOT_FOUND;
    return g_punctuate_ms > 0 ? fr_pctx_schedule(pc, g_punctuate_ms, FR_PUNCTUATE_WALL_CLOCK, tick, NULL) : 0;
}

static int seen_process(void *state, fr_processor_context_t *pc, const fr_datum_t *key, const fr_datum_t *value) {
    fr_kv_t *kv = state;
    if (fr_datum_eq_str(value, "poison"))
        return FR_ERR_INVALID_ARG; /* the uncaught-error test: the task fails, the app ends in ERROR */
    if (!key->is_null) {
        fr_datum_t cur;
        int64_t n = 0;
        int rc = fr_kv_get(kv, key, &cur);
        if (rc == 0)
            n = cur.i64;
        else if (rc != FR_ERR_NOT_FOUND)
            return rc;
        fr_datum_t next = fr_datum_i64(n + 1);
        if ((rc = fr_kv_put(kv, key, &next)) != 0)
            return rc;
    }
    return fr_pctx_forward(pc, key, value);
}

static int build_passthrough(fr_builder_t *b, const char *in, const char *out) {
    fr_materialized_t store = {.name = "seen", .key_serde = fr_serde_bytes(), .value_serde = fr_serde_int64()};
    if (fr_builder_add_kv_store(b, &store) != 0)
        return -1;
    fr_consumed_t consumed = {.key_serde = fr_serde_bytes(), .value_serde = fr_serde_bytes()};
    fr_kstream_t *s = fr_builder_stream(b, in, &consumed);
    fr_processor_supplier_t sup = {.init = seen_init, .process = seen_process};
    const char *stores[] = {"seen"};
    fr_kstream_t *p = fr_kstream_process(s, &sup, stores, 1, NULL, NULL, "seen-counter");
    return fr_kstream_to(p, out, NULL);
}

/* ---- the stdin protocol ---- */

static void do_get(fr_streams_t *app, const char *store, const char *key, int as_string) {
    void *v;
    size_t len;
    int rc = fr_streams_store_get(app, store, key, strlen(key), &v, &len);
    if (rc == FR_ERR_NOT_FOUND)
        printf("MISSING %s\n", key);
    else if (rc)
        printf("ERROR %s %s\n", key, fr_err_name(rc));
    else if (as_string) {
        printf("SVALUE %s %.*s\n", key, (int)len, (const char *)v);
        free(v);
    } else {
        int64_t n = 0;
        if (len == 8) {
            const unsigned char *p = v;
            for (int i = 0; i < 8; i++)
                n = (int64_t)(((uint64_t)n << 8) | p[i]);
        }
        printf("VALUE %s %lld\n", key, (long long)n);
        free(v);
    }
    fflush(stdout);
}

static int64_t be64(const void *p, size_t len) {
    int64_t n = 0;
    for (size_t i = 0; i < len && i < 8; i++)
        n = (int64_t)(((uint64_t)n << 8) | ((const unsigned char *)p)[i]);
    return n;
}

static int print_window(void *ctx, int64_t start, int64_t ts, const void *value, size_t len) {
    printf("WINDOW %s %lld %lld %lld\n", (const char *)ctx, (long long)start, (long long)ts,
           (long long)be64(value, len));
    return 0;
}

static void do_window_get(fr_streams_t *app, const char *store, const char *key, long long from, long long to) {
    int rc = fr_streams_store_window_fetch(app, store, key, strlen(key), from, to, print_window, (void *)key);
    if (rc)
        printf("ERROR %s %s\n", key, fr_err_name(rc));
    else
        printf("END %s\n", key);
    fflush(stdout);
}

static int print_entry(void *ctx, const void *key, size_t keylen, const void *value, size_t len) {
    (void)ctx;
    printf("ENTRY %.*s %lld\n", (int)keylen, (const char *)key, (long long)be64(value, len));
    return 0;
}

static void do_range(fr_streams_t *app, const char *store, const char *from, const char *to) {
    int open_from = strcmp(from, "-") == 0, open_to = strcmp(to, "-") == 0;
    int rc = fr_streams_store_range(app, store, open_from ? NULL : from, open_from ? 0 : strlen(from),
                                    open_to ? NULL : to, open_to ? 0 : strlen(to), print_entry, NULL);
    if (rc)
        printf("ERROR range %s\n", fr_err_name(rc));
    else
        printf("END range\n");
    fflush(stdout);
}

/* Reads and runs complete lines from stdin; returns 1 on quit/EOF. */
static int serve_stdin(fr_streams_t *app, char *buf, size_t cap, size_t *used) {
    ssize_t n = read(0, buf + *used, cap - 1 - *used);
    if (n <= 0)
        return n == 0 || (errno != EINTR && errno != EAGAIN);
    *used += (size_t)n;
    buf[*used] = '\0';
    char *line = buf, *nl;
    int quit = 0;
    while ((nl = strchr(line, '\n')) != NULL) {
        *nl = '\0';
        char store[256], key[512];
        long long from, to;
        if (strcmp(line, "quit") == 0)
            quit = 1;
        else if (strcmp(line, "state") == 0) {
            printf("STATE %s\n", fr_streams_state_name(fr_streams_state(app)));
            fflush(stdout);
        } else if (sscanf(line, "get %255s %511s", store, key) == 2)
            do_get(app, store, key, 0);
        else if (sscanf(line, "sget %255s %511s", store, key) == 2)
            do_get(app, store, key, 1);
        else if (sscanf(line, "range %255s %255s %255s", store, key, key + 256) == 3)
            do_range(app, store, key, key + 256);
        else if (sscanf(line, "wget %255s %511s %lld %lld", store, key, &from, &to) == 4)
            do_window_get(app, store, key, from, to);
        line = nl + 1;
    }
    *used = strlen(line);
    memmove(buf, line, *used + 1);
    if (*used >= cap - 1)
        *used = 0; /* an overlong line: drop it */
    return quit;
}

static int usage(void) {
    fprintf(stderr, "usage: streams_testapp wordcount|passthrough|windowcount|globaljoin|tablejoin --bootstrap B "
                    "--app-id A --input IN --output OUT --state-dir D [--table TOPIC] [--threads N] [--commit-ms N] "
                    "[--punctuate-ms N] [--set key=value]...\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return usage();
    const char *mode = argv[1], *in = NULL, *out = NULL, *table = NULL;
    char err[1024];
    fr_logging_init_from_env();
    fr_streams_config_t *cfg = fr_streams_config_new();
    if (!cfg)
        return 1;
    for (int i = 2; i < argc; i += 2) {
        const char *k = NULL, *v = i + 1 < argc ? argv[i + 1] : NULL;
        char kbuf[256];
        if (!v)
            return usage();
        if (strcmp(argv[i], "--bootstrap") == 0)
            k = "bootstrap.servers";
        else if (strcmp(argv[i], "--app-id") == 0)
            k = "application.id";
        else if (strcmp(argv[i], "--state-dir") == 0)
            k = "state.dir";
        else if (strcmp(argv[i], "--threads") == 0)
            k = "num.stream.threads";
        else if (strcmp(argv[i], "--commit-ms") == 0)
            k = "commit.interval.ms";
        else if (strcmp(argv[i], "--punctuate-ms") == 0)
            g_punctuate_ms = atoll(v);
        else if (strcmp(argv[i], "--input") == 0)
            in = v;
        else if (strcmp(argv[i], "--output") == 0)
            out = v;
        else if (strcmp(argv[i], "--table") == 0)
            table = v;
        else if (strcmp(argv[i], "--set") == 0) {
            const char *eq = strchr(v, '=');
            if (!eq || (size_t)(eq - v) >= sizeof(kbuf))
                return usage();
            memcpy(kbuf, v, (size_t)(eq - v));
            kbuf[eq - v] = '\0';
            k = kbuf;
            v = eq + 1;
        } else
            return usage();
        if (k && fr_streams_config_set(cfg, k, v, err, sizeof(err)) != 0) {
            fprintf(stderr, "config %s=%s: %s\n", k, v, err);
            return 2;
        }
    }
    if (!in || !out)
        return usage();
    fr_builder_t *b = fr_builder_new();
    int rc;
    if (strcmp(mode, "wordcount") == 0)
        rc = build_wordcount(b, in, out);
    else if (strcmp(mode, "passthrough") == 0)
        rc = build_passthrough(b, in, out);
    else if (strcmp(mode, "windowcount") == 0)
        rc = build_windowcount(b, in, out);
    else if (strcmp(mode, "globaljoin") == 0 && table)
        rc = build_globaljoin(b, in, table, out);
    else if (strcmp(mode, "tablejoin") == 0 && table)
        rc = build_tablejoin(b, in, table, out);
    else
        return usage();
    fr_topology_t *topo = NULL;
    if (rc == 0)
        rc = fr_builder_build(b, cfg, &topo, err, sizeof(err));
    else {
        const char *msg = "";
        fr_builder_error(b, &msg);
        snprintf(err, sizeof(err), "%s", msg ? msg : "");
    }
    fr_builder_free(b);
    if (rc) {
        fprintf(stderr, "building the topology failed: %s\n", err);
        fr_streams_config_free(cfg);
        return 1;
    }
    fr_streams_t *app = NULL;
    rc = fr_streams_new(topo, cfg, &app, err, sizeof(err));
    fr_streams_config_free(cfg);
    if (rc) {
        fprintf(stderr, "fr_streams_new: %s\n", err);
        fr_topology_free(topo);
        return 1;
    }
    fr_streams_set_state_listener(app, on_state, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if ((rc = fr_streams_start(app, err, sizeof(err))) != 0) {
        fprintf(stderr, "fr_streams_start: %s\n", err);
        fr_streams_close(app);
        fr_topology_free(topo);
        return 1;
    }
    char buf[4096];
    size_t used = 0;
    int stdin_open = 1;
    while (!g_stop) {
        struct pollfd pfd = {.fd = 0, .events = POLLIN};
        int n = stdin_open ? poll(&pfd, 1, 200) : 0;
        if (!stdin_open)
            usleep(200 * 1000);
        if (n > 0 && serve_stdin(app, buf, sizeof(buf), &used))
            break;
        if (fr_streams_await(app, 0))
            break; /* ERROR */
    }
    if (fr_streams_state(app) == FR_STREAMS_ERROR)
        fprintf(stderr, "streams_testapp: the application failed: %s\n", fr_streams_error_message(app));
    rc = fr_streams_close(app);
    fr_topology_free(topo);
    return rc ? 1 : 0;
}
