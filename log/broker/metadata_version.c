#include "metadata_version.h"

#include <stddef.h>
#include <string.h>

/* Kafka 3.9's MetadataVersion values, then the releases it also takes alone
 * (those of production versions, so 4.0 only with its sub-version). */
static const char *const versions[] = {
    "0.8.0", "0.8.1", "0.8.2", "0.9.0",
    "0.10.0-IV0", "0.10.0-IV1", "0.10.1-IV0", "0.10.1-IV1", "0.10.1-IV2", "0.10.2-IV0",
    "0.11.0-IV0", "0.11.0-IV1", "0.11.0-IV2", "1.0-IV0", "1.1-IV0",
    "2.0-IV0", "2.0-IV1", "2.1-IV0", "2.1-IV1", "2.1-IV2", "2.2-IV0", "2.2-IV1", "2.3-IV0", "2.3-IV1",
    "2.4-IV0", "2.4-IV1", "2.5-IV0", "2.6-IV0", "2.7-IV0", "2.7-IV1", "2.7-IV2", "2.8-IV0", "2.8-IV1",
    "3.0-IV0", "3.0-IV1", "3.1-IV0", "3.2-IV0", "3.3-IV0", "3.3-IV1", "3.3-IV2", "3.3-IV3", "3.4-IV0",
    "3.5-IV0", "3.5-IV1", "3.5-IV2", "3.6-IV0", "3.6-IV1", "3.6-IV2",
    "3.7-IV0", "3.7-IV1", "3.7-IV2", "3.7-IV3", "3.7-IV4", "3.8-IV0", "3.9-IV0", "4.0-IV0", "4.0-IV1",
    "0.10.0", "0.10.1", "0.10.2", "0.11.0", "1.0", "1.1", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5",
    "2.6", "2.7", "2.8", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9",
};

int fr_metadata_version_valid(const char *s) {
    /* Kafka looks up the first three dot-separated parts of a 0.x version and
     * the first two of any other, or the whole string when it has no more
     * parts than that.  Parts are counted as Java's split counts them: empty
     * ones at the end do not count. */
    size_t len = strlen(s), end = len;
    while (end > 0 && s[end - 1] == '.')
        end--;
    size_t parts = 1;
    for (size_t i = 0; i < end; i++)
        parts += s[i] == '.';
    size_t want = strncmp(s, "0.", 2) == 0 ? 3 : 2, key_len = len;
    if (end > 0 && parts > want) {
        size_t dots = 0;
        for (key_len = 0; key_len < len; key_len++)
            if (s[key_len] == '.' && ++dots == want)
                break;
    }
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
        if (strlen(versions[i]) == key_len && strncmp(versions[i], s, key_len) == 0)
            return 1;
    return 0;
}
