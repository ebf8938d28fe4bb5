/*
 * fr_hash.h — the one hash for in-memory tables (compaction's offset map,
 * fetch sessions, the streams store cache): xxHash's XXH3, 64 bits.  Not
 * for anything stored or sent: its values may change with the library.
 */
#ifndef FR_HASH_H
#define FR_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t fr_hash_bytes(const void *p, size_t n);
/* The same with a seed: a second field of a key (say a partition) mixed in without copying. */
uint64_t fr_hash_bytes_seed(const void *p, size_t n, uint64_t seed);

#endif
