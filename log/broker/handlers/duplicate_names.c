/*
 * Which entries of a request name the same thing twice.  Kafka's handlers
 * gather a request's names in hash sets and maps and answer repeats once
 * (CreateTopics, CreatePartitions and DeleteTopics: INVALID_REQUEST
 * "Duplicate topic name."; ListOffsets: INVALID_REQUEST per partition;
 * DeleteRecords: the last offset given; AlterConfigs and
 * IncrementalAlterConfigs: INVALID_REQUEST for every entry of a repeated
 * resource); a sort does the same here without
 * a pairwise scan, which a request of many names would make quadratic.
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"

/* A name with what qualifies it (a partition, a resource type) in front, as
 * one name, from the arena; a null slice when out of memory. */
static fr_slice_t qualified_key(fr_req_t *req, const void *qualifier, size_t qlen, fr_slice_t name) {
    size_t len = name.len > 0 ? (size_t)name.len : 0;
    uint8_t *key = fr_arena_calloc(req->arena, 1, len + qlen);
    if (!key)
        return FR_SLICE_NULL;
    memcpy(key, qualifier, qlen);
    if (len)
        memcpy(key + qlen, name.ptr, len);
    return (fr_slice_t){key, (int32_t)(len + qlen)};
}

typedef struct named {
    fr_slice_t name;
    int32_t index;
} named_t;

static int by_name_then_index(const void *a, const void *b) {
    const named_t *x = a, *y = b;
    int c = fr_slice_cmp(x->name, y->name);
    if (c == 0)
        c = x->index < y->index ? -1 : x->index > y->index;
    return c;
}

static int same_name(const named_t *a, const named_t *b) {
    return a->name.len == b->name.len &&
           (a->name.len <= 0 || memcmp(a->name.ptr, b->name.ptr, (size_t)a->name.len) == 0);
}

uint8_t *fr_req_mark_duplicate_names(fr_req_t *req, const void *items, int32_t n, size_t stride, size_t name_off,
                                     int keep_last) {
    uint8_t *marks = FR_REQ_ARRAY(req, uint8_t, n);
    named_t *sorted = FR_REQ_ARRAY(req, named_t, n);
    if (!marks || !sorted)
        return NULL;
    for (int32_t i = 0; i < n; i++) {
        memcpy(&sorted[i].name, (const uint8_t *)items + (size_t)i * stride + name_off, sizeof(fr_slice_t));
        sorted[i].index = i;
    }
    if (n > 1)
        qsort(sorted, (size_t)n, sizeof(*sorted), by_name_then_index);
    for (int32_t i = 0; i < n;) {
        int32_t j = i + 1;
        while (j < n && same_name(&sorted[i], &sorted[j]))
            j++;
        if (j - i > 1) {
            for (int32_t k = i; k < j; k++)
                marks[sorted[k].index] = FR_NAME_REPEAT;
            /* the sort's tie-break puts a group's lowest index first, its highest last */
            marks[sorted[keep_last ? j - 1 : i].index] = FR_NAME_KEPT;
        }
        i = j;
    }
    return marks;
}

uint8_t *fr_req_mark_duplicate_partitions(fr_req_t *req, const void *topics, int32_t ntopics,
                                          const fr_partition_layout_t *l, int keep_last, int32_t *n) {
    const uint8_t *t = topics;
    int32_t total = 0, count;
    for (int32_t i = 0; i < ntopics; i++) {
        memcpy(&count, t + (size_t)i * l->topic_size + l->count_off, sizeof(count));
        total += count > 0 ? count : 0;
    }
    *n = total;
    if (total <= 1) /* the common produce: one partition, nothing to compare */
        return FR_REQ_ARRAY(req, uint8_t, total);
    fr_slice_t *keys = FR_REQ_ARRAY(req, fr_slice_t, total);
    if (!keys)
        return NULL;
    int32_t k = 0;
    for (int32_t i = 0; i < ntopics; i++) {
        const uint8_t *topic = t + (size_t)i * l->topic_size;
        fr_slice_t name;
        const uint8_t *parts;
        memcpy(&name, topic + l->name_off, sizeof(name));
        memcpy(&parts, topic + l->parts_off, sizeof(parts));
        memcpy(&count, topic + l->count_off, sizeof(count));
        for (int32_t j = 0; j < count; j++, k++) {
            int32_t index;
            memcpy(&index, parts + (size_t)j * l->part_size + l->index_off, sizeof(index));
            if (fr_slice_is_null(keys[k] = qualified_key(req, &index, sizeof(index), name)))
                return NULL;
        }
    }
    return fr_req_mark_duplicate_names(req, keys, total, sizeof(*keys), 0, keep_last);
}

uint8_t *fr_req_mark_duplicate_resources(fr_req_t *req, const void *resources, int32_t n, size_t stride,
                                         size_t type_off, size_t name_off) {
    if (n <= 1)
        return FR_REQ_ARRAY(req, uint8_t, n);
    fr_slice_t *keys = FR_REQ_ARRAY(req, fr_slice_t, n);
    if (!keys)
        return NULL;
    for (int32_t i = 0; i < n; i++) {
        const uint8_t *res = (const uint8_t *)resources + (size_t)i * stride;
        int8_t type;
        fr_slice_t name;
        memcpy(&type, res + type_off, sizeof(type));
        memcpy(&name, res + name_off, sizeof(name));
        if (fr_slice_is_null(keys[i] = qualified_key(req, &type, sizeof(type), name)))
            return NULL;
    }
    return fr_req_mark_duplicate_names(req, keys, n, sizeof(*keys), 0, 0);
}
