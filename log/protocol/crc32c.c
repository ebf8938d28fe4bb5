/*
 * crc32c.c — CRC-32C on top of ISA-L.
 *
 * ISA-L's crc32_iscsi(buf, len, init) applies neither the initial nor the
 * final inversion of the standard CRC-32C: it returns the raw register.  So the
 * standard value is ~crc32_iscsi(buf, len, ~previous), starting from
 * previous = 0.  tests/unit/test_crc32c.c pins this against the known vectors.
 * Its length argument is an int, so big inputs go in slices.
 */
#include "crc32c.h"

#include <limits.h>

#include <isa-l/crc.h>

#define CRC_SLICE (1u << 30)

uint32_t fr_crc32c_extend(uint32_t crc, const void *p, size_t n) {
    unsigned char *b = (unsigned char *)(uintptr_t)p; /* ISA-L takes a non-const pointer */
    uint32_t reg = ~crc;

    while (n > 0) {
        size_t chunk = n < CRC_SLICE ? n : CRC_SLICE;
        reg = crc32_iscsi(b, (int)chunk, reg);
        b += chunk;
        n -= chunk;
    }
    return ~reg;
}

uint32_t fr_crc32c(const void *p, size_t n) {
    return fr_crc32c_extend(0, p, n);
}
