/*
 * fr_test.h — the smallest test harness that reports well.
 * Each test file is one executable: FR_TEST(name) defines a case, FR_RUN(name)
 * runs it, FR_CHECK* record failures with file:line and keep going inside a
 * case, and fr_test_done() prints "N passed, N failed" and returns the exit code.
 */
#ifndef FR_TEST_H
#define FR_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int fr_test_failures_ = 0, fr_test_passed_ = 0, fr_test_failed_ = 0;

#define FR_CHECK(cond)                                                              \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            fr_test_failures_++;                                                    \
        }                                                                           \
    } while (0)

#define FR_CHECK_EQ_INT(a, b)                                                       \
    do {                                                                            \
        long long fr_a_ = (long long)(a), fr_b_ = (long long)(b);                   \
        if (fr_a_ != fr_b_) {                                                       \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,     \
                    __LINE__, #a, #b, fr_a_, fr_b_);                                \
            fr_test_failures_++;                                                    \
        }                                                                           \
    } while (0)

#define FR_CHECK_EQ_STR(a, b)                                                       \
    do {                                                                            \
        const char *fr_a_ = (a), *fr_b_ = (b);                                      \
        if (!fr_a_ || !fr_b_ || strcmp(fr_a_, fr_b_) != 0) {                        \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,  \
                    __LINE__, #a, #b, fr_a_ ? fr_a_ : "(null)", fr_b_ ? fr_b_ : "(null)"); \
            fr_test_failures_++;                                                    \
        }                                                                           \
    } while (0)

#define FR_TEST(name) static void name(void)

#define FR_RUN(name)                                                                \
    do {                                                                            \
        int fr_before_ = fr_test_failures_;                                         \
        name();                                                                     \
        if (fr_test_failures_ == fr_before_) {                                      \
            fr_test_passed_++;                                                      \
            fprintf(stderr, "ok   %s\n", #name);                                    \
        } else {                                                                    \
            fr_test_failed_++;                                                      \
            fprintf(stderr, "FAIL %s\n", #name);                                    \
        }                                                                           \
    } while (0)

static inline int fr_test_done(void) {
    printf("%d passed, %d failed\n", fr_test_passed_, fr_test_failed_);
    return fr_test_failed_ ? 1 : 0;
}

#endif
