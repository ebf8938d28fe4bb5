/*
 * fr_partition.c — Kafka's default partitioner: murmur2 of the key bytes,
 * made positive, modulo the partition count (Utils.murmur2 / toPositive), so
 * a keyed record lands where a Java producer would put it.
 */
#include "fr_graph.h"

int32_t fr_murmur2(const uint8_t *data, size_t len) {
    const uint32_t seed = 0x9747b28cu, m = 0x5bd1e995u;
    const int r = 24;
    uint32_t h = seed ^ (uint32_t)len;
    size_t n4 = len / 4;
    for (size_t i = 0; i < n4; i++) {
        size_t i4 = i * 4;
        uint32_t k = (uint32_t)data[i4] | ((uint32_t)data[i4 + 1] << 8) | ((uint32_t)data[i4 + 2] << 16) |
                     ((uint32_t)data[i4 + 3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (len % 4) {
    case 3:
        h ^= (uint32_t)data[(len & ~(size_t)3) + 2] << 16;
        /* fallthrough */
    case 2:
        h ^= (uint32_t)data[(len & ~(size_t)3) + 1] << 8;
        /* fallthrough */
    case 1:
        h ^= (uint32_t)data[len & ~(size_t)3];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t fr_default_partition(fr_slice_t key, int32_t partitions) {
    if (partitions <= 1 || fr_slice_is_null(key))
        return 0;
    uint32_t h = (uint32_t)fr_murmur2(key.ptr, (size_t)key.len) & 0x7fffffffu;
    return (int32_t)(h % (uint32_t)partitions);
}
