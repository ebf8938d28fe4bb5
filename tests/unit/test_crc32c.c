/* CRC-32C: known vectors (RFC 3720 B.4, the "123456789" check value) and the
 * incremental form. */
#include <stdlib.h>

#include "crc32c.h"
#include "fr_test.h"

FR_TEST(check_value) {
    FR_CHECK_EQ_INT(fr_crc32c("123456789", 9), 0xE3069283u);
    FR_CHECK_EQ_INT(fr_crc32c("", 0), 0);
    FR_CHECK_EQ_INT(fr_crc32c(NULL, 0), 0);
    FR_CHECK_EQ_INT(fr_crc32c("a", 1), 0xC1D04330u);
}

/* RFC 3720 appendix B.4 iSCSI test vectors. */
FR_TEST(rfc3720_vectors) {
    uint8_t buf[48];
    memset(buf, 0, 32);
    FR_CHECK_EQ_INT(fr_crc32c(buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    FR_CHECK_EQ_INT(fr_crc32c(buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    FR_CHECK_EQ_INT(fr_crc32c(buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    FR_CHECK_EQ_INT(fr_crc32c(buf, 32), 0x113FDB5Cu);
    static const uint8_t scsi_read[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
        0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    FR_CHECK_EQ_INT(fr_crc32c(scsi_read, sizeof(scsi_read)), 0xD9963A56u);
}

/* Compare against a bitwise reference on odd lengths and alignments (the
 * accelerated paths handle heads and tails separately). */
static uint32_t crc_reference(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return ~c;
}

FR_TEST(matches_reference_and_extends) {
    size_t n = 5000;
    uint8_t *buf = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 9; off++)
        for (size_t len = 0; len + off <= n; len += 1 + len / 3)
            if (fr_crc32c(buf + off, len) != crc_reference(buf + off, len)) {
                FR_CHECK_EQ_INT(fr_crc32c(buf + off, len), crc_reference(buf + off, len));
                off = 9;
                break;
            }
    for (size_t cut = 0; cut <= 300; cut += 7) {
        uint32_t c = fr_crc32c_extend(0, buf, cut);
        c = fr_crc32c_extend(c, buf + cut, 300 - cut);
        FR_CHECK_EQ_INT(c, fr_crc32c(buf, 300));
    }
    free(buf);
}

int main(void) {
    FR_RUN(check_value);
    FR_RUN(rfc3720_vectors);
    FR_RUN(matches_reference_and_extends);
    return fr_test_done();
}
