#include "tool_groups_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_args.h"

/* Reads exactly n digits at *p into *out and advances *p.  Returns false otherwise. */
static bool read_digits(const char **p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int tool_parse_datetime(const char *s, int64_t *ms, char *err, size_t errlen) {
    const char *t = strchr(s, 'T');
    if (!t || t[1] == '\0') {
        snprintf(err, errlen, "%s",
                 t ? "Error parsing timestamp. Time part after 'T' is null or empty"
                   : "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format");
        return -1;
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h, mi, sec, frac = 0, tz = 0;
    bool ok = read_digits(&p, 4, &y) && *p++ == '-' && read_digits(&p, 2, &mo) && *p++ == '-' &&
              read_digits(&p, 2, &d) && *p++ == 'T' && read_digits(&p, 2, &h) && *p++ == ':' &&
              read_digits(&p, 2, &mi) && *p++ == ':' && read_digits(&p, 2, &sec) && *p++ == '.';
    int nfrac = 0;
    while (ok && nfrac < 3 && isdigit((unsigned char)*p)) {
        frac = frac * 10 + (*p++ - '0');
        nfrac++;
    }
    ok = ok && nfrac > 0;
    if (ok && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1, th, tm = 0;
        ok = read_digits(&p, 2, &th);
        if (ok && *p == ':')
            ok = (p++, read_digits(&p, 2, &tm));
        else if (ok && *p)
            ok = read_digits(&p, 2, &tm);
        ok = ok && th <= 23 && tm <= 59;
        tz = sign * (th * 60 + tm);
    } else if (ok && *p == 'Z') {
        p++;
    }
    ok = ok && *p == '\0' && mo >= 1 && mo <= 12 && d >= 1 &&
         d <= mdays[mo - 1] + (mo == 2 && leap(y)) && h <= 23 && mi <= 59 && sec <= 59;
    if (!ok) {
        snprintf(err, errlen, "Unparseable date: \"%s\"", s);
        return -1;
    }
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - (int64_t)tz * 60;
    *ms = secs * 1000 + frac;
    return 0;
}

/* A signed decimal number at *p (at least one digit); advances *p.  Returns false on overflow too. */
static bool read_signed(const char **p, int64_t *out) {
    const char *s = *p;
    if (*s == '+' || *s == '-')
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    if (errno)
        return false;
    *p = end;
    *out = v;
    return true;
}

int tool_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen) {
    const char *p = s;
    int64_t sign = 1, total = 0, v;
    bool any = false, ok = true;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (toupper((unsigned char)*p++) != 'P')
        goto bad;
    const char *save = p;
    if (read_signed(&p, &v) && toupper((unsigned char)*p) == 'D') {
        total += v * 86400000;
        any = true;
        p++;
    } else {
        p = save;
    }
    if (toupper((unsigned char)*p) == 'T') {
        p++;
        bool any_time = false;
        static const struct {
            char unit;
            int64_t ms;
        } units[] = {{'H', 3600000}, {'M', 60000}};
        for (size_t u = 0; u < 2; u++) {
            save = p;
            if (read_signed(&p, &v) && toupper((unsigned char)*p) == units[u].unit) {
                total += v * units[u].ms;
                any_time = true;
                p++;
            } else {
                p = save;
            }
        }
        save = p;
        bool neg = *p == '-';
        if (read_signed(&p, &v)) {
            int64_t frac_ms = 0;
            if (*p == '.' || *p == ',') {
                p++;
                int n = 0;
                for (; isdigit((unsigned char)*p) && n < 9; p++, n++)
                    if (n < 3)
                        frac_ms += (*p - '0') * (n == 0 ? 100 : n == 1 ? 10 : 1);
            }
            if (toupper((unsigned char)*p) == 'S') {
                total += v * 1000 + (neg ? -frac_ms : frac_ms);
                any_time = true;
                p++;
            } else {
                p = save;
            }
        }
        ok = any_time;
        any |= any_time;
    }
    if (ok && any && *p == '\0') {
        *ms = sign * total;
        return 0;
    }
bad:
    snprintf(err, errlen, "Text cannot be parsed to a Duration");
    return -1;
}

size_t tool_count_partitions(const char *arg) {
    const char *colon = strchr(arg, ':');
    size_t n = colon ? 1 : 0;
    for (const char *p = colon; p && *p; p++)
        n += *p == ',';
    return n;
}

int tool_parse_topic_partitions(const char *arg, size_t *topic_len, int32_t *parts, size_t cap,
                                size_t *nparts, char *err, size_t errlen) {
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || strchr(colon + 1, ':') || colon[1] == '\0') {
        snprintf(err, errlen, "Invalid topic arg '%s', expected topic name and partitions", arg);
        return -1;
    }
    *topic_len = (size_t)(colon - arg);
    *nparts = 0;
    const char *p = colon + 1;
    while (*p) {
        size_t len = strcspn(p, ",");
        char num[32];
        int64_t v;
        snprintf(num, sizeof(num), "%.*s", (int)(len < sizeof(num) - 1 ? len : sizeof(num) - 1), p);
        if (len >= sizeof(num) || tool_parse_i64(num, INT32_MIN, INT32_MAX, &v) != 0 || *nparts >= cap) {
            snprintf(err, errlen, "Invalid partition '%.*s' specified in topic arg '%s''", (int)len, p, arg);
            return -1;
        }
        parts[(*nparts)++] = (int32_t)v;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

int tool_parse_plan_line(char *line, char **group, char **topic, int32_t *partition,
                         int64_t *offset, char *err, size_t errlen) {
    char *f[5];
    int n = 0;
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        line[--len] = '\0';
    char shown[256];
    snprintf(shown, sizeof(shown), "%s", line);
    for (char *p = line; n < 5; n++) {
        f[n] = p;
        char *comma = strchr(p, ',');
        if (!comma) {
            n++;
            break;
        }
        *comma = '\0';
        p = comma + 1;
    }
    int64_t part;
    if ((n != 3 && n != 4) || tool_parse_i64(f[n - 2], 0, INT32_MAX, &part) != 0 ||
        tool_parse_i64(f[n - 1], INT64_MIN, INT64_MAX, offset) != 0 || !*f[n - 3]) {
        snprintf(err, errlen, "Invalid reset plan line '%s': expected [group,]topic,partition,offset", shown);
        return -1;
    }
    *group = n == 4 ? f[0] : NULL;
    *topic = f[n - 3];
    *partition = (int32_t)part;
    return 0;
}
