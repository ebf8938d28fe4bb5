#!/usr/bin/env python3
"""Generates Freshet's Kafka wire-protocol codecs from log/protocol/defs/*.def.

    gen_codecs.py --out DIR defs/*.def

writes, into DIR:
  fr_messages.h / .c   one C struct per message and nested struct, with
                       fr_<msg>_init / _read / _write; the API table and key
                       enum; read/write dispatch by api key.  (fr_messages.h
                       also declares the table lookups and the headers, which
                       are hand-written in fr_protocol.c.)
  fr_messages_sample.h / .c
                       fr_<msg>_sample(): deterministic sample values for each
                       version, for round-trip tests and fuzz seeds only.

The definition format is described in defs/README.md.  Python 3 standard
library only.  Errors in a definition are reported as file:line: message.
"""

import argparse
import os
import re
import sys

from protocol_defs import (BLOBS, INT_RANGES, SCALARS, VMAX, DefError, intersect,
                           parse_def)

# ---------------------------------------------------------------- C helpers

def cond(rng, ctx):
    """C test for 'version in rng', given that version is known to be in ctx."""
    parts = []
    if rng[0] > ctx[0]:
        parts.append('version >= %d' % rng[0])
    if rng[1] < ctx[1]:
        parts.append('version <= %d' % rng[1])
    if len(parts) == 2 and rng[0] == rng[1]:
        return 'version == %d' % rng[0]
    return ' && '.join(parts) or None


def nullable_expr(f):
    if not f.nullable:
        return '0'
    return cond(f.nullable, f.versions) or '1'


def flex_expr(api):
    if api.flex_min is None:
        return '0'
    if api.flex_min <= api.versions[0]:
        return '1'
    return 'version >= %d' % api.flex_min


def c_default(f):
    """C value of a scalar or blob default, or None when it is zero/empty."""
    d = f.default
    if d is None or f.is_struct:
        return None
    if d == 'null':
        if f.array:
            return '-1'
        return 'FR_RECORDS_NULL' if f.type == 'records' else 'FR_SLICE_NULL'
    if f.type == 'string':
        text = d[1:-1]
        return '(fr_slice_t){(const uint8_t *)"%s", %d}' % (text, len(text)) if text else None
    if f.type == 'bool':
        return 'true' if d == 'true' else None
    if f.type == 'float64':
        return repr(float(d)) if float(d) else None
    v = int(d, 0)
    if v == 0:
        return None
    bits = INT_RANGES.get(f.type, 16)
    if f.type != 'uint16' and v == -(1 << (bits - 1)):
        return 'INT%d_MIN' % bits
    return 'INT64_C(%d)' % v if abs(v) > 0x7FFFFFFF else str(v)


def min_size(f, flex):
    """Fewest bytes field f can take on the wire (0 when tagged)."""
    if f.tag is not None:
        return 0
    if f.array or f.type in ('bytes', 'records'):
        return 1 if flex else 4
    if f.type == 'string':
        return 1 if flex else 2
    if f.is_struct:
        size = struct_min_size(f.struct, flex) or 0
        return min(size, 1) if f.nullable else size  # a null one is its int8 marker alone
    return SCALARS[f.type][3]


def struct_min_size(s, flex):
    """Fewest bytes struct s takes in its classic (or flexible) versions,
    or None when it has no such version."""
    api = s.msg.api
    sizes = []
    for v in range(s.versions[0], min(s.versions[1], api.versions[1]) + 1):
        if (api.flex_min is not None and v >= api.flex_min) != flex:
            continue
        sizes.append(sum(min_size(f, flex) for f in s.fields
                         if f.versions[0] <= v <= f.versions[1]) + (1 if flex else 0))
    return max(1, min(sizes)) if sizes else None


def min_elem_expr(f):
    """Smallest encoded array element, as a C expression (compact or classic)."""
    if f.is_struct:
        classic, compact = struct_min_size(f.struct, False), struct_min_size(f.struct, True)
        classic, compact = classic or compact, compact or classic
    elif f.type == 'string':
        classic, compact = 2, 1
    elif f.type == 'bytes':
        classic, compact = 4, 1
    else:
        classic = compact = SCALARS[f.type][3]
    return str(classic) if classic == compact else 'flex ? %d : %d' % (compact, classic)


def fmt_range(rng, api):
    lo, hi = rng
    if hi >= api.versions[1]:
        return 'v%d+' % lo
    return 'v%d' % lo if lo == hi else 'v%d-%d' % (lo, hi)


def member_note(f, ctx, api):
    """Short comment for a struct member: versions, nullability, default, tag."""
    bits = []
    if f.versions != ctx:
        bits.append(fmt_range(f.versions, api))
    if f.nullable:
        bits.append('nullable' if f.nullable == f.versions else 'nullable ' + fmt_range(f.nullable, api))
    if f.default is not None:
        bits.append('default ' + f.default)
    if f.tag is not None:
        bits.append('tag %d' % f.tag)
    return ', '.join(bits)


def member_decls(f):
    if f.is_struct:
        base = f.struct.ctype
    elif f.type in ('string', 'bytes'):
        base = 'fr_slice_t'
    elif f.type == 'records':
        base = 'fr_records_t'
    else:
        base = SCALARS[f.type][0]
    if f.array:
        return ['%s *%s;' % (base, f.snake), 'int32_t %s_count;' % f.snake]
    if f.is_struct and f.nullable:
        return ['%s %s;' % (base, f.snake), 'bool %s_null;' % f.snake]
    if f.type == 'uuid':
        return ['uint8_t %s[16];' % f.snake]
    return ['%s %s;' % (base, f.snake)]


def wrap(line, width=100):
    """Breaks a long call or prototype after its commas, aligned under '('."""
    if len(line) <= width or '/*' in line or '(' not in line:
        return [line]
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(line):
        if ch in '([{':
            depth += 1
        elif ch in ')]}':
            depth -= 1
        elif ch == ',' and depth == 1:
            pieces.append(line[start:i + 1])
            start = i + 2
    pieces.append(line[start:])
    pad = ' ' * (line.index('(') + 1)
    out, cur = [], pieces[0]
    for p in pieces[1:]:
        if len(cur) + 1 + len(p) <= width:
            cur += ' ' + p
        else:
            out.append(cur)
            cur = pad + p
    return out + [cur]


def indent(lines, n=1):
    return [('    ' * n + l) if l else l for l in lines]


def guarded(test, body):
    if not test:
        return body
    if len(body) == 1:
        return ['if (%s)' % test] + indent(body)
    return ['if (%s) {' % test] + indent(body) + ['}']


def with_flex(api, body):
    """Declares `flex` at the top of a function body that uses it."""
    if any(re.search(r'\bflex\b', l) for l in body):
        return ['const int flex = %s;' % flex_expr(api)] + body
    return body


# ---------------------------------------------------------------- readers

def read_elem(f, target):
    if f.is_struct:
        return '%s_read(r, version, arena, &%s);' % (f.struct.fn, target)
    if f.type == 'string':
        return 'fr_read_string(r, flex, 0, &%s);' % target
    if f.type == 'bytes':
        return 'fr_read_bytes(r, flex, 0, &%s);' % target
    return '%s(r, &%s);' % (SCALARS[f.type][1], target)


def read_value(f):
    m = 'out->' + f.snake
    null = nullable_expr(f)
    if f.array:
        return ['%s = fr_codec_read_array(r, flex, %s, %s, sizeof(*%s), arena, &%s_count);'
                % (m, null, min_elem_expr(f), m, m),
                'for (int32_t i = 0; i < %s_count && !r->err; i++)' % m,
                '    ' + read_elem(f, m + '[i]')]
    if f.type == 'string':
        return ['fr_read_string(r, flex, %s, &%s);' % (null, m)]
    if f.type == 'bytes':
        return ['fr_read_bytes(r, flex, %s, &%s);' % (null, m)]
    if f.type == 'records':
        return ['fr_codec_read_records(r, flex, %s, &%s);' % (null, m)]
    if f.type == 'uuid':
        return ['fr_read_uuid(r, %s);' % m]
    if f.is_struct and f.nullable:
        # Kafka's nullable struct: an int8 marker, negative for null, then the struct
        present = ['int8_t present = 1;']
        present += (['fr_read_i8(r, &present);'] if null == '1' else ['if (%s)' % null, '    fr_read_i8(r, &present);'])
        return ['{'] + indent(present + ['%s_null = present < 0;' % m, 'if (!%s_null)' % m,
                                         '    ' + read_elem(f, m)]) + ['}']
    return [read_elem(f, m)]


def read_tags(s):
    api = s.msg.api
    tagged = sorted((f for f in s.fields if f.tag is not None), key=lambda f: f.tag)
    if not tagged:
        return ['if (flex)', '    fr_read_skip_tags(r);']
    flex_ctx = intersect(s.versions, (api.flex_min, VMAX))
    lines = ['if (flex) {',
             '    uint32_t ntags = 0, tag = 0, size = 0;',
             '    fr_read_uvarint(r, &ntags);',
             '    for (uint32_t t = 0; t < ntags && !r->err; t++) {',
             '        fr_read_uvarint(r, &tag);',
             '        fr_read_uvarint(r, &size);',
             '        const uint8_t *start = r->p;',
             '        switch (tag) {']
    for f in tagged:
        test = cond(f.versions, flex_ctx)
        body = read_value(f)
        if test:
            body = ['if (!(%s)) {' % test, '    fr_read_skip(r, size);', '    break;', '}'] + body
        lines += ['        case %d:' % f.tag] + indent(body, 3) + ['            break;']
    lines += ['        default: /* a tag we do not know: skip it */',
              '            fr_read_skip(r, size);',
              '            break;',
              '        }',
              '        fr_codec_tag_end(r, start, size);',
              '    }',
              '}']
    return lines


def gen_read(s):
    api = s.msg.api
    body = ['%s_init(out);' % s.fn]
    if s.is_root:
        lo, hi = api.versions
        body += ['if (version < %d || version > %d)' % (lo, hi),
                 '    return fr_reader_fail(r, "unsupported version");']
    for f in s.fields:
        if f.tag is None:
            body += guarded(cond(f.versions, s.versions), read_value(f))
    body += read_tags(s)
    if s.is_root:
        body.append('return r->err ? FR_ERR_PARSE : 0;')
        head = 'int %s_read(fr_reader_t *r, int16_t version, fr_arena_t *arena, %s *out) {'
    else:
        head = 'static void %s_read(fr_reader_t *r, int16_t version, fr_arena_t *arena, %s *out) {'
    return [head % (s.fn, s.ctype)] + indent(with_flex(api, body)) + ['}', '']


# ---------------------------------------------------------------- writers

def write_elem(f, w, value):
    if f.is_struct:
        return '%s_write(%s, version, &%s);' % (f.struct.fn, w, value)
    if f.type == 'string':
        return 'fr_codec_write_string(%s, flex, 0, %s);' % (w, value)
    if f.type == 'bytes':
        return 'fr_codec_write_bytes(%s, flex, 0, %s);' % (w, value)
    return '%s(%s, %s);' % (SCALARS[f.type][2], w, value)


def write_value(f, w):
    m = 'in->' + f.snake
    null = nullable_expr(f)
    if f.array:
        return ['fr_codec_write_array_len(%s, flex, %s, %s_count);' % (w, null, m),
                'for (int32_t i = 0; i < %s_count; i++)' % m,
                '    ' + write_elem(f, w, m + '[i]')]
    if f.type == 'string':
        return ['fr_codec_write_string(%s, flex, %s, %s);' % (w, null, m)]
    if f.type == 'bytes':
        return ['fr_codec_write_bytes(%s, flex, %s, %s);' % (w, null, m)]
    if f.type == 'records':
        return ['fr_codec_write_records(%s, flex, %s, &%s);' % (w, null, m)]
    if f.is_struct and f.nullable:
        if null == '1':
            return ['fr_write_i8(%s, %s_null ? -1 : 1);' % (w, m), 'if (!%s_null)' % m, '    ' + write_elem(f, w, m)]
        return ['if (%s)' % null, '    fr_write_i8(%s, %s_null ? -1 : 1);' % (w, m),
                'if (!(%s) || !%s_null)' % (null, m), '    ' + write_elem(f, w, m)]
    return [write_elem(f, w, m)]


def not_default(f):
    """C test that tagged field f differs from its default (and so is sent)."""
    m = 'in->' + f.snake
    if f.array:
        return '%s_count %s 0' % (m, '>=' if f.default == 'null' else '>')
    if f.is_struct:
        return '!%s_is_default(&%s)' % (f.struct.fn, m)
    if f.type == 'uuid':
        return '!fr_codec_uuid_is_zero(%s)' % m
    if f.type in ('string', 'bytes'):
        if f.default == 'null':
            return '%s.len >= 0' % m
        if f.default and f.default != '""':
            return '!fr_slice_eq_cstr(%s, %s)' % (m, f.default)
        return '%s.len > 0' % m
    return '%s != %s' % (m, c_default(f) or ('false' if f.type == 'bool' else '0'))


def write_tags(s):
    api = s.msg.api
    tagged = sorted((f for f in s.fields if f.tag is not None), key=lambda f: f.tag)
    if not tagged:
        return ['if (flex)', '    fr_write_empty_tags(w);']
    flex_ctx = intersect(s.versions, (api.flex_min, VMAX))
    lines = ['if (flex) {']
    for f in tagged:
        test = cond(f.versions, flex_ctx)
        send = '(%s) && %s' % (test, not_default(f)) if test else not_default(f)
        lines.append('    const int send_%s = %s;' % (f.snake, send))
    lines.append('    fr_write_uvarint(w, (uint32_t)(%s));' % ' + '.join('send_' + f.snake for f in tagged))
    for f in tagged:
        lines += ['    if (send_%s) {' % f.snake,
                  '        fr_writer_t t;',
                  '        fr_writer_init(&t);']
        lines += indent(write_value(f, '&t'), 2)
        lines += ['        fr_codec_write_tag(w, %d, &t);' % f.tag, '    }']
    return lines + ['}']


def gen_write(s):
    body = []
    for f in s.fields:
        if f.tag is None:
            body += guarded(cond(f.versions, s.versions), write_value(f, 'w'))
    body += write_tags(s)
    fmt = '%svoid %s_write(fr_writer_t *w, int16_t version, const %s *in) {'
    head = fmt % ('' if s.is_root else 'static ', s.fn, s.ctype)
    return [head] + indent(with_flex(s.msg.api, body)) + ['}', '']


# ---------------------------------------------------------------- init, structs

def gen_init(s):
    body = ['memset(m, 0, sizeof(*m));']
    for f in s.fields:
        if f.is_struct and not f.array:
            body.append('%s_init(&m->%s);' % (f.struct.fn, f.snake))
            if f.default == 'null':
                body.append('m->%s_null = true;' % f.snake)
        elif f.type == 'records' and not f.array:
            body.append('m->%s = FR_RECORDS_NULL;' % f.snake)
        elif c_default(f):
            body.append('m->%s%s = %s;' % (f.snake, '_count' if f.array else '', c_default(f)))
    out = ['void %s_init(%s *m) {' % (s.fn, s.ctype)] + indent(body) + ['}', '']
    if s.needs_is_default:
        tests = ['m->%s == %s' % (f.snake, c_default(f) or '0') for f in s.fields]
        out += ['static int %s_is_default(const %s *m) {' % (s.fn, s.ctype),
                '    return %s;' % ' &&\n           '.join(tests), '}', '']
    return out


def gen_typedef(s):
    api = s.msg.api
    rows = []
    for f in s.fields:
        decls = member_decls(f)
        note = member_note(f, s.versions, api)
        for i, d in enumerate(decls):
            c = note if i == 0 else ('true = null' if f.is_struct and not f.array else '-1 = null' if f.nullable else '')
            rows.append((d, c))
    width = max(len(d) for d, _ in rows) + 1
    lines = ['typedef struct %s {' % s.ctype[:-2]]
    for d, c in rows:
        lines.append(('    %-*s /* %s */' % (width, d, c)) if c else '    ' + d)
    return lines + ['} %s;' % s.ctype, '']


# ---------------------------------------------------------------- samples

def sample_scalar(f, k, idx):
    t = f.type
    if t == 'bool':
        return '((%d + %s) & 1) != 0' % (k, idx)
    if t == 'float64':
        return '%d.5 + %s' % (k, idx)
    if t == 'int8':
        return '(int8_t)(%d + %s)' % (k % 100, idx)
    if t == 'uint16':
        return '(uint16_t)(%d + %s)' % (k * 101, idx)
    if t == 'int64':
        return 'INT64_C(%d) * 1000000007 + %s' % (k * (-1 if k % 3 == 0 else 1), idx)
    ctype = SCALARS[t][0]
    sign = '-' if k % 3 == 0 else ''
    return '(%s)(%s%d - %s)' % (ctype, sign, k * 7, idx) if sign else '(%s)(%d + %s)' % (ctype, k * 7, idx)


def sample_value(f, idx, api):
    m = 'm->' + f.snake
    k = f.k
    if f.array:
        body = ['%s_count = 1 + (%d + %s) %% 2;' % (m, k, idx),
                '%s = sample_alloc(arena, %s_count, sizeof(*%s));' % (m, m, m),
                'for (int32_t i = 0; i < %s_count; i++)' % m]
        if f.is_struct:
            body.append('    sample_%s(&%s[i], version, arena, i);' % (f.struct.fn, m))
        elif f.type in ('string', 'bytes'):
            body.append('    %s[i] = sample_string(arena, "%s", i);' % (m, f.snake))
        else:
            body.append('    %s[i] = %s;' % (m, sample_scalar(f, k, 'i')))
        null = ['%s_count = -1;' % m]
    elif f.is_struct:
        body = ['sample_%s(&%s, version, arena, %s);' % (f.struct.fn, m, idx), '%s_null = false;' % m]
        null = ['%s_null = true;' % m]
        if not f.nullable:
            return body[:1]
    elif f.type in ('string', 'bytes'):
        body = ['%s = sample_string(arena, "%s", %s);' % (m, f.snake, idx)]
        null = ['%s = FR_SLICE_NULL;' % m]
    elif f.type == 'records':
        body = ['%s = sample_records(arena, %d + %s);' % (m, k, idx)]
        null = ['%s = FR_RECORDS_NULL;' % m]
    elif f.type == 'uuid':
        return ['sample_uuid(%s, %d + %s);' % (m, k, idx)]
    else:
        return ['%s = %s;' % (m, sample_scalar(f, k, idx))]
    if not f.nullable:
        return body
    test = cond(f.nullable, api.versions)
    test = '(%s) && (%d + %s) %% 3 == 0' % (test, k, idx) if test else '(%d + %s) %% 3 == 0' % (k, idx)
    return ['if (%s) {' % test] + indent(null) + ['} else {'] + indent(body) + ['}']


def gen_sample(s):
    body = ['%s_init(m);' % s.fn]
    for f in s.fields:
        body += sample_value(f, 'idx', s.msg.api)
    head = 'static void sample_%s(%s *m, int16_t version, fr_arena_t *arena, int idx) {'
    return [head % (s.fn, s.ctype)] + indent(body) + ['}', '']


# ---------------------------------------------------------------- files

BANNER = '/* Generated by log/protocol/gen_codecs.py from log/protocol/defs: do not edit. */'

HEADER_TOP = r'''/*
 * fr_messages.h — Kafka request and response messages, as C structs with
 * generated codecs.
 *
 * Each message is fr_<api>_request_t or fr_<api>_response_t (api in
 * snake_case); a struct nested in it is fr_<api>_<request|response>_<struct>_t
 * and has an _init function too.  For each message:
 *
 *   void fr_<msg>_init(fr_<msg>_t *m);
 *       Sets every field to its default (e.g. -1 where Kafka's is -1, null
 *       where Kafka's is null; zero/empty otherwise).
 *   int  fr_<msg>_read(fr_reader_t *r, int16_t version, fr_arena_t *arena, fr_<msg>_t *out);
 *       Decodes one message body of that version.  Returns 0, or FR_ERR_PARSE
 *       (details in r->err_offset / r->err_what).  Fields the version lacks
 *       keep their defaults.  Strings, bytes and records point into the
 *       reader's buffer (records writably: see fr_records.h); arrays live in
 *       the arena.  The result is valid while both are.  Unknown tagged
 *       fields are skipped.  Trailing bytes are left in the reader.
 *   void fr_<msg>_write(fr_writer_t *w, int16_t version, const fr_<msg>_t *in);
 *       Appends the encoding for that version (failures show in w->err).
 *       Fields the version lacks are not written; a null value where the
 *       version does not allow null is written empty.  File-backed records
 *       are spliced in and their reference passes to the writer.
 *
 * Arrays are `T *name; int32_t name_count;` (count -1 = null array).
 * Strings and bytes are fr_slice_t (len -1 = null), uuids uint8_t[16].
 * A nullable struct has `bool name_null;` beside it (true = null).
 * The comment beside a member gives the versions that carry it when they
 * differ from its struct's, its nullability, default and tag.
 */
#ifndef FR_MESSAGES_H
#define FR_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_records.h"
'''

HEADER_API = r'''
/* The APIs we serve and their version ranges, sorted by key (generated);
 * the lookups and headers below are in fr_protocol.c. */
typedef struct fr_api_info {
    int16_t key;
    const char *name;          /* Kafka's name, e.g. "ListOffsets" */
    int16_t min_version, max_version;
    int16_t flexible_min;      /* first flexible version, or -1 if none */
} fr_api_info_t;

extern const fr_api_info_t fr_api_table[];
extern const size_t fr_api_table_len;

/* The entry for key, or NULL when we do not serve that API. */
const fr_api_info_t *fr_api_info(int16_t key);
/* 1 when we serve key at version. */
int fr_api_supports(int16_t key, int16_t version);
/* 1 when key is known and version >= its first flexible version (Kafka
 * never goes back, so this also holds for versions newer than we serve). */
int fr_api_is_flexible(int16_t key, int16_t version);

/*
 * Request header (v1, or v2 with a tag section for flexible versions).
 * client_id is a classic nullable string in both, and borrows from the buffer.
 */
typedef struct fr_request_header {
    int16_t api_key, api_version;
    int32_t correlation_id;
    fr_slice_t client_id;
} fr_request_header_t;

/* Reads the header at the start of a request frame body.  For an API or
 * version we do not serve only the fixed part is read, and 0 returned, so
 * that the broker can answer UNSUPPORTED_VERSION.  0 or FR_ERR_PARSE. */
int fr_request_header_read(fr_reader_t *r, fr_request_header_t *h);
void fr_request_header_write(fr_writer_t *w, const fr_request_header_t *h);
/* Response header: v1 (with an empty tag section) for flexible versions,
 * except ApiVersions, whose response header is always v0. */
void fr_response_header_write(fr_writer_t *w, int16_t api_key, int16_t api_version,
                              int32_t correlation_id);
int fr_response_header_read(fr_reader_t *r, int16_t api_key, int16_t api_version,
                            int32_t *correlation_id);

/*
 * Dispatch by api key.  read_any allocates the message struct from the arena
 * and reads it; write_any takes a pointer to the struct for that key.  They
 * return FR_ERR_UNSUPPORTED_VERSION for an api/version we do not serve;
 * otherwise read_any returns 0 or FR_ERR_PARSE, write_any 0.
 */
int fr_request_read_any(fr_reader_t *r, int16_t key, int16_t version, fr_arena_t *arena,
                        void **out);
int fr_response_read_any(fr_reader_t *r, int16_t key, int16_t version, fr_arena_t *arena,
                         void **out);
int fr_request_write_any(fr_writer_t *w, int16_t key, int16_t version, const void *msg);
int fr_response_write_any(fr_writer_t *w, int16_t key, int16_t version, const void *msg);
'''

SAMPLE_FIXED = r'''
/* Sample values: deterministic, non-trivial, allocated from the arena.
 * Out of memory is not worth handling in test support: abort. */
static void *sample_alloc(fr_arena_t *arena, int32_t n, size_t size) {
    void *p = fr_arena_calloc(arena, (size_t)n, size);
    if (!p)
        abort();
    return p;
}

static fr_slice_t sample_string(fr_arena_t *arena, const char *name, int idx) {
    char buf[96];
    int n = snprintf(buf, sizeof(buf), "%s-%d", name, idx);
    char *s = fr_arena_strndup(arena, buf, (size_t)n);
    if (!s)
        abort();
    return (fr_slice_t){(const uint8_t *)s, n};
}

static fr_records_t sample_records(fr_arena_t *arena, int seed) {
    int32_t len = 5 + seed % 7;
    uint8_t *p = sample_alloc(arena, len, 1);
    for (int32_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seed * 31 + i);
    return fr_records_mem(p, len);
}

static void sample_uuid(uint8_t u[16], int seed) {
    for (int i = 0; i < 16; i++)
        u[i] = (uint8_t)(seed + i * 17 + 1);
}
'''


def gen_files(apis, out_dir):
    apis = sorted(apis, key=lambda a: a.key)
    h, c, sh, sc = [], [], [], []

    h += [BANNER, HEADER_TOP.lstrip('\n').rstrip('\n'), '', '/* Api keys. */', 'enum {']
    width = max(len(a.enum) for a in apis)
    h += ['    %-*s = %d,' % (width, a.enum, a.key) for a in apis] + ['};']
    h += HEADER_API.rstrip('\n').split('\n')

    c += [BANNER, '#include <string.h>', '', '#include "fr_codec.h"', '#include "fr_messages.h"', '',
          'const fr_api_info_t fr_api_table[] = {']
    for a in apis:
        flex = a.flex_min if a.flex_min is not None else -1
        c.append('    {%s, "%s", %d, %d, %d},' % (a.enum, a.name, a.versions[0], a.versions[1], flex))
    c += ['};', 'const size_t fr_api_table_len = sizeof(fr_api_table) / sizeof(fr_api_table[0]);']

    sh += [BANNER, '/*', ' * fr_messages_sample.h — sample values for every message, for tests and',
           ' * fuzz seeds only (not used by the broker).  fr_<msg>_sample() fills a',
           ' * message with deterministic, non-trivial values valid for that version:',
           ' * arrays of 1-2 elements, non-empty strings, some nullable fields null,',
           ' * records of a few bytes.  Everything is allocated from the arena.', ' */',
           '#ifndef FR_MESSAGES_SAMPLE_H', '#define FR_MESSAGES_SAMPLE_H', '',
           '#include "fr_messages.h"', '',
           '/* A sample request/response for key at version, or NULL if not served. */',
           'void *fr_request_sample_any(int16_t key, int16_t version, fr_arena_t *arena);',
           'void *fr_response_sample_any(int16_t key, int16_t version, fr_arena_t *arena);', '']
    sc += [BANNER, '#include <stdio.h>', '#include <stdlib.h>', '', '#include "fr_messages_sample.h"']
    sc += SAMPLE_FIXED.rstrip('\n').split('\n')

    for a in apis:
        flex = 'flexible v%d+' % a.flex_min if a.flex_min is not None else 'never flexible'
        title = '%s (key %d, v%d-%d, %s)' % (a.name, a.key, a.versions[0], a.versions[1], flex)
        rule = '/* ' + '-' * 8 + ' ' + title + ' ' + '-' * max(4, 66 - len(title)) + ' */'
        h += ['', rule, '']
        c += ['', rule, '']
        sc += ['', rule, '']
        for m in a.messages:
            for s in m.structs + [m.root]:
                h += gen_typedef(s)
            for s in m.structs:
                h.append('void %s_init(%s *m);' % (s.fn, s.ctype))
            h += ['void %s_init(%s *m);' % (m.fn, m.root.ctype),
                  'int %s_read(fr_reader_t *r, int16_t version, fr_arena_t *arena, %s *out);'
                  % (m.fn, m.root.ctype),
                  'void %s_write(fr_writer_t *w, int16_t version, const %s *in);' % (m.fn, m.root.ctype),
                  '']
            for s in m.structs + [m.root]:
                c += gen_init(s) + gen_read(s) + gen_write(s)
                sc += gen_sample(s)
            sh.append('void %s_sample(%s *m, int16_t version, fr_arena_t *arena);' % (m.fn, m.root.ctype))
            sc += ['void %s_sample(%s *m, int16_t version, fr_arena_t *arena) {' % (m.fn, m.root.ctype),
                   '    sample_%s(m, version, arena, 0);' % m.fn, '}', '']

    c += ['', '/* ' + '-' * 8 + ' dispatch by api key ' + '-' * 47 + ' */', '']
    for kind in ('request', 'response'):
        c += ['int fr_%s_read_any(fr_reader_t *r, int16_t key, int16_t version, fr_arena_t *arena,' % kind,
              '%svoid **out) {' % (' ' * len('int fr_%s_read_any(' % kind)),
              '    *out = NULL;',
              '    if (!fr_api_supports(key, version))',
              '        return FR_ERR_UNSUPPORTED_VERSION;',
              '    switch (key) {']
        for a in apis:
            fn = 'fr_%s_%s' % (a.snake, kind)
            c += ['    case %s: {' % a.enum,
                  '        %s_t *m = fr_arena_alloc(arena, sizeof(*m));' % fn,
                  '        if (!m)',
                  '            return fr_reader_fail(r, "out of memory");',
                  '        *out = m;',
                  '        return %s_read(r, version, arena, m);' % fn,
                  '    }']
        c += ['    }', '    return FR_ERR_UNSUPPORTED_VERSION;', '}', '']
        c += ['int fr_%s_write_any(fr_writer_t *w, int16_t key, int16_t version, const void *msg) {' % kind,
              '    if (!fr_api_supports(key, version))',
              '        return FR_ERR_UNSUPPORTED_VERSION;',
              '    switch (key) {']
        for a in apis:
            c += ['    case %s:' % a.enum,
                  '        fr_%s_%s_write(w, version, msg);' % (a.snake, kind),
                  '        return 0;']
        c += ['    }', '    return FR_ERR_UNSUPPORTED_VERSION;', '}', '']
        sc += ['void *fr_%s_sample_any(int16_t key, int16_t version, fr_arena_t *arena) {' % kind,
               '    if (!fr_api_supports(key, version))',
               '        return NULL;',
               '    switch (key) {']
        for a in apis:
            fn = 'fr_%s_%s' % (a.snake, kind)
            sc += ['    case %s: {' % a.enum,
                   '        %s_t *m = sample_alloc(arena, 1, sizeof(*m));' % fn,
                   '        %s_sample(m, version, arena);' % fn,
                   '        return m;',
                   '    }']
        sc += ['    }', '    return NULL;', '}', '']

    h += ['#endif']
    sh += ['', '#endif']
    os.makedirs(out_dir, exist_ok=True)
    for name, lines in (('fr_messages.h', h), ('fr_messages.c', c),
                        ('fr_messages_sample.h', sh), ('fr_messages_sample.c', sc)):
        while lines and lines[-1] == '':
            lines.pop()
        text = '\n'.join(w for line in lines for l in line.split('\n') for w in wrap(l))
        write_file(os.path.join(out_dir, name), text + '\n')


def write_file(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True, help='directory for the generated files')
    ap.add_argument('defs', nargs='+', help='message definition files (*.def)')
    args = ap.parse_args()
    try:
        apis = [parse_def(p) for p in sorted(args.defs)]
        seen = {}
        for a in apis:
            if a.key in seen or a.name in seen.values():
                raise DefError('%s: api %s (key %d) defined twice' % (a.path, a.name, a.key))
            seen[a.key] = a.name
    except (DefError, OSError) as e:
        sys.exit('gen_codecs: %s' % e)
    gen_files(apis, args.out)


if __name__ == '__main__':
    main()
