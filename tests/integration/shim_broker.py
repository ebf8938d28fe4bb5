"""A broker run under the LD_PRELOAD shim fsync_fault.c, which lets a test
fail, delay or count the broker's fsyncs, writebacks, block reservations and
cache warm-ups through flag and counter files in the broker's data dir."""
import os

from harness import Broker

SHIM = os.environ.get("FRESHET_FSYNC_SHIM")

# environment variable -> the ShimBroker attribute naming its file
_FILES = {
    "FR_FSYNC_FAIL_FLAG": "flag",
    "FR_FSYNC_COUNT_FILE": "counter",
    "FR_WRITEBACK_FAIL_FLAG": "wb_flag",
    "FR_SYNC_DELAY_FLAG": "delay_flag",
    "FR_WRITEBACK_COUNT_FILE": "wb_counter",
    "FR_WARM_HOLD_FLAG": "warm_flag",
    "FR_WARM_COUNT_FILE": "warm_counter",
    "FR_FALLOCATE_FAIL_FLAG": "fallocate_flag",
    "FR_FALLOCATE_COUNT_FILE": "fallocate_counter",
    "FR_POOL_READ_HOLD_FLAG": "pool_read_flag",
    "FR_POOL_READ_COUNT_FILE": "pool_read_counter",
    "FR_POOL_UNLINK_HOLD_FLAG": "pool_unlink_flag",
    "FR_POOL_UNLINK_COUNT_FILE": "pool_unlink_counter",
    "FR_POOL_MKDIR_HOLD_FLAG": "pool_mkdir_flag",
    "FR_POOL_MKDIR_COUNT_FILE": "pool_mkdir_counter",
    "FR_POOL_DIR_SYNC_HOLD_FLAG": "pool_dir_sync_flag",
    "FR_POOL_DIR_SYNC_COUNT_FILE": "pool_dir_sync_counter",
    "FR_DIR_LOG_FILE": "dir_log",
    "FR_FILE_SYNC_LOG_FILE": "file_sync_log",
    "FR_POOL_ZLIB_HOLD_FLAG": "pool_zlib_flag",
    "FR_POOL_ZLIB_COUNT_FILE": "pool_zlib_counter",
    "FR_MAIN_ZLIB_COUNT_FILE": "main_zlib_counter",
    "FR_POOL_LZ4_COUNT_FILE": "pool_lz4_counter",
    "FR_MAIN_LZ4_COUNT_FILE": "main_lz4_counter",
}


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class ShimBroker(Broker):
    def __init__(self, overrides):
        super().__init__(overrides=overrides)
        self.flag = os.path.join(self.data_dir, "fail-fsync")
        self.counter = os.path.join(self.data_dir, "fsync-count")
        self.wb_flag = os.path.join(self.data_dir, "fail-writeback")
        self.delay_flag = os.path.join(self.data_dir, "delay-syncs")
        self.wb_counter = os.path.join(self.data_dir, "writeback-count")
        self.warm_flag = os.path.join(self.data_dir, "hold-warm-ups")
        self.warm_counter = os.path.join(self.data_dir, "warm-up-count")
        self.fallocate_flag = os.path.join(self.data_dir, "refuse-fallocate")
        self.fallocate_counter = os.path.join(self.data_dir, "fallocate-count")
        self.pool_read_flag = os.path.join(self.data_dir, "hold-pool-reads")
        self.pool_read_counter = os.path.join(self.data_dir, "pool-read-count")
        self.pool_unlink_flag = os.path.join(self.data_dir, "hold-pool-unlinks")
        self.pool_unlink_counter = os.path.join(self.data_dir, "pool-unlink-count")
        self.pool_mkdir_flag = os.path.join(self.data_dir, "hold-pool-mkdirs")
        self.pool_mkdir_counter = os.path.join(self.data_dir, "pool-mkdir-count")
        self.pool_dir_sync_flag = os.path.join(self.data_dir, "hold-pool-dir-syncs")
        self.pool_dir_sync_counter = os.path.join(self.data_dir, "pool-dir-sync-count")
        self.dir_log = os.path.join(self.data_dir, "dir-events")
        self.file_sync_log = os.path.join(self.data_dir, "file-syncs")
        self.pool_zlib_flag = os.path.join(self.data_dir, "hold-pool-zlib")
        self.pool_zlib_counter = os.path.join(self.data_dir, "pool-zlib-count")
        self.main_zlib_counter = os.path.join(self.data_dir, "main-zlib-count")
        self.pool_lz4_counter = os.path.join(self.data_dir, "pool-lz4-count")
        self.main_lz4_counter = os.path.join(self.data_dir, "main-lz4-count")
        self.mkdir_hold_path = None  # when set, pool_mkdir_flag holds only the mkdir of this path

    def start(self, timeout=60):
        assert SHIM and os.path.exists(SHIM), "the fsync shim was not built"
        env = {"LD_PRELOAD": SHIM, "ASAN_OPTIONS": "verify_asan_link_order=0:detect_leaks=1"}
        env.update({k: getattr(self, attr) for k, attr in _FILES.items()})
        if self.mkdir_hold_path:
            env["FR_POOL_MKDIR_HOLD_PATH"] = self.mkdir_hold_path
        os.environ.update(env)
        try:
            return super().start(timeout)
        finally:
            for k in env:
                os.environ.pop(k, None)

    def dir_events(self):
        """[(what, path)]: every mkdir, directory fsync, rename (old path) and
        unlink so far, in order."""
        try:
            with open(self.dir_log) as f:
                return [tuple(line.rstrip("\n").split(" ", 1)) for line in f]
        except OSError:
            return []

    def file_syncs(self):
        """[path]: every fsync and fdatasync of a regular file so far, in order."""
        try:
            with open(self.file_sync_log) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def fsyncs(self):
        return _size(self.counter)

    def writebacks(self):
        return _size(self.wb_counter)

    def fallocates(self):
        return _size(self.fallocate_counter)

    def warm_ups(self):
        """sendfile calls into something other than a socket: cache warm-ups' reads."""
        return _size(self.warm_counter)

    def pool_reads(self):
        """pread calls off the broker's main thread (worker threads)."""
        return _size(self.pool_read_counter)

    def pool_unlinks(self):
        """unlinkat calls off the broker's main thread (worker threads)."""
        return _size(self.pool_unlink_counter)

    def pool_dir_syncs(self):
        """fsync calls on directories off the broker's main thread."""
        return _size(self.pool_dir_sync_counter)

    def pool_mkdirs(self):
        """mkdir calls off the broker's main thread (worker threads)."""
        return _size(self.pool_mkdir_counter)

    def pool_zlib_calls(self):
        """deflate and inflate calls off the broker's main thread (worker threads)."""
        return _size(self.pool_zlib_counter)

    def main_zlib_calls(self):
        """deflate and inflate calls on the broker's main thread (the network loop)."""
        return _size(self.main_zlib_counter)

    def pool_lz4_calls(self):
        """LZ4F_decompress calls off the broker's main thread (worker threads)."""
        return _size(self.pool_lz4_counter)

    def main_lz4_calls(self):
        """LZ4F_decompress calls on the broker's main thread (the network loop)."""
        return _size(self.main_lz4_counter)
