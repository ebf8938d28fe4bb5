#include "fr_err.h"

#include <stdarg.h>
#include <stdio.h>

const char *fr_err_str(int err) {
    switch (err) {
#define FR_ERR_STR_(name, code, msg) case code: return msg;
        FR_KAFKA_ERRORS(FR_ERR_STR_)
        FR_INTERNAL_ERRORS(FR_ERR_STR_)
#undef FR_ERR_STR_
    }
    return "unknown error";
}

const char *fr_err_name(int err) {
    switch (err) {
#define FR_ERR_NAME_(name, code, msg) case code: return #name;
        FR_KAFKA_ERRORS(FR_ERR_NAME_)
        FR_INTERNAL_ERRORS(FR_ERR_NAME_)
#undef FR_ERR_NAME_
    }
    return "UNKNOWN";
}

int16_t fr_err_to_kafka(int err) {
    if (err >= -1)
        return (int16_t)err;
    switch (err) {
    case FR_ERR_PARSE: return FR_ERR_INVALID_REQUEST;
    case FR_ERR_CORRUPT: return FR_ERR_CORRUPT_MESSAGE;
    case FR_ERR_IO: return FR_ERR_KAFKA_STORAGE_ERROR;
    case FR_ERR_CONFIG: return FR_ERR_INVALID_CONFIG;
    case FR_ERR_NOT_FOUND: return FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    case FR_ERR_EXISTS: return FR_ERR_TOPIC_ALREADY_EXISTS;
    case FR_ERR_INVALID_ARG: return FR_ERR_INVALID_REQUEST;
    default: return FR_ERR_UNKNOWN_SERVER_ERROR;
    }
}

void fr_errorf(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
