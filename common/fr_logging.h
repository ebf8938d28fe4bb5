/*
 * fr_logging.h — the one logging module.
 *
 * Lines go to stderr in Kafka's log4j shape:
 *   [2026-11-21 10:00:00,123] INFO message (component)
 * The level is process-wide: set at start (FR_LOG_LEVEL env or
 * fr_logging_set_level()), and by a broker at runtime for its "root" logger;
 * logging is thread-safe (one write(2) per line).
 */
#ifndef FR_LOGGING_H
#define FR_LOGGING_H

/* log4j's levels.  FATAL as the level prints nothing: Freshet logs no fatal
 * messages (a library never ends the process). */
typedef enum fr_log_level {
    FR_LOG_FATAL = 0,
    FR_LOG_ERROR = 1,
    FR_LOG_WARN = 2,
    FR_LOG_INFO = 3,
    FR_LOG_DEBUG = 4,
    FR_LOG_TRACE = 5,
} fr_log_level_t;

/* The level may change while other threads log (a broker's loggers are
 * altered at runtime); each line is logged or not as a whole. */
void fr_logging_set_level(fr_log_level_t level);
fr_log_level_t fr_logging_level(void);
/* Parses "FATAL", "error", "Warn", ...; returns -1 when unknown. */
int fr_logging_parse_level(const char *s);
/* "FATAL" .. "TRACE" (a static string). */
const char *fr_logging_level_name(fr_log_level_t level);
/* Reads FR_LOG_LEVEL from the environment, if set. */
void fr_logging_init_from_env(void);

void fr_logf(fr_log_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define fr_log_enabled(lvl) ((lvl) <= fr_logging_level())
#define FR_LOG_(lvl, comp, ...)                                              \
    do {                                                                     \
        if (fr_log_enabled(lvl))                                             \
            fr_logf(lvl, comp, __VA_ARGS__);                                 \
    } while (0)
#define fr_error(comp, ...) FR_LOG_(FR_LOG_ERROR, comp, __VA_ARGS__)
#define fr_warn(comp, ...)  FR_LOG_(FR_LOG_WARN, comp, __VA_ARGS__)
#define fr_info(comp, ...)  FR_LOG_(FR_LOG_INFO, comp, __VA_ARGS__)
#define fr_debug(comp, ...) FR_LOG_(FR_LOG_DEBUG, comp, __VA_ARGS__)
#define fr_trace(comp, ...) FR_LOG_(FR_LOG_TRACE, comp, __VA_ARGS__)

#endif
