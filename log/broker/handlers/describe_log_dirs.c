/*
 * DescribeLogDirs: each log dir (as an absolute path, with its volume's
 * total and usable bytes from v4) and, for the partitions asked about (all
 * of them when topics is null), each partition's size in bytes.  As in
 * Kafka's ReplicaManager.describeLogDirs, a topic is listed only with some of
 * the asked-for partitions under it; offset_lag (high watermark minus log
 * end) is 0 on a single node, and there are no future logs.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "handlers.h"

/* Was topic/partition asked about? (topics null: everything.) */
static int wanted(const fr_describe_log_dirs_request_t *in, const fr_topic_t *topic, int32_t partition) {
    if (in->topics_count < 0)
        return 1;
    for (int32_t i = 0; i < in->topics_count; i++) {
        if (!fr_slice_eq_cstr(in->topics[i].topic, topic->name))
            continue;
        for (int32_t j = 0; j < in->topics[i].partitions_count; j++)
            if (in->topics[i].partitions[j] == partition)
                return 1;
    }
    return 0;
}

/* Kafka reports the dir as Paths.get(dir).toAbsolutePath(). */
static fr_slice_t absolute_dir(fr_req_t *req, const char *dir) {
    char cwd[4096];
    if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return fr_req_msg(req, dir);
    size_t n = strlen(cwd) + strlen(dir) + 2;
    char *p = fr_arena_alloc(req->arena, n);
    if (!p)
        return FR_SLICE_NULL;
    snprintf(p, n, "%s/%s", cwd, dir);
    return fr_slice_from_cstr(p);
}

static int describe_dir(fr_req_t *req, const fr_describe_log_dirs_request_t *in, int d,
                        fr_describe_log_dirs_response_describe_log_dirs_result_t *r) {
    const fr_topics_t *topics = &req->srv->topics;
    const char *dir = req->srv->cfg->log_dirs[d];
    struct statvfs vfs;

    r->error_code = FR_ERR_NONE;
    r->log_dir = absolute_dir(req, dir);
    if (statvfs(dir, &vfs) == 0) {
        r->total_bytes = (int64_t)vfs.f_blocks * (int64_t)vfs.f_frsize;
        r->usable_bytes = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
    }
    int32_t n = 0;
    for (size_t i = 0; i < topics->count; i++)
        n += topics->items[i]->log_dir == d;
    r->topics = FR_REQ_ARRAY(req, fr_describe_log_dirs_response_describe_log_dirs_topic_t, n);
    if (!r->topics)
        return FR_ERR_NOMEM;
    r->topics_count = 0;
    for (size_t i = 0; i < topics->count; i++) {
        const fr_topic_t *topic = topics->items[i];
        if (topic->log_dir != d)
            continue;
        fr_describe_log_dirs_response_describe_log_dirs_topic_t *t = &r->topics[r->topics_count++];
        t->name = fr_slice_from_cstr(topic->name);
        t->partitions = FR_REQ_ARRAY(req, fr_describe_log_dirs_response_describe_log_dirs_partition_t,
                                     topic->num_partitions);
        if (!t->partitions)
            return FR_ERR_NOMEM;
        for (int32_t p = 0; p < topic->num_partitions; p++) {
            const fr_partition_t *part = topic->partitions[p];
            if (!part || !part->log || !wanted(in, topic, p))
                continue;
            fr_describe_log_dirs_response_describe_log_dirs_partition_t *pd = &t->partitions[t->partitions_count++];
            pd->partition_index = p;
            pd->partition_size = fr_partlog_size_bytes(part->log);
            pd->offset_lag = 0;
            pd->is_future_key = false;
        }
        if (t->partitions_count == 0)
            r->topics_count--; /* none of its partitions was asked about */
    }
    return 0;
}

int fr_handle_describe_log_dirs(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_describe_log_dirs_request_t in;
    if (fr_describe_log_dirs_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_describe_log_dirs_response_t out;
    fr_describe_log_dirs_response_init(&out);
    int ndirs = req->srv->cfg->num_log_dirs;
    out.results = FR_REQ_ARRAY(req, fr_describe_log_dirs_response_describe_log_dirs_result_t, ndirs);
    if (!out.results)
        return FR_ERR_NOMEM;
    out.results_count = ndirs;
    for (int d = 0; d < ndirs; d++) {
        fr_describe_log_dirs_response_describe_log_dirs_result_init(&out.results[d]);
        int rc = describe_dir(req, &in, d, &out.results[d]);
        if (rc)
            return rc;
    }
    fr_describe_log_dirs_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
