/*
 * Kafka's offset checkpoint files (offset_checkpoint.h) from arbitrary
 * bytes: the parser must never read out of bounds, and whatever it accepts
 * must format back into text that parses to the same entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fr_err.h"
#include "offset_checkpoint.h"

typedef struct collected {
    fr_offset_checkpoint_entry_t *e;
    char **names;
    size_t n, cap;
} collected_t;

static int collect(void *ctx, const char *topic, int32_t partition, int64_t offset) {
    collected_t *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->e = realloc(c->e, c->cap * sizeof(*c->e));
        c->names = realloc(c->names, c->cap * sizeof(*c->names));
    }
    c->names[c->n] = strdup(topic);
    c->e[c->n] = (fr_offset_checkpoint_entry_t){c->names[c->n], partition, offset};
    c->n++;
    return 0;
}

static void release(collected_t *c) {
    for (size_t i = 0; i < c->n; i++)
        free(c->names[i]);
    free(c->names);
    free(c->e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *copy = malloc(size ? size : 1); /* exact size, so ASan sees any over-read */
    memcpy(copy, data, size);
    collected_t a = {0}, b = {0};
    char err[256];
    if (fr_offset_checkpoint_parse(copy, size, collect, &a, err, sizeof(err)) == 0) {
        char *text;
        size_t len;
        if (fr_offset_checkpoint_format(a.e, a.n, &text, &len) == 0) {
            int rc = fr_offset_checkpoint_parse(text, len, collect, &b, err, sizeof(err));
            /* topics with spaces cannot be in an accepted file: the first space splits the line */
            if (rc != 0 || b.n != a.n)
                abort();
            for (size_t i = 0; i < a.n; i++)
                if (strcmp(a.e[i].topic, b.e[i].topic) || a.e[i].partition != b.e[i].partition ||
                    a.e[i].offset != b.e[i].offset)
                    abort();
            free(text);
        }
    }
    release(&a);
    release(&b);
    free(copy);
    return 0;
}
