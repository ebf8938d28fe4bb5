/*
 * Java .properties text (common/fr_props.h) from arbitrary bytes: the parser
 * must never read past len nor leak, on success or on error, and whatever it
 * accepts must survive fr_props_store + fr_props_load unchanged (the store
 * contract: "fr_props_load reads back exactly the same strings").  Every key
 * is then found by fr_props_get, removed by fr_props_unset, and the input
 * (without its NULs) goes through fr_props_set_kv as the --override form.
 *
 * The round trip writes one small file per input; it lives in /dev/shm when
 * that exists, so the fsyncs cost nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_props.h"

static char g_path[64];

static void cleanup(void) {
    if (g_path[0])
        unlink(g_path);
}

static const char *store_path(void) {
    if (!g_path[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(g_path, sizeof g_path, "%s/fuzz-props-%ld.properties", dir, (long)getpid());
        atexit(cleanup);
    }
    return g_path;
}

static void check_same(const fr_props_t *a, const fr_props_t *b) {
    if (a->count != b->count)
        abort();
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i].key, b->items[i].key) || strcmp(a->items[i].value, b->items[i].value))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *copy = malloc(size ? size : 1); /* exact size, so ASan sees any over-read */
    memcpy(copy, data, size);
    char err[256] = "";
    fr_props_t p;
    fr_props_init(&p);
    int rc = fr_props_parse(&p, copy, size, err, sizeof err);
    if (rc != 0 && rc != FR_ERR_CONFIG && rc != FR_ERR_NOMEM)
        abort();
    if (rc == 0) {
        /* Keys are unique (a later duplicate replaces the earlier one), and get sees each. */
        for (size_t i = 0; i < p.count; i++) {
            if (!p.items[i].key || !p.items[i].value || p.items[i].line < 1)
                abort();
            if (fr_props_get(&p, p.items[i].key) != p.items[i].value)
                abort();
        }
        /* store then load: the same keys and values, in the same order. */
        const char *comment = p.count ? p.items[0].value : NULL;
        if (fr_props_store(&p, store_path(), comment, err, sizeof err) == 0) {
            fr_props_t q;
            fr_props_init(&q);
            if (fr_props_load(&q, store_path(), err, sizeof err) != 0)
                abort();
            check_same(&p, &q);
            fr_props_free(&q);
        }
        while (p.count) {
            char *k = strdup(p.items[p.count - 1].key);
            if (fr_props_unset(&p, k) != 1 || fr_props_get(&p, k) || fr_props_unset(&p, k) != 0)
                abort();
            free(k);
        }
    }
    fr_props_free(&p);

    /* The --override form: "key=value" as a C string. */
    char *kv = malloc(size + 1);
    size_t n = 0;
    for (size_t i = 0; i < size; i++)
        if (data[i])
            kv[n++] = (char)data[i];
    kv[n] = '\0';
    fr_props_init(&p);
    rc = fr_props_set_kv(&p, kv, err, sizeof err);
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        if (rc != FR_ERR_CONFIG || p.count)
            abort();
    } else if (rc == 0) {
        char *k = strndup(kv, (size_t)(eq - kv));
        const char *v = fr_props_get(&p, k);
        if (p.count != 1 || !v || strcmp(v, eq + 1))
            abort();
        free(k);
    }
    fr_props_free(&p);
    free(kv);
    free(copy);
    return 0;
}
