/*
 * fr_time.h — saturating arithmetic on record timestamps and durations
 * (internal).  A record may carry any timestamp up to INT64_MAX, and window
 * sizes and grace periods are user input; a window bound past the end of
 * time is the end of time, as Kafka's windowed deserializers clamp it.
 */
#ifndef FR_TIME_H
#define FR_TIME_H

#include <stdint.h>

static inline int64_t fr_time_add(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static inline int64_t fr_time_sub(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

#endif
