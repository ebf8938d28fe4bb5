"""The benchmark's data disk: what filesystem the peers write to, and an XFS
one on demand.

The page cache of the data dir's filesystem is a large share of a broker's
cost on 1 KiB rows (see bench/README.md), so every result records which
filesystem it was measured on (describe), and `bench/run --xfs GIB` can put
every peer's data on XFS, the filesystem Kafka's and Redpanda's operations
guides recommend, on a machine whose only disk is formatted otherwise.

XfsLoop makes that XFS in an image file on the existing disk, attached as a
loop device with direct I/O: the loop device reads and writes the image with
O_DIRECT, so every byte still reaches the same disk, once, without a second
page cache on the way.  The loop device's worker threads are CPU time the
peers share, as a real disk's driver would be.  Needs root, losetup and
mkfs.xfs (xfsprogs, installed by scripts/install-deps --bench).
"""
import os
import shutil
import subprocess
import sys
import tempfile


def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), (r.stderr or r.stdout).strip()[-400:]))
    return r.stdout.strip()


def _mount_of(path):
    """(source, fstype, target) of the mount holding path, from /proc/self/mountinfo."""
    path = os.path.realpath(path)
    best = None
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields, rest = left.split(), right.split()
                if len(fields) < 5 or len(rest) < 2:
                    continue
                target = fields[4].replace("\\040", " ")
                inside = path == target or path.startswith(target.rstrip("/") + "/")
                if inside and (best is None or len(target) >= len(best[2])):
                    best = (rest[1], rest[0], target)
    except OSError:
        pass
    return best


def describe(path):
    """What the data dir is on: filesystem type, device, mount point, and for a
    loop device the file behind it and whether it uses direct I/O."""
    m = _mount_of(path)
    if not m:
        return {"path": path, "fs": "unknown"}
    source, fstype, target = m
    d = {"path": path, "fs": fstype, "device": source, "mount": target}
    name = os.path.basename(source)
    if name.startswith("loop"):
        sysdir = "/sys/block/%s/loop" % name
        try:
            with open(os.path.join(sysdir, "backing_file")) as f:
                backing = f.read().strip()
            with open(os.path.join(sysdir, "dio")) as f:
                dio = f.read().strip() == "1"
            back = _mount_of(backing)
            d["loop"] = {"backing_file": backing, "direct_io": dio,
                         "backing_fs": back[1] if back else "unknown", "backing_device": back[0] if back else None}
        except OSError:
            pass
    return d


def summary(d):
    """One line for the report, e.g. 'xfs on /dev/loop0 (an image on ext4 /dev/vda, direct I/O)'."""
    s = "%s on %s" % (d.get("fs", "unknown"), d.get("device", "?"))
    loop = d.get("loop")
    if loop:
        s += " (an image on %s %s, %s)" % (loop["backing_fs"], loop["backing_device"] or "?",
                                          "direct I/O" if loop["direct_io"] else "buffered: its page cache doubles")
    return s


class XfsLoop:
    """An XFS of size_gib GiB in an image under where, mounted on a temp dir.
    close() unmounts, detaches and deletes everything it made, whatever
    happened before; it is safe to call twice."""

    def __init__(self, where, size_gib):
        self.image = self.device = self.mount = None
        if os.geteuid() != 0:
            raise RuntimeError("--xfs needs root (losetup and mount)")
        for tool in ("losetup", "mkfs.xfs", "mount", "umount"):
            if not shutil.which(tool):
                raise RuntimeError("--xfs needs %s (xfsprogs / util-linux): run scripts/install-deps --bench" % tool)
        try:
            os.makedirs(where, exist_ok=True)
            fd, self.image = tempfile.mkstemp(prefix="bench-xfs-", suffix=".img", dir=where)
            try:
                # Blocks reserved now: the direct writes then never wait for allocation.
                os.posix_fallocate(fd, 0, size_gib << 30)
            except OSError as e:
                raise RuntimeError("cannot reserve %d GiB for the XFS image in %s: %s" % (size_gib, where, e))
            finally:
                os.close(fd)
            _run(["mkfs.xfs", "-q", "-f", self.image])
            self.device = _run(["losetup", "--direct-io=on", "--find", "--show", self.image])
            self.mount = tempfile.mkdtemp(prefix="bench-xfs-mnt-")
            _run(["mount", self.device, self.mount])
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.mount:
            if os.path.ismount(self.mount):
                subprocess.run(["umount", self.mount], capture_output=True, timeout=300)
            if not os.path.ismount(self.mount):
                os.rmdir(self.mount)
                self.mount = None
        if self.device and not self.mount:
            subprocess.run(["losetup", "-d", self.device], capture_output=True, timeout=60)
            self.device = None
        if self.image and not self.mount:
            os.unlink(self.image)
            self.image = None
        if self.mount or self.image:
            sys.stderr.write("bench/run: left behind (still busy): %s\n" %
                             ", ".join(x for x in (self.mount, self.device, self.image) if x))
