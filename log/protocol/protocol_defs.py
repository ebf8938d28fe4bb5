"""Reads Freshet's Kafka message definitions (log/protocol/defs/*.def).

parse_def(path) returns an Api holding a request and a response Message;
each Message has a root Struct and its nested Structs (children first); each
Struct has Fields with their effective version range, nullable range, default
and tag.  The format is described in defs/README.md.  Mistakes in a
definition raise DefError('file:line: message').
"""

import re

VMAX = 0x7FFF  # "N+" ranges are open up to this

# name: (C type, reader, writer, minimum wire size)
SCALARS = {
    'int8': ('int8_t', 'fr_read_i8', 'fr_write_i8', 1),
    'int16': ('int16_t', 'fr_read_i16', 'fr_write_i16', 2),
    'uint16': ('uint16_t', 'fr_read_u16', 'fr_write_u16', 2),
    'int32': ('int32_t', 'fr_read_i32', 'fr_write_i32', 4),
    'int64': ('int64_t', 'fr_read_i64', 'fr_write_i64', 8),
    'float64': ('double', 'fr_read_f64', 'fr_write_f64', 8),
    'bool': ('bool', 'fr_codec_read_bool', 'fr_write_bool', 1),
    'uuid': ('uint8_t', 'fr_read_uuid', 'fr_write_uuid', 16),
}
BLOBS = ('string', 'bytes', 'records')
INT_RANGES = {'int8': 8, 'int16': 16, 'int32': 32, 'int64': 64}


class DefError(Exception):
    pass


def snake(name):
    s = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', name)
    return re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', s).lower()


def intersect(a, b):
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


def parse_range(text, where):
    m = re.fullmatch(r'v(\d+)(\+|-(\d+))?', text)
    if not m:
        raise DefError('%s: bad version range %r (want vN, vN+ or vA-B)' % (where, text))
    lo = int(m.group(1))
    hi = VMAX if m.group(2) == '+' else int(m.group(3) or lo)
    if hi < lo:
        raise DefError('%s: empty version range %r' % (where, text))
    return (lo, hi)


class Api:
    def __init__(self, path):
        self.path = path
        self.name = None
        self.key = None
        self.versions = None
        self.flex_min = None   # None: never flexible
        self.messages = []     # request, response

    @property
    def snake(self):
        return snake(self.name)

    @property
    def enum(self):
        return 'FR_API_' + self.snake.upper()


class Field:
    def __init__(self, where, name, typ, array):
        self.where = where
        self.name = name
        self.snake = snake(name)
        self.type = typ          # scalar, blob or struct name
        self.array = array
        self.struct = None       # Struct, for struct and []struct fields
        self.versions = None     # effective (lo, hi)
        self.nullable = None     # (lo, hi) within versions, or None
        self.default = None      # raw text from the definition
        self.tag = None
        self.k = 0               # sample-value seed

    @property
    def is_struct(self):
        return self.struct is not None


class Struct:
    def __init__(self, msg, name, versions):
        self.msg = msg
        self.name = name
        self.versions = versions
        self.fields = []
        self.child_indent = None
        self.needs_is_default = False

    @property
    def fn(self):
        if self.name == self.msg.name:
            return 'fr_%s_%s' % (self.msg.api.snake, self.msg.kind)
        return 'fr_%s_%s_%s' % (self.msg.api.snake, self.msg.kind, snake(self.name))

    @property
    def ctype(self):
        return self.fn + '_t'

    @property
    def is_root(self):
        return self.name == self.msg.name


class Message:
    def __init__(self, api, kind):
        self.api = api
        self.kind = kind
        self.name = api.name + kind.capitalize()
        self.root = Struct(self, self.name, api.versions)
        self.structs = []  # nested structs, children before parents

    @property
    def fn(self):
        return self.root.fn


# ---------------------------------------------------------------- parsing

def parse_def(path):
    api = Api(path)
    msg = None
    stack = []  # (indent, Struct) of the structs being filled
    seed = 0
    for lineno, raw in enumerate(open(path, encoding='utf-8'), 1):
        where = '%s:%d' % (path, lineno)
        text = raw.split('#', 1)[0].rstrip()
        if not text.strip():
            continue
        if '\t' in text:
            raise DefError('%s: use spaces, not tabs' % where)
        indent = len(text) - len(text.lstrip(' '))
        words = text.split()
        if indent == 0:
            kw, args = words[0], words[1:]
            if kw in ('request', 'response'):
                if api.versions is None or api.name is None or api.key is None:
                    raise DefError('%s: api, key and versions come first' % where)
                msg = Message(api, kw)
                api.messages.append(msg)
                stack = [(-1, msg.root)]
            elif kw == 'api' and len(args) == 1 and re.fullmatch(r'[A-Z][A-Za-z0-9]*', args[0]):
                api.name = args[0]
            elif kw == 'key' and len(args) == 1 and args[0].isdigit():
                api.key = int(args[0])
            elif kw == 'versions' and len(args) == 1:
                api.versions = parse_range('v' + args[0], where)
            elif kw == 'flexible' and len(args) == 1:
                api.flex_min = None if args[0] == 'none' else parse_range('v' + args[0], where)[0]
            else:
                raise DefError('%s: cannot parse %r' % (where, text.strip()))
            continue
        if msg is None:
            raise DefError('%s: field outside request/response' % where)
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if parent.child_indent is None:
            parent.child_indent = indent
        elif parent.child_indent != indent:
            raise DefError('%s: inconsistent indentation' % where)
        seed += 1
        field = parse_field(where, words, parent, msg, seed)
        parent.fields.append(field)
        if field.struct:
            stack.append((indent, field.struct))
    if not api.messages or [m.kind for m in api.messages] != ['request', 'response']:
        raise DefError('%s: need a request and then a response section' % path)
    for m in api.messages:
        check_struct(m.root)
        m.structs = post_order(m.root)
    return api


def parse_field(where, words, parent, msg, seed):
    if len(words) < 2:
        raise DefError('%s: a field needs a name and a type' % where)
    name, typ = words[0], words[1]
    if not re.fullmatch(r'[A-Za-z][A-Za-z0-9]*', name):
        raise DefError('%s: bad field name %r' % (where, name))
    array = typ.startswith('[]')
    base = typ[2:] if array else typ
    f = Field(where, name, base, array)
    f.k = seed
    declared = None
    for w in words[2:]:
        key, _, val = w.partition('=')
        if key.startswith('v') and not val:
            declared = parse_range(w, where)
        elif key == 'nullable':
            f.nullable = parse_range(val, where) if val else (0, VMAX)
        elif key == 'default' and val:
            f.default = val
        elif key == 'tag' and val.isdigit():
            f.tag = int(val)
        else:
            raise DefError('%s: unknown attribute %r' % (where, w))
    f.versions = intersect(declared or parent.versions, parent.versions)
    if f.versions is None:
        raise DefError('%s: %s is never present in v%d-%d' % ((where, name) + parent.versions))
    if f.nullable:
        f.nullable = intersect(f.nullable, f.versions)
    if base not in SCALARS and base not in BLOBS:
        if not re.fullmatch(r'[A-Z][A-Za-z0-9]*', base):
            raise DefError('%s: unknown type %r' % (where, typ))
        if any(s.name == base for s in msg.structs) or base == msg.name:
            raise DefError('%s: struct %s defined twice in %s' % (where, base, msg.name))
        f.struct = Struct(msg, base, f.versions)
        msg.structs.append(f.struct)
    if f.nullable and not (array or base in BLOBS or f.is_struct):
        raise DefError('%s: only strings, bytes, records, arrays and structs can be nullable' % where)
    api = msg.api
    if f.tag is not None:
        if f.nullable and f.is_struct and not f.array:
            raise DefError('%s: a tagged struct cannot be nullable' % where)
        if api.flex_min is None or f.versions[0] < api.flex_min:
            raise DefError('%s: tagged fields exist only in flexible versions' % where)
        if f.type == 'records':
            raise DefError('%s: records cannot be tagged' % where)
    check_default(f)
    return f


def check_default(f):
    d = f.default
    if d is None:
        return
    if f.is_struct:
        if d != 'null' or f.array:
            raise DefError('%s: struct fields take their members\' defaults, or null' % f.where)
    elif f.array or f.type in ('bytes', 'records'):
        if d != 'null':
            raise DefError('%s: arrays and bytes default to empty or null' % f.where)
    elif f.type == 'string':
        if d != 'null' and not re.fullmatch(r'"[^"\\]*"', d):
            raise DefError('%s: string default must be null or "text"' % f.where)
    elif f.type == 'bool':
        if d not in ('true', 'false'):
            raise DefError('%s: bool default must be true or false' % f.where)
    elif f.type in INT_RANGES or f.type == 'uint16':
        try:
            v = int(d, 0)
        except ValueError:
            raise DefError('%s: bad integer default %r' % (f.where, d)) from None
        bits = INT_RANGES.get(f.type, 16)
        lo, hi = (0, 65535) if f.type == 'uint16' else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        if not lo <= v <= hi:
            raise DefError('%s: default %s out of range for %s' % (f.where, d, f.type))
    elif f.type == 'float64':
        float(d)
    else:
        raise DefError('%s: %s fields have no default' % (f.where, f.type))
    if d == 'null' and not f.nullable:
        raise DefError('%s: default=null needs nullable' % f.where)


def check_struct(s):
    names, tags = set(), set()
    for f in s.fields:
        for n in (f.snake, f.snake + '_count') if f.array else (f.snake, f.snake + '_null') if f.struct and \
                f.nullable else (f.snake,):
            if n in names:
                raise DefError('%s: C member name %s used twice in %s' % (f.where, n, s.name))
            names.add(n)
        if f.tag is not None:
            if f.tag in tags:
                raise DefError('%s: tag %d used twice in %s' % (f.where, f.tag, s.name))
            tags.add(f.tag)
        if f.struct:
            if not f.struct.fields:
                raise DefError('%s: struct %s has no fields' % (f.where, f.struct.name))
            check_struct(f.struct)
            if f.tag is not None and not f.array:
                if any(g.array or g.is_struct or g.type in BLOBS for g in f.struct.fields):
                    raise DefError('%s: a tagged struct may hold only scalars' % f.where)
                f.struct.needs_is_default = True


def post_order(s):
    """Nested structs of s, each after the structs it contains."""
    out = []
    for f in s.fields:
        if f.struct:
            out += post_order(f.struct) + [f.struct]
    return out
