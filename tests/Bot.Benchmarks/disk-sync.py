#!/usr/bin/env python3
"""How long a small log's fsync waits on this disk while another file is written and synced beside it.

The bot's SQLite store answers webhooks after an fsync of its log (a few hundred KB each time) and, once a second,
checkpoints: it copies tens of MB of pages into the database file and syncs that. This measures the first beside a
stand-in for the second, in a scratch folder:

  python3 tests/Bot.Benchmarks/disk-sync.py                          # the log's syncs alone
  python3 tests/Bot.Benchmarks/disk-sync.py --burst 48               # beside 48 MiB written then synced each second
  python3 tests/Bot.Benchmarks/disk-sync.py --burst 48 --writeback   # the same, written back as it is written
  python3 tests/Bot.Benchmarks/disk-sync.py --burst 48 --writeback --grow [--datasync]

--grow: the other file grows by each burst, as a storm's database does, instead of being rewritten in place; --datasync:
the log synced with fdatasync (as the store does on Linux) instead of fsync. Each sync over 20 ms is listed with when it
came. --writeback runs a thread that, while the burst is being written, writes back what was written so far and waits for it
(Linux's sync_file_range), as the store does during a checkpoint (src/Bot.Storage/Sqlite/CheckpointWriteback.cs).
Figures: docs/benchmarks.md.
"""
import argparse
import ctypes
import os
import tempfile
import threading
import time

WAIT_BEFORE, WRITE, WAIT_AFTER = 1, 2, 4

parser = argparse.ArgumentParser()
parser.add_argument("--burst", type=int, default=0, help="MiB written to the other file each period (0: none)")
parser.add_argument("--period", type=float, default=1.0, help="seconds between bursts")
parser.add_argument("--seconds", type=float, default=15.0)
parser.add_argument("--writeback", action="store_true", help="write the burst back as it is written")
parser.add_argument("--folder", default=None, help="where to write (default: a temporary folder)")
parser.add_argument("--grow", action="store_true", help="the other file grows for ever, as a storm's database does (default: rewritten within 512 MiB)")
parser.add_argument("--datasync", action="store_true", help="sync the log with fdatasync (its data, not its times) instead of fsync")
args = parser.parse_args()

libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
folder = args.folder or tempfile.mkdtemp(prefix="disk-sync-")
stop = time.time() + args.seconds
burst_syncs = []


def bursts():
    fd = os.open(os.path.join(folder, "database"), os.O_CREAT | os.O_RDWR)
    piece = os.urandom(1 << 20)
    offset = 0
    while time.time() < stop:
        writing = [True]

        def writeback():
            while writing[0]:
                libc.sync_file_range(fd, 0, 0, WAIT_BEFORE | WRITE | WAIT_AFTER)
                time.sleep(0.0005)

        helper = threading.Thread(target=writeback) if args.writeback else None
        if helper:
            helper.start()
        for _ in range(args.burst):  # about 1 ms a MiB, as a checkpoint copies pages
            os.pwrite(fd, piece, offset if args.grow else offset % (512 << 20))
            offset += 1 << 20
            time.sleep(0.001)
        writing[0] = False
        if helper:
            helper.join()
        started = time.perf_counter()
        os.fsync(fd)
        burst_syncs.append((time.perf_counter() - started) * 1000)
        time.sleep(args.period)
    os.close(fd)


other = threading.Thread(target=bursts) if args.burst else None
if other:
    other.start()
fd = os.open(os.path.join(folder, "log"), os.O_CREAT | os.O_RDWR)
sync = os.fdatasync if args.datasync else os.fsync
block = os.urandom(64 << 10)
waits = []
slow = []  # (seconds into the run, ms) of each sync over 20 ms
begun = time.perf_counter()
offset = 0
while time.time() < stop:
    os.pwrite(fd, block, offset % (64 << 20))
    offset += 64 << 10
    started = time.perf_counter()
    sync(fd)
    waits.append((time.perf_counter() - started) * 1000)
    if waits[-1] > 20:
        slow.append((started - begun, waits[-1]))
    time.sleep(0.002)
os.close(fd)
if other:
    other.join()
waits.sort()
n = len(waits)
print(f"burst={args.burst} MiB every {args.period} s writeback={args.writeback} grow={args.grow} "
      f"{'fdatasync' if args.datasync else 'fsync'}: {n} syncs of 64 KB, "
      f"p50={waits[n // 2]:.2f} p99={waits[int(n * .99)]:.2f} p99.9={waits[int(n * .999)]:.2f} max={waits[-1]:.2f} ms, "
      f"{sum(1 for w in waits if w > 20)} over 20 ms")
if slow:
    print("syncs over 20 ms (s into the run: ms):", " ".join(f"{at:.1f}:{ms:.0f}" for at, ms in slow))
if burst_syncs:
    print("the bursts' own fsyncs (ms):", " ".join(f"{s:.0f}" for s in burst_syncs))
for name in ("database", "log"):
    try:
        os.remove(os.path.join(folder, name))
    except FileNotFoundError:
        pass
if not args.folder:
    os.rmdir(folder)
