#include "fr_hash.h"

#include <xxhash.h>

uint64_t fr_hash_bytes(const void *p, size_t n) { return XXH3_64bits(p, n); }

uint64_t fr_hash_bytes_seed(const void *p, size_t n, uint64_t seed) { return XXH3_64bits_withSeed(p, n, seed); }
