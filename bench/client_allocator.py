"""The allocator of the benchmark's client processes.

Every client bench/run starts (Freshet's perf tools against Freshet and the
mock, the Redis client against Redis) gets its environment from client_env,
so every peer is measured with the same one.  With glibc's malloc,
librdkafka's consumer spends its time in the allocator's locks: its fetch
thread allocates each record's message and the application's thread frees
it (bench/README.md, "The clients' allocator").
"""
import glob
import os


def find_jemalloc():
    """The path of Debian's libjemalloc2 (multiarch lib dirs), or None."""
    found = sorted(glob.glob("/usr/lib/*/libjemalloc.so.2") + glob.glob("/lib/*/libjemalloc.so.2"))
    return found[0] if found else None


def client_env(allocator):
    """The environment of a client process on allocator ("jemalloc" or "glibc")."""
    env = dict(os.environ)
    if allocator == "jemalloc":
        lib = find_jemalloc()
        if not lib:
            raise SystemExit("bench/run: --client-malloc jemalloc needs libjemalloc2 "
                             "(scripts/install-deps --bench), or pass --client-malloc glibc")
        env["LD_PRELOAD"] = " ".join(x for x in (lib, env.get("LD_PRELOAD")) if x)
        # An 8-partition fetch response's buffer is 8 MiB, jemalloc's oversize threshold:
        # served from an arena that returns its pages at once, each response faulted them in again.
        env.setdefault("MALLOC_CONF", "oversize_threshold:0")
    return env
