#include "tool_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fr_buf.h"
#include "fr_err.h"
#include "fr_messages.h"

#define MAX_RESPONSE (100 * 1024 * 1024)
#define NKEYS (int)(sizeof(((tool_wire_t *)0)->max_version) / sizeof(int16_t))

/* Connects to host:port within timeout_ms.  Returns the socket or -1 with a message. */
static int dial(const char *host, const char *port, int timeout_ms, char *err, size_t errlen) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0)
            continue;
        int ok = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
        if (!ok && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int soerr = 0;
            socklen_t len = sizeof(soerr);
            ok = poll(&p, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
                 soerr == 0;
            if (!ok && soerr)
                errno = soerr;
            else if (!ok)
                errno = ETIMEDOUT;
        }
        if (!ok) {
            snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    return fd;
}

static int send_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n) {
    while (n) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            errno = ECONNRESET;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int16_t tool_wire_version(const tool_wire_t *w, int16_t api_key, int16_t min_wanted) {
    const fr_api_info_t *ours = fr_api_info(api_key);
    if (!ours || api_key < 0 || api_key >= NKEYS || w->max_version[api_key] < 0)
        return -1;
    int16_t v = ours->max_version < w->max_version[api_key] ? ours->max_version : w->max_version[api_key];
    int16_t lo = ours->min_version > w->min_version[api_key] ? ours->min_version : w->min_version[api_key];
    if (min_wanted > lo)
        lo = min_wanted;
    return v >= lo ? v : -1;
}

int tool_wire_call(tool_wire_t *w, int16_t api_key, int16_t version, const void *request, fr_arena_t *arena,
                   void **response, char *err, size_t errlen) {
    fr_writer_t out;
    fr_writer_init(&out);
    size_t at = fr_writer_reserve(&out, 4);
    fr_request_header_t h = {api_key, version, ++w->correlation_id, fr_slice_from_cstr("freshet-tools")};
    fr_request_header_write(&out, &h);
    if (fr_request_write_any(&out, api_key, version, request) || out.err) {
        fr_writer_free(&out);
        snprintf(err, errlen, "cannot encode request %d v%d", api_key, version);
        return -1;
    }
    fr_writer_patch_i32(&out, at, (int32_t)(out.len - 4));
    int rc = send_all(w->fd, out.buf, out.len);
    fr_writer_free(&out);
    uint8_t size_be[4];
    if (rc || recv_all(w->fd, size_be, 4)) {
        snprintf(err, errlen, "%s", errno == EAGAIN ? "Timed out waiting for a response" : strerror(errno));
        return -1;
    }
    uint32_t size = fr_be32(size_be);
    if (size > MAX_RESPONSE) {
        snprintf(err, errlen, "response of %u bytes is too large", size);
        return -1;
    }
    uint8_t *body = fr_arena_alloc(arena, size ? size : 1);
    if (!body || recv_all(w->fd, body, size)) {
        snprintf(err, errlen, "%s", !body ? "out of memory" : errno == EAGAIN ? "Timed out waiting for a response"
                                                                              : strerror(errno));
        return -1;
    }
    fr_reader_t r;
    fr_reader_init(&r, body, size);
    int32_t corr;
    if (fr_response_header_read(&r, api_key, version, &corr) || corr != w->correlation_id ||
        fr_response_read_any(&r, api_key, version, arena, response)) {
        snprintf(err, errlen, "unreadable response to request %d v%d", api_key, version);
        return -1;
    }
    return 0;
}

static int ask_api_versions(tool_wire_t *w, char *err, size_t errlen) {
    fr_arena_t arena;
    fr_arena_init(&arena, 4096);
    fr_api_versions_request_t req;
    fr_api_versions_request_init(&req);
    fr_api_versions_response_t *resp = NULL;
    int rc = tool_wire_call(w, FR_API_API_VERSIONS, 0, &req, &arena, (void **)&resp, err, errlen);
    if (!rc && resp->error_code) {
        snprintf(err, errlen, "ApiVersions failed: %s", fr_err_str(resp->error_code));
        rc = -1;
    }
    for (int32_t i = 0; !rc && i < resp->api_keys_count; i++) {
        const fr_api_versions_response_api_version_t *a = &resp->api_keys[i];
        if (a->api_key >= 0 && a->api_key < NKEYS) {
            w->min_version[a->api_key] = a->min_version;
            w->max_version[a->api_key] = a->max_version;
        }
    }
    fr_arena_free(&arena);
    return rc;
}

int tool_wire_connect(tool_wire_t *w, const char *bootstrap, int timeout_ms, char *err, size_t errlen) {
    memset(w, 0, sizeof(*w));
    w->fd = -1;
    w->timeout_ms = timeout_ms;
    for (int i = 0; i < NKEYS; i++)
        w->min_version[i] = w->max_version[i] = -1;
    snprintf(err, errlen, "no bootstrap server given");
    for (const char *p = bootstrap; p && *p && w->fd < 0;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char entry[512], *host = entry, *port;
        snprintf(entry, sizeof(entry), "%.*s", (int)(n < sizeof(entry) ? n : sizeof(entry) - 1), p);
        while (*host == ' ')
            host++;
        for (size_t l = strlen(host); l && host[l - 1] == ' '; l--)
            host[l - 1] = '\0';
        char *colon = strrchr(host, ':');
        if (colon && colon != host) {
            *colon = '\0';
            port = colon + 1;
            size_t hl = strlen(host);
            if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
                host[hl - 1] = '\0';
                host++;
            }
            w->fd = dial(host, port, timeout_ms, err, errlen);
        } else if (*host) {
            snprintf(err, errlen, "Invalid url in bootstrap.servers: %s", host);
        }
        p = comma ? comma + 1 : NULL;
    }
    if (w->fd < 0)
        return -1;
    if (ask_api_versions(w, err, errlen)) {
        tool_wire_close(w);
        return -1;
    }
    return 0;
}

void tool_wire_close(tool_wire_t *w) {
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}
