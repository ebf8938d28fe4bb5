/*
 * ingest_floor — the least work any broker must do to take produced bytes,
 * measured on this machine: a ceiling for bench/run's produce rows.
 *
 *   ingest_floor --dir DIR --mib N [--frame-kib K] --write none|cache|direct|splice
 *
 * A forked sender writes N MiB over loopback TCP in frames of K KiB (a
 * 4-byte big-endian length, the bytes' CRC-32C, then the bytes), as a
 * producer sends requests of one batch each.  The receiver reads the stream
 * into one buffer, computes each whole frame's CRC-32C and compares it with
 * the frame's (a broker must check every batch), then, by --write:
 *   none    keeps nothing (the cost of the socket and the CRC alone);
 *   cache   pwrite()s it at the end of a file in DIR, into the page cache;
 *   direct  copies it into an aligned staging buffer and writes whole
 *           4 KiB-aligned spans with O_DIRECT, bypassing the page cache;
 *   splice  never reads the frame's bytes into memory of its own: splice()
 *           moves them from the socket through a pipe into the file (the
 *           page cache), and the CRC is computed over a read-only mapping
 *           of the file afterwards.
 * Every writing mode then fdatasync()s the file before the clock stops, so
 * the bytes reach the disk inside the measurement: without it the page
 * cache's writeback would come after (or, the file being deleted, never),
 * and "cache" would not be writing to disk at all.
 * No parsing, no indexes, no responses: a broker can only cost more.
 *
 * Prints one JSON line: MB/s from the first byte read to the last frame
 * written and synced, and the receiver's CPU (user + system) per GiB.  The
 * sender's CPU is not counted.  The file is deleted before exit.  Exit 0,
 * or 1 with a message on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <isa-l/crc.h>

#define STAGE_BYTES (4u << 20)
#define ALIGN 4096u
#define FRAME_HEAD 8 /* length, CRC-32C */

enum write_mode { WRITE_NONE, WRITE_CACHE, WRITE_DIRECT, WRITE_SPLICE };

static void die(const char *what) {
    fprintf(stderr, "ingest_floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_s(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + (double)r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

/* Writes all n bytes: at off with pwrite, or with write when off is -1 (the socket). */
static void write_full(int fd, const uint8_t *p, size_t n, off_t off) {
    while (n > 0) {
        ssize_t w = off < 0 ? write(fd, p, n) : pwrite(fd, p, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die(off < 0 ? "send" : "pwrite");
        p += w;
        n -= (size_t)w;
        if (off >= 0)
            off += w;
    }
}

static void run_sender(struct sockaddr_in addr, uint64_t total, uint32_t frame) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0)
        die("connect");
    uint8_t *buf = malloc(FRAME_HEAD + (size_t)frame);
    if (!buf)
        die("malloc");
    for (uint32_t i = 0; i < frame; i++)
        buf[FRAME_HEAD + i] = (uint8_t)('A' + (i * 7919u) % 26);
    uint32_t be = htonl(frame), crc = htonl(~crc32_iscsi(buf + FRAME_HEAD, (int)frame, ~0u));
    memcpy(buf, &be, 4);
    memcpy(buf + 4, &crc, 4);
    for (uint64_t sent = 0; sent < total; sent += frame)
        write_full(s, buf, FRAME_HEAD + (size_t)frame, -1);
    close(s);
    _exit(0);
}

/* Keeps one frame's bytes; O_DIRECT takes whole aligned spans, the rest waits for the next
 * frame (or for sink_finish). */
typedef struct sink {
    enum write_mode mode;
    int fd;
    off_t off;
    uint8_t *stage;
    size_t staged;
} sink_t;

static void sink_put(sink_t *k, const uint8_t *p, size_t n) {
    if (k->mode == WRITE_CACHE) {
        write_full(k->fd, p, n, k->off);
        k->off += (off_t)n;
    } else if (k->mode == WRITE_DIRECT) {
        while (n > 0) {
            size_t take = STAGE_BYTES - k->staged < n ? STAGE_BYTES - k->staged : n;
            memcpy(k->stage + k->staged, p, take);
            k->staged += take;
            p += take;
            n -= take;
            size_t whole = k->staged & ~(size_t)(ALIGN - 1);
            if (whole >= (1u << 20) || k->staged == STAGE_BYTES) {
                write_full(k->fd, k->stage, whole, k->off);
                k->off += (off_t)whole;
                memmove(k->stage, k->stage + whole, k->staged - whole);
                k->staged -= whole;
            }
        }
    }
}

/* O_DIRECT: the last partial span goes out padded to a whole block, as a log's tail would. */
static void sink_finish(sink_t *k) {
    if (k->mode != WRITE_DIRECT || k->staged == 0)
        return;
    size_t whole = (k->staged + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    memset(k->stage + k->staged, 0, whole - k->staged);
    write_full(k->fd, k->stage, whole, k->off);
    k->off += (off_t)whole;
    k->staged = 0;
}

static int parse_mode(const char *s, enum write_mode *m) {
    if (!strcmp(s, "none"))
        *m = WRITE_NONE;
    else if (!strcmp(s, "cache"))
        *m = WRITE_CACHE;
    else if (!strcmp(s, "direct"))
        *m = WRITE_DIRECT;
    else if (!strcmp(s, "splice"))
        *m = WRITE_SPLICE;
    else
        return -1;
    return 0;
}

typedef struct meter {
    double t0, c0; /* from the first byte read */
    uint64_t got;
} meter_t;

static void meter_start(meter_t *m) {
    if (m->t0 == 0) {
        m->t0 = now_s();
        m->c0 = cpu_s();
    }
}

static int frame_head(const uint8_t *p, uint32_t frame, uint32_t *crc) {
    uint32_t len;
    memcpy(&len, p, 4);
    memcpy(crc, p + 4, 4);
    *crc = ntohl(*crc);
    if (ntohl(len) != frame) {
        fprintf(stderr, "ingest_floor: a frame of %u bytes, expected %u\n", ntohl(len), frame);
        return -1;
    }
    return 0;
}

static int crc_ok(const uint8_t *p, uint32_t len, uint32_t crc, uint64_t at) {
    if (~crc32_iscsi((unsigned char *)(uintptr_t)p, (int)len, ~0u) == crc)
        return 1;
    fprintf(stderr, "ingest_floor: CRC-32C mismatch at byte %llu\n", (unsigned long long)at);
    return 0;
}

/* Reads the stream into one buffer, as the broker's connection does, and hands each whole frame to the sink. */
static int receive_copying(int s, sink_t *k, uint32_t frame, uint64_t total, meter_t *m) {
    size_t cap = 2 * ((size_t)frame + FRAME_HEAD);
    uint8_t *buf = malloc(cap);
    if (!buf)
        die("malloc");
    size_t have = 0, pos = 0; /* buf[pos, have) is not consumed yet */
    int rc = 0;
    while (m->got < total && rc == 0) {
        ssize_t n = read(s, buf + have, cap - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "ingest_floor: the sender stopped after %llu bytes\n", (unsigned long long)m->got);
            rc = -1;
            break;
        }
        meter_start(m);
        have += (size_t)n;
        while (have - pos >= FRAME_HEAD) {
            uint32_t crc;
            if (frame_head(buf + pos, frame, &crc)) {
                rc = -1;
                break;
            }
            if (have - pos - FRAME_HEAD < frame)
                break;
            if (!crc_ok(buf + pos + FRAME_HEAD, frame, crc, m->got)) {
                rc = -1;
                break;
            }
            sink_put(k, buf + pos + FRAME_HEAD, frame);
            m->got += frame;
            pos += FRAME_HEAD + (size_t)frame;
        }
        /* A frame begun is moved to the front only when the rest would not fit behind
         * it, as the broker's connection buffer does: moving after every read would
         * copy the bytes a second time. */
        if (pos == have) {
            pos = have = 0;
        } else if (cap - pos < FRAME_HEAD + (size_t)frame) {
            memmove(buf, buf + pos, have - pos);
            have -= pos;
            pos = 0;
        }
    }
    free(buf);
    return rc;
}

static int read_exact(int s, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(s, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Each frame's head is read; its bytes go socket -> pipe -> file without entering this process. */
static int receive_splicing(int s, int fd, uint32_t frame, uint64_t total, meter_t *m) {
    int pipefd[2];
    if (pipe(pipefd) < 0)
        die("pipe");
    (void)fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 20); /* fewer trips; the default 64 KiB works too */
    size_t span = (size_t)((total + frame - 1) / frame) * frame;
    if (fallocate(fd, 0, 0, (off_t)span) < 0) /* a mapping past the end of the file would fault */
        die("fallocate");
    const uint8_t *map = mmap(NULL, span, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        die("mmap");
    int rc = 0;
    loff_t off = 0;
    while (m->got < total && rc == 0) {
        uint8_t head[FRAME_HEAD];
        uint32_t crc;
        if (read_exact(s, head, FRAME_HEAD)) {
            fprintf(stderr, "ingest_floor: the sender stopped after %llu bytes\n", (unsigned long long)m->got);
            rc = -1;
            break;
        }
        meter_start(m);
        if (frame_head(head, frame, &crc)) {
            rc = -1;
            break;
        }
        for (size_t left = frame; left > 0;) {
            ssize_t in = splice(s, NULL, pipefd[1], NULL, left, SPLICE_F_MOVE | SPLICE_F_MORE);
            if (in <= 0)
                die("splice from the socket");
            for (ssize_t out = 0; out < in;) {
                ssize_t w = splice(pipefd[0], NULL, fd, &off, (size_t)(in - out), SPLICE_F_MOVE);
                if (w <= 0)
                    die("splice into the file");
                out += w;
            }
            left -= (size_t)in;
        }
        if (!crc_ok(map + off - frame, frame, crc, m->got))
            rc = -1;
        m->got += frame;
    }
    munmap((void *)(uintptr_t)map, span);
    close(pipefd[0]);
    close(pipefd[1]);
    return rc;
}

int main(int argc, char **argv) {
    const char *dir = NULL, *mode_name = NULL;
    long mib = 0, frame_kib = 1024;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--mib"))
            mib = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--frame-kib"))
            frame_kib = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--write"))
            mode_name = argv[i + 1];
        else {
            fprintf(stderr, "ingest_floor: unknown option %s\n", argv[i]);
            return 1;
        }
    }
    enum write_mode mode;
    if (!dir || mib < 1 || frame_kib < 1 || frame_kib > 65536 || !mode_name || parse_mode(mode_name, &mode)) {
        fprintf(stderr, "usage: ingest_floor --dir DIR --mib N [--frame-kib 1..65536] "
                        "--write none|cache|direct|splice\n");
        return 1;
    }
    uint32_t frame = (uint32_t)frame_kib << 10;
    uint64_t total = (uint64_t)mib << 20;

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 1) < 0 ||
        getsockname(ls, (struct sockaddr *)&addr, &alen) < 0)
        die("listen");

    char path[4096];
    snprintf(path, sizeof path, "%s/ingest-floor-%d.bin", dir, (int)getpid());
    sink_t sink = {.mode = mode, .fd = -1};
    if (mode != WRITE_NONE) {
        /* read and write: the splice mode maps the file to check the CRC */
        sink.fd = open(path, O_CREAT | O_TRUNC | O_RDWR | (mode == WRITE_DIRECT ? O_DIRECT : 0), 0644);
        if (sink.fd < 0)
            die(path);
    }
    if (mode == WRITE_DIRECT && !(sink.stage = aligned_alloc(ALIGN, STAGE_BYTES)))
        die("aligned_alloc");

    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0)
        run_sender(addr, total, frame);
    int s = accept(ls, NULL, NULL);
    if (s < 0)
        die("accept");

    meter_t m = {0};
    int rc = mode == WRITE_SPLICE ? receive_splicing(s, sink.fd, frame, total, &m)
                                  : receive_copying(s, &sink, frame, total, &m);
    if (rc == 0)
        sink_finish(&sink);
    if (rc == 0 && sink.fd >= 0 && fdatasync(sink.fd) < 0)
        die("fdatasync");
    double elapsed = now_s() - m.t0, cpu = cpu_s() - m.c0;
    close(s);
    if (rc != 0)
        kill(child, SIGKILL);
    int status;
    if (waitpid(child, &status, 0) < 0 || (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))) {
        fprintf(stderr, "ingest_floor: the sender failed\n");
        rc = -1;
    }
    if (sink.fd >= 0) {
        close(sink.fd);
        unlink(path);
    }
    free(sink.stage);
    if (rc != 0)
        return 1;
    printf("{\"write\": \"%s\", \"mib\": %ld, \"frame_kib\": %ld, \"elapsed_ms\": %.3f, \"mb_per_sec\": %.1f, "
           "\"receiver_cpu_s\": %.4f, \"cpu_ms_per_gib\": %.1f}\n",
           mode_name, mib, frame_kib, elapsed * 1e3, (double)m.got / (1 << 20) / elapsed, cpu,
           cpu * 1e3 / ((double)m.got / (1u << 30)));
    return 0;
}
