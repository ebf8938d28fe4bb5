#include "fr_logging.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static _Atomic int g_level = FR_LOG_INFO;

static const char *const level_names[] = {"FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

void fr_logging_set_level(fr_log_level_t level) { atomic_store_explicit(&g_level, level, memory_order_relaxed); }
fr_log_level_t fr_logging_level(void) {
    return (fr_log_level_t)atomic_load_explicit(&g_level, memory_order_relaxed);
}
const char *fr_logging_level_name(fr_log_level_t level) { return level_names[level]; }

int fr_logging_parse_level(const char *s) {
    for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void fr_logging_init_from_env(void) {
    const char *v = getenv("FR_LOG_LEVEL");
    int lvl;
    if (v && (lvl = fr_logging_parse_level(v)) >= 0)
        fr_logging_set_level((fr_log_level_t)lvl);
}

void fr_logf(fr_log_level_t level, const char *component, const char *fmt, ...) {
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "[%04d-%02d-%02d %02d:%02d:%02d,%03d] %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(tv.tv_usec / 1000), level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    n = (m < 0 || (size_t)(n + m) >= sizeof(line)) ? (int)sizeof(line) - 1 : n + m;
    if (component) {
        /* appended by hand: a truncated component is fine, a warning about it is not */
        const char *parts[] = {" (", component, ")"};
        for (int i = 0; i < 3; i++)
            for (const char *c = parts[i]; *c && n < (int)sizeof(line) - 1; c++)
                line[n++] = *c;
    }
    if (n >= (int)sizeof(line) - 1)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    /* One write per line so concurrent threads never interleave mid-line. */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}
