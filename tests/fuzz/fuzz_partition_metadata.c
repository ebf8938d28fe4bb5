/*
 * partition.metadata (topic_files.h) from arbitrary bytes: the parser must
 * never read out of bounds, must not accept Kafka's zero id, and an id it
 * accepts must write back (as the broker writes the file) into text that
 * parses to the same id.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topic_files.h"
#include "topics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *copy = malloc(size ? size : 1); /* exact size, so ASan sees any over-read */
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    uint8_t id[16], again[16];
    static const uint8_t zero[16];
    if (fr_topic_id_parse(copy, size, id) == 0) {
        if (memcmp(id, zero, 16) == 0)
            abort();
        char ids[23], text[64];
        fr_uuid_to_string(id, ids);
        int n = snprintf(text, sizeof(text), "version: 0\ntopic_id: %s\n", ids);
        if (fr_topic_id_parse(text, (size_t)n, again) != 0 || memcmp(id, again, 16) != 0)
            abort();
    }
    free(copy);
    return 0;
}
