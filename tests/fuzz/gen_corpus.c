/*
 * gen_corpus.c — writes the seed corpora for fuzz_request and fuzz_response
 * from the generated sample messages: one file per API at its lowest and
 * highest version we serve, and at its first flexible version.
 *
 *     gen_corpus request  tests/fuzz/corpus/request    (header + request)
 *     gen_corpus response tests/fuzz/corpus/response   (key, version, header + response)
 */
#include <stdio.h>
#include <string.h>

#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_messages.h"
#include "fr_messages_sample.h"

static int write_seed(int request, const char *dir, const fr_api_info_t *api, int16_t version) {
    fr_arena_t arena;
    fr_writer_t w;
    char path[512];
    int rc = -1;
    void *msg;

    fr_arena_init(&arena, 4096);
    fr_writer_init(&w);
    if (request) {
        fr_request_header_t h = {api->key, version, 1000 + api->key, fr_slice_from_cstr("seed")};
        fr_request_header_write(&w, &h);
        msg = fr_request_sample_any(api->key, version, &arena);
        if (msg && fr_request_write_any(&w, api->key, version, msg) == 0 && !w.err)
            rc = 0;
    } else {
        fr_write_i16(&w, api->key);
        fr_write_i16(&w, version);
        fr_response_header_write(&w, api->key, version, 1000 + api->key);
        msg = fr_response_sample_any(api->key, version, &arena);
        if (msg && fr_response_write_any(&w, api->key, version, msg) == 0 && !w.err)
            rc = 0;
    }
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/%s-v%d", dir, api->name, version);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(w.buf, 1, w.len, f) != w.len)
            rc = -1;
        if (f && fclose(f) != 0)
            rc = -1;
    }
    if (rc)
        fprintf(stderr, "gen_corpus: cannot write %s v%d to %s\n", api->name, version, dir);
    fr_writer_free(&w);
    fr_arena_free(&arena);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "request") && strcmp(argv[1], "response"))) {
        fprintf(stderr, "usage: gen_corpus request|response DIR\n");
        return 2;
    }
    int request = strcmp(argv[1], "request") == 0, rc = 0;
    for (size_t i = 0; i < fr_api_table_len; i++) {
        const fr_api_info_t *api = &fr_api_table[i];
        rc |= write_seed(request, argv[2], api, api->min_version);
        if (api->max_version != api->min_version)
            rc |= write_seed(request, argv[2], api, api->max_version);
        if (api->flexible_min > api->min_version && api->flexible_min < api->max_version)
            rc |= write_seed(request, argv[2], api, api->flexible_min);
    }
    return rc ? 1 : 0;
}
