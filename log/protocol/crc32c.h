/*
 * crc32c.h — CRC-32C (Castagnoli), the checksum of Kafka's magic-v2 record
 * batches.
 *
 * Standard CRC-32C: reflected polynomial 0x82F63B78, initial value and final
 * XOR 0xFFFFFFFF; the check value of "123456789" is 0xE3069283.  The work is
 * done by Intel ISA-L (crc32_iscsi), which picks a hardware-accelerated
 * implementation at run time and falls back to a portable table-driven one.
 */
#ifndef FR_CRC32C_H
#define FR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of n bytes at p (p may be NULL when n == 0). */
uint32_t fr_crc32c(const void *p, size_t n);

/*
 * Incremental form: crc = fr_crc32c_extend(0, a, na); crc =
 * fr_crc32c_extend(crc, b, nb) equals fr_crc32c() of a followed by b.
 * Start from 0 (the CRC of nothing).
 */
uint32_t fr_crc32c_extend(uint32_t crc, const void *p, size_t n);

#endif
