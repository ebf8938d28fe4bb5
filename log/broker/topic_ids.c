/*
 * topic_ids.c — finding a topic by its id.  The registry is sorted by name;
 * requests that name topics by id (Fetch v13+, Metadata v10+, DeleteTopics
 * v6+) would otherwise walk it once per topic they name.  The table beside
 * it is rebuilt at the first lookup after a topic came or went, which is
 * rare next to the lookups.
 */
#include <stdlib.h>
#include <string.h>

#include "fr_hash.h"
#include "topics.h"

static const uint8_t zero_id[16];

static int rebuild(fr_topics_t *t) {
    size_t slots = 16;
    while (slots < 2 * t->count)
        slots *= 2;
    fr_topic_t **table = calloc(slots, sizeof(*table));
    if (!table)
        return -1;
    for (size_t i = 0; i < t->count; i++) {
        size_t at = (size_t)fr_hash_bytes(t->items[i]->id, 16) & (slots - 1);
        while (table[at])
            at = (at + 1) & (slots - 1);
        table[at] = t->items[i];
    }
    free(t->id_table);
    t->id_table = table;
    t->id_slots = slots;
    t->id_stale = 0;
    return 0;
}

fr_topic_t *fr_topics_find_id(fr_topics_t *t, const uint8_t id[16]) {
    if (memcmp(id, zero_id, 16) == 0)
        return NULL;
    if ((t->id_stale || !t->id_table) && rebuild(t) != 0) {
        for (size_t i = 0; i < t->count; i++) /* no memory for the table: the walk still answers */
            if (memcmp(t->items[i]->id, id, 16) == 0)
                return t->items[i];
        return NULL;
    }
    for (size_t at = (size_t)fr_hash_bytes(id, 16) & (t->id_slots - 1); t->id_table[at];
         at = (at + 1) & (t->id_slots - 1))
        if (memcmp(t->id_table[at]->id, id, 16) == 0)
            return t->id_table[at];
    return NULL;
}
