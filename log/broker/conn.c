/*
 * conn.c — one client connection: frame reading, request dispatch, and the
 * output queue.
 *
 * Input: bytes accumulate in rbuf; a frame is a 4-byte big-endian size and a
 * body.  Sizes < 0 or > socket.request.max.bytes close the connection before
 * anything is allocated for them.  Partial frames wait for more bytes.
 *
 * Output: each response is an fr_writer_t, possibly with file ranges spliced
 * in (fetch data).  Memory parts of consecutive responses go out together
 * with writev; file ranges go out with sendfile, so fetched records are never
 * copied through user space.
 *
 * Fairness: at most READS_PER_WAKEUP reads per readiness event, and reading
 * pauses while more than OUTPUT_HIGH_WATER bytes wait to be sent.  A big
 * frame that arrives in pieces wakes the loop when it is whole or a megabyte
 * more of it has come (SO_RCVLOWAT, see conn_wait_for_frame), not per piece.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "fr_array.h"
#include "fr_err.h"
#include "fr_logging.h"

#define COMPONENT "network"
#define READS_PER_WAKEUP 32
#define OUTPUT_HIGH_WATER (16u << 20)
#define MAX_IOV 64
#define RBUF_MIN 65536
/* A connection keeps the room its requests needed (producers send similar
 * sizes again and again: shrinking and regrowing cost a third of the broker's
 * CPU in page faults); only buffers beyond this are given back when drained. */
#define RBUF_KEEP (16u << 20)
#define FREE_WRITERS 4
/* Reads stop at the end of a frame this big, so that the next frame starts at
 * the front of the buffer instead of being moved there (producers' megabyte
 * requests otherwise cost a memmove of up to a read's worth each). */
#define BIG_FRAME (64u << 10)
/* The most a connection asks the kernel to gather before waking the loop
 * (SO_RCVLOWAT) while the rest of a big frame is on its way; the kernel caps
 * it further at half the receive buffer. */
#define LOWAT_MAX (1u << 20)

typedef struct fr_outmsg {
    struct fr_outmsg *next;
    fr_writer_t w;
    size_t sent;      /* bytes of this message already sent */
} fr_outmsg_t;

struct fr_conn {
    fr_server_t *srv;
    fr_conn_t *prev, *next;     /* server's connection list */
    fr_conn_t *park_next;       /* server's parked list */
    fr_conn_t *held_next;       /* server's held_output list */
    int output_held;            /* on that list: output waits for fr_conn_send_held */
    int fd;
    uv_poll_t poll;
    int poll_events;
    int rcvlowat;               /* SO_RCVLOWAT set on fd; 0 = the kernel's default */
    int closing;
    char peer[64];
    char peer_host[64];
    int listener;               /* the cfg->listeners entry it came in on */
    /* input */
    uint8_t *rbuf;
    size_t rlen, rcap;
    size_t rpos;                /* start of unprocessed bytes */
    /* output */
    fr_outmsg_t *out_head, *out_tail;
    size_t out_bytes;           /* unsent bytes queued */
    int want_write;             /* last write hit EAGAIN */
    fr_outmsg_t *free_msgs;     /* recycled messages (keep their buffers) */
    int nfree;
    /* the request being processed (one at a time) */
    fr_req_t req;
    fr_outmsg_t *req_msg;
    int parked;
    fr_arena_t arena;
};

int64_t fr_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_update_poll(fr_conn_t *c);
static void conn_process_input(fr_conn_t *c);

/* ---------- output queue ---------- */

static fr_outmsg_t *outmsg_get(fr_conn_t *c) {
    fr_outmsg_t *m = c->free_msgs;
    if (m) {
        c->free_msgs = m->next;
        c->nfree--;
        fr_writer_reset(&m->w);
    } else {
        m = calloc(1, sizeof(*m));
        if (!m)
            return NULL;
        fr_writer_init(&m->w);
    }
    m->next = NULL;
    m->sent = 0;
    return m;
}

static void outmsg_put(fr_conn_t *c, fr_outmsg_t *m) {
    if (c->nfree < FREE_WRITERS && m->w.cap <= (1u << 20)) {
        fr_writer_reset(&m->w);
        m->next = c->free_msgs;
        c->free_msgs = m;
        c->nfree++;
    } else {
        fr_writer_free(&m->w);
        free(m);
    }
}

/* The piece of m to send next: memory (ptr,len) or a file range. */
typedef struct chunk {
    int is_file;
    const uint8_t *ptr;
    int fd;
    int64_t off;
    size_t len;
    int last;   /* this chunk runs to the end of the message */
} chunk_t;

static void outmsg_chunk(const fr_outmsg_t *m, chunk_t *ch) {
    size_t logical = 0, mprev = 0, sent = m->sent;
    for (size_t i = 0; i < m->w.nfiles; i++) {
        const fr_wfile_t *f = &m->w.files[i];
        size_t mlen = f->at - mprev;
        if (sent < logical + mlen) {
            *ch = (chunk_t){0, m->w.buf + mprev + (sent - logical), -1, 0, mlen - (sent - logical), 0};
            return;
        }
        logical += mlen;
        if (sent < logical + f->len) {
            size_t skip = sent - logical;
            int last = (i + 1 == m->w.nfiles) && f->at == m->w.len;
            *ch = (chunk_t){1, NULL, f->fd, f->offset + (int64_t)skip, f->len - skip, last};
            return;
        }
        logical += f->len;
        mprev = f->at;
    }
    *ch = (chunk_t){0, m->w.buf + mprev + (sent - logical), -1, 0, m->w.len - mprev - (sent - logical), 1};
}

static void conn_consume_output(fr_conn_t *c, size_t n) {
    c->out_bytes -= n;
    while (n > 0 && c->out_head) {
        fr_outmsg_t *m = c->out_head;
        size_t left = fr_writer_size(&m->w) - m->sent;
        if (n < left) {
            m->sent += n;
            return;
        }
        n -= left;
        c->out_head = m->next;
        if (!c->out_head)
            c->out_tail = NULL;
        outmsg_put(c, m);
    }
}

/* Writes as much queued output as the socket takes.  0, or -1 on a socket error. */
static int conn_flush_output(fr_conn_t *c) {
    c->want_write = 0;
    while (c->out_head) {
        fr_outmsg_t *m = c->out_head;
        if (fr_writer_size(&m->w) == m->sent) { /* empty message */
            conn_consume_output(c, 0);
            c->out_head = m->next;
            if (!c->out_head)
                c->out_tail = NULL;
            outmsg_put(c, m);
            continue;
        }
        chunk_t ch;
        outmsg_chunk(m, &ch);
        ssize_t w;
        if (ch.is_file) {
            off_t off = (off_t)ch.off;
            w = sendfile(c->fd, ch.fd, &off, ch.len);
            if (w == 0) {
                /* the file is shorter than promised: never send garbage, drop the client */
                fr_warn(COMPONENT, "sendfile hit end of file early for %s", c->peer);
                return -1;
            }
        } else {
            struct iovec iov[MAX_IOV];
            int n = 0;
            iov[n++] = (struct iovec){(void *)ch.ptr, ch.len};
            /* Gather following messages' leading memory while they need no sendfile first. */
            for (fr_outmsg_t *nx = ch.last ? m->next : NULL; nx && n < MAX_IOV; nx = nx->next) {
                chunk_t nc;
                outmsg_chunk(nx, &nc);
                if (nc.is_file || nc.len == 0)
                    break;
                iov[n++] = (struct iovec){(void *)nc.ptr, nc.len};
                if (!nc.last)
                    break;
            }
            w = writev(c->fd, iov, n);
        }
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c->want_write = 1;
                return 0;
            }
            if (errno == EINTR)
                continue;
            fr_debug(COMPONENT, "write to %s failed: %s", c->peer, strerror(errno));
            return -1;
        }
        conn_consume_output(c, (size_t)w);
    }
    return 0;
}

static void conn_enqueue(fr_conn_t *c, fr_outmsg_t *m) {
    c->out_bytes += fr_writer_size(&m->w);
    if (c->out_tail)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
}

/* ---------- lifecycle ---------- */

static void on_poll_closed(uv_handle_t *h) {
    fr_conn_t *c = h->data;
    close(c->fd);
    while (c->out_head) {
        fr_outmsg_t *m = c->out_head;
        c->out_head = m->next;
        fr_writer_free(&m->w);
        free(m);
    }
    while (c->free_msgs) {
        fr_outmsg_t *m = c->free_msgs;
        c->free_msgs = m->next;
        fr_writer_free(&m->w);
        free(m);
    }
    if (c->req_msg) {
        fr_writer_free(&c->req_msg->w);
        free(c->req_msg);
    }
    fr_arena_free(&c->arena);
    free(c->rbuf);
    free(c);
}

static void unpark(fr_conn_t *c) {
    if (!c->parked)
        return;
    fr_server_t *srv = c->srv;
    for (fr_conn_t **pp = &srv->parked; *pp; pp = &(*pp)->park_next) {
        if (*pp == c) {
            *pp = c->park_next;
            break;
        }
    }
    c->park_next = NULL;
    c->parked = 0;
}

static void release_held(fr_conn_t *c) {
    if (!c->output_held)
        return;
    for (fr_conn_t **pp = &c->srv->held_output; *pp; pp = &(*pp)->held_next) {
        if (*pp == c) {
            *pp = c->held_next;
            break;
        }
    }
    c->held_next = NULL;
    c->output_held = 0;
}

/*
 * A connection whose requests woke parked ones (an append, mostly, that a
 * consumer at the tail waits for) sends its own responses after those are
 * retried: the consumer's wait is the end-to-end latency, the producer's
 * acknowledgement is not.  Parked requests are still retried once per I/O
 * round (server.c, on_check), however many connections appended in it.  The
 * wakeup flag is the server's, so a connection that shares a round with
 * another's append waits too, but never past that round.
 */
static void hold_output(fr_conn_t *c) {
    if (c->output_held || !c->out_head || c->want_write || !c->srv->wakeup || !c->srv->parked)
        return;
    c->output_held = 1;
    c->held_next = c->srv->held_output;
    c->srv->held_output = c;
}

void fr_conn_send_held(fr_server_t *srv) {
    while (srv->held_output) {
        fr_conn_t *c = srv->held_output;
        srv->held_output = c->held_next;
        c->held_next = NULL;
        c->output_held = 0;
        conn_update_poll(c);
    }
}

void fr_conn_close(fr_conn_t *c, const char *why) {
    if (c->closing)
        return;
    c->closing = 1;
    fr_debug(COMPONENT, "closing connection %s: %s", c->peer, why);
    unpark(c);
    release_held(c);
    if (c->req.cleanup) { /* a parked request dies with its connection */
        c->req.cleanup(&c->req);
        c->req.cleanup = NULL;
    }
    fr_server_t *srv = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->conn_count--;
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, on_poll_closed);
}

void fr_conn_close_all(fr_server_t *srv) {
    while (srv->conns)
        fr_conn_close(srv->conns, "server shutting down");
}

/* Bytes still missing from a big frame begun at rpos; 0 when none is pending. */
static size_t big_frame_missing(const fr_conn_t *c) {
    size_t have = c->rlen - c->rpos;
    if (have < 4)
        return 0;
    size_t total = 4 + (size_t)fr_be32(c->rbuf + c->rpos);
    return total >= BIG_FRAME && have < total ? total - have : 0;
}

/*
 * While a big frame is half read, the loop is woken only once the rest of it
 * (up to LOWAT_MAX) has arrived: woken for every piece the sender's segments
 * bring, it would read a frame that cannot be handled yet in many small
 * reads, each a trip through the scheduler.  Producing 1 KiB records that
 * took 30% fewer context switches and gave 4-5% more throughput.  Back to one
 * byte as soon as no such frame is pending, or a small request would wait.
 */
static void conn_wait_for_frame(fr_conn_t *c) {
    size_t missing = big_frame_missing(c);
    int want = missing > LOWAT_MAX ? (int)LOWAT_MAX : (int)missing;
    if (want == c->rcvlowat)
        return;
    int v = want ? want : 1;
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)) == 0)
        c->rcvlowat = want;
}

static void on_poll(uv_poll_t *h, int status, int events) {
    fr_conn_t *c = h->data;
    if (c->closing)
        return;
    if (status < 0) {
        fr_conn_close(c, uv_strerror(status));
        return;
    }
    if (events & UV_WRITABLE) {
        if (conn_flush_output(c)) {
            fr_conn_close(c, "write failed");
            return;
        }
    }
    if (events & UV_READABLE) {
        for (int i = 0; i < READS_PER_WAKEUP && !c->parked && !c->closing; i++) {
            /* Grow when short of room, but never while a big frame is being read:
             * conn_process_input has already made room for all of it. */
            size_t missing = big_frame_missing(c);
            if (!missing && c->rcap - c->rlen < 4096 && FR_ARRAY_GROW(c->rbuf, c->rcap, c->rlen + 4096, RBUF_MIN)) {
                fr_conn_close(c, "out of memory");
                return;
            }
            size_t room = c->rcap - c->rlen;
            if (missing && missing < room)
                room = missing;
            ssize_t r = read(c->fd, c->rbuf + c->rlen, room);
            if (r == 0) {
                fr_conn_close(c, "peer closed");
                return;
            }
            if (r < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                if (errno == EINTR)
                    continue;
                fr_conn_close(c, strerror(errno));
                return;
            }
            c->rlen += (size_t)r;
            conn_process_input(c);
            if (c->out_bytes > OUTPUT_HIGH_WATER)
                break;
            if ((size_t)r < room)
                break; /* drained: skip the read that would only say EAGAIN (epoll is level-triggered) */
        }
    } else if (events & UV_DISCONNECT) {
        fr_conn_close(c, "peer hung up");
        return;
    }
    if (!c->closing) {
        conn_wait_for_frame(c);
        hold_output(c);
        conn_update_poll(c);
    }
}

static void conn_update_poll(fr_conn_t *c) {
    if (c->closing)
        return;
    if (c->out_head && !c->want_write && !c->output_held) {
        if (conn_flush_output(c)) {
            fr_conn_close(c, "write failed");
            return;
        }
    }
    int ev = UV_DISCONNECT;
    if (!c->parked && c->out_bytes <= OUTPUT_HIGH_WATER)
        ev |= UV_READABLE;
    if (c->want_write)
        ev |= UV_WRITABLE;
    if (ev != c->poll_events) {
        c->poll_events = ev;
        uv_poll_start(&c->poll, ev, on_poll);
    }
}

void fr_conn_accept(fr_server_t *srv, int fd, const char *peer, int listener) {
    fr_conn_t *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->srv = srv;
    c->fd = fd;
    c->listener = listener;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    snprintf(c->peer_host, sizeof(c->peer_host), "%s", peer);
    char *colon = strrchr(c->peer_host, ':');
    if (colon)
        *colon = '\0';
    fr_arena_init(&c->arena, 16384);
    if (uv_poll_init(srv->loop, &c->poll, fd)) {
        fr_arena_free(&c->arena);
        close(fd);
        free(c);
        return;
    }
    c->poll.data = c;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->conn_count++;
    fr_debug(COMPONENT, "accepted connection from %s", peer);
    conn_update_poll(c);
}

/* (broker.h) */
const fr_listener_t *fr_req_advertised(const fr_req_t *req) {
    return &req->srv->cfg->listeners.advertised[req->conn->listener];
}

/* ---------- requests ---------- */

/* Finishes the current request: patches the frame size and queues the response. */
static void conn_complete(fr_conn_t *c, int rc) {
    fr_outmsg_t *m = c->req_msg;
    c->req_msg = NULL;
    if (rc == FR_REQ_DONE && m) {
        if (m->w.err) {
            outmsg_put(c, m);
            fr_conn_close(c, "out of memory building a response");
            return;
        }
        fr_writer_patch_i32(&m->w, 0, (int32_t)(fr_writer_size(&m->w) - 4));
        conn_enqueue(c, m);
    } else if (m) {
        outmsg_put(c, m);
    }
    if (c->req.cleanup)
        c->req.cleanup(&c->req);
    fr_arena_reset(&c->arena);
    memset(&c->req, 0, sizeof(c->req));
}

static void conn_park(fr_conn_t *c) {
    c->parked = 1;
    c->park_next = c->srv->parked;
    c->srv->parked = c;
}

uint64_t fr_conn_parked_deadline(const fr_conn_t *c) { return c->req.deadline_ms; }
const char *fr_conn_peer_host(const fr_conn_t *c) { return c->peer_host; }
fr_conn_t *fr_conn_park_next(const fr_conn_t *c) { return c->park_next; }

void fr_conn_retry_parked(fr_conn_t *c, int timed_out) {
    if (!c->parked || c->closing)
        return;
    fr_req_t *req = &c->req;
    /* drop the body written by the previous attempt */
    c->req_msg->w.len = req->resp_body_start;
    fr_writer_t *w = &c->req_msg->w;
    for (size_t i = 0; i < w->nfiles; i++)
        if (w->files[i].unref)
            w->files[i].unref(w->files[i].ref);
    w->nfiles = 0;
    w->file_bytes = 0;
    req->now_ms = fr_now_ms();
    int rc = req->retry(req, timed_out);
    /* a retry that timed out may wait on only if it moved its deadline on
     * (a join whose phase members kept extending) */
    if (rc == FR_REQ_PARKED && (!timed_out || req->deadline_ms > uv_now(c->srv->loop)))
        return;
    unpark(c);
    if (rc < 0) {
        fr_conn_close(c, "request failed");
        return;
    }
    if (rc == FR_REQ_CLOSE) {
        conn_complete(c, FR_REQ_NO_RESPONSE);
        fr_conn_close(c, "an acks=0 produce failed");
        return;
    }
    conn_complete(c, rc == FR_REQ_PARKED ? FR_REQ_DONE : rc);
    /* the frame is done: resume with whatever else the client sent */
    conn_process_input(c);
    conn_update_poll(c);
}

/* Answers an ApiVersions request whose version we do not know: a v0 response
 * with UNSUPPORTED_VERSION and, as Kafka's (KIP-511), ApiVersions' own range
 * alone, so the client can retry at a version both know. */
static void conn_api_versions_fallback(fr_conn_t *c, const fr_request_header_t *hdr) {
    fr_outmsg_t *m = outmsg_get(c);
    if (!m) {
        fr_conn_close(c, "out of memory");
        return;
    }
    fr_writer_reserve(&m->w, 4);
    fr_write_i32(&m->w, hdr->correlation_id);
    fr_write_i16(&m->w, FR_ERR_UNSUPPORTED_VERSION);
    const fr_handler_t *h = fr_handler_find(FR_API_API_VERSIONS);
    fr_write_i32(&m->w, 1);
    fr_write_i16(&m->w, h->api_key);
    fr_write_i16(&m->w, h->min_version);
    fr_write_i16(&m->w, h->max_version);
    fr_writer_patch_i32(&m->w, 0, (int32_t)(fr_writer_size(&m->w) - 4));
    conn_enqueue(c, m);
}

/* Handles one whole frame.  Returns 0 to go on, 1 when the request parked, -1 when closed. */
static int conn_handle_frame(fr_conn_t *c, uint8_t *frame, size_t len) {
    fr_req_t *req = &c->req;
    memset(req, 0, sizeof(*req));
    fr_reader_init(&req->body, frame, len);
    if (fr_request_header_read(&req->body, &req->hdr)) {
        fr_warn(COMPONENT, "malformed request header from %s (%zu bytes); closing", c->peer, len);
        fr_conn_close(c, "malformed header");
        return -1;
    }
    const fr_request_header_t *hdr = &req->hdr;
    const fr_handler_t *h = fr_handler_find(hdr->api_key);
    if (!h) {
        fr_warn(COMPONENT, "unknown or unsupported API key %d from %s; closing", hdr->api_key, c->peer);
        fr_conn_close(c, "unknown API key");
        return -1;
    }
    if (hdr->api_version < h->min_version || hdr->api_version > h->max_version) {
        if (hdr->api_key == FR_API_API_VERSIONS) {
            conn_api_versions_fallback(c, hdr);
            return 0;
        }
        fr_warn(COMPONENT, "unsupported version %d of API %d from %s; closing", hdr->api_version,
                hdr->api_key, c->peer);
        fr_conn_close(c, "unsupported version");
        return -1;
    }
    fr_outmsg_t *m = outmsg_get(c);
    if (!m) {
        fr_conn_close(c, "out of memory");
        return -1;
    }
    c->req_msg = m;
    fr_writer_reserve(&m->w, 4);
    fr_response_header_write(&m->w, hdr->api_key, hdr->api_version, hdr->correlation_id);
    req->srv = c->srv;
    req->conn = c;
    req->frame = frame;
    req->frame_len = len;
    req->arena = &c->arena;
    req->resp = &m->w;
    req->resp_body_start = m->w.len;
    req->now_ms = fr_now_ms();
    int rc = h->fn(req);
    if (rc < 0) {
        const fr_reader_t *r = &req->body;
        fr_warn(COMPONENT, "malformed request (api %d v%d, correlation id %d) from %s: %s at offset %zu; closing",
                hdr->api_key, hdr->api_version, hdr->correlation_id, c->peer,
                r->err_what ? r->err_what : fr_err_str(rc), r->err_offset);
        conn_complete(c, FR_REQ_NO_RESPONSE);
        fr_conn_close(c, "malformed request");
        return -1;
    }
    if (rc == FR_REQ_PARKED) {
        conn_park(c);
        return 1;
    }
    if (rc == FR_REQ_CLOSE) {
        fr_info(COMPONENT, "closing connection from %s: an acks=0 produce (correlation id %d) failed", c->peer,
                hdr->correlation_id);
        conn_complete(c, FR_REQ_NO_RESPONSE);
        fr_conn_close(c, "an acks=0 produce failed");
        return -1;
    }
    conn_complete(c, rc);
    return 0;
}

static void conn_process_input(fr_conn_t *c) {
    const size_t max = (size_t)c->srv->cfg->socket_request_max_bytes;
    while (!c->parked && !c->closing) {
        size_t avail = c->rlen - c->rpos;
        if (avail < 4)
            break;
        int32_t size = (int32_t)fr_be32(c->rbuf + c->rpos);
        if (size < 0 || (size_t)size > max) {
            fr_warn(COMPONENT, "request size %d from %s is out of range (socket.request.max.bytes=%zu); closing",
                    size, c->peer, max);
            fr_conn_close(c, "bad frame size");
            return;
        }
        if (avail < 4 + (size_t)size) {
            size_t frame = 4 + (size_t)size;
            if (c->rpos + frame <= c->rcap)
                break; /* the rest fits behind what came: read it there, move nothing */
            if (c->rpos > 0) {
                memmove(c->rbuf, c->rbuf + c->rpos, avail);
                c->rlen = avail;
                c->rpos = 0;
            }
            if (frame > c->rcap) {
                /* Room for the whole frame up front (one realloc, not many), and for a
                 * second one behind it: the read that completes a producer's megabyte
                 * request often brings the start of the next, which then fits where it
                 * lies instead of being moved to the front (a fifth of the bytes of a
                 * 1 KiB produce run were moved so). */
                size_t cap = 2 * frame <= RBUF_KEEP ? 2 * frame : frame;
                uint8_t *nb = realloc(c->rbuf, cap);
                if (!nb) {
                    fr_conn_close(c, "out of memory");
                    return;
                }
                c->rbuf = nb;
                c->rcap = cap;
            }
            break;
        }
        uint8_t *frame = c->rbuf + c->rpos + 4;
        c->rpos += 4 + (size_t)size;
        if (conn_handle_frame(c, frame, (size_t)size) != 0)
            return; /* parked (frame bytes must stay put) or closed */
    }
    if (c->rpos == c->rlen) {
        c->rpos = c->rlen = 0;
        if (c->rcap > RBUF_KEEP) { /* give back the room a huge request took */
            uint8_t *nb = realloc(c->rbuf, RBUF_MIN);
            if (nb) {
                c->rbuf = nb;
                c->rcap = RBUF_MIN;
            }
        }
    }
}
