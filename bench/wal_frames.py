#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# wal_frames.py: the WAL frames of each commit by table and index (NOT a test; it prints
# figures). Input: a directory holding kuvert.db and kuvert.db-wal as `send_bench --profile
# min --letters N --batch B --wal-copy DIR` leaves them. The frames of the WAL's current
# generation (the header's salts; a restart after a checkpoint begins a new one) are split
# into commits at each commit frame; every frame's page number is named by SQLite's dbstat
# table on a copy of the database read with its WAL (the state after the last commit: a page
# that changed owner within the run counts for its last one, a page not in a b-tree as "?").
#
#   bench/wal_frames.py DIR [--skip K] [--letters-per-commit B]
#
# --skip K leaves out the generation's first K commits; --letters-per-commit adds a column
# of frames per letter. Last, the distinct pages of the counted commits: what one checkpoint
# of them writes into the database file.
import argparse
import collections
import os
import shutil
import sqlite3
import struct
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--letters-per-commit", type=float, default=0)
    a = ap.parse_args()
    with open(os.path.join(a.dir, "kuvert.db-wal"), "rb") as f:
        wal = f.read()
    if len(wal) < 32:
        raise SystemExit("wal_frames: no WAL header")
    _, _, psz, _, salt1, salt2, _, _ = struct.unpack(">8I", wal[:32])
    owner = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("kuvert.db", "kuvert.db-wal"):
            shutil.copy(os.path.join(a.dir, name), os.path.join(tmp, name))
        c = sqlite3.connect(os.path.join(tmp, "kuvert.db"))
        for name, pageno in c.execute("SELECT name, pageno FROM dbstat"):
            owner[pageno] = name
        c.close()
    commits, cur, off = [], [], 32
    while off + 24 + psz <= len(wal):
        pgno, size_after, s1, s2 = struct.unpack(">4I", wal[off:off + 16])
        if (s1, s2) != (salt1, salt2):
            break
        cur.append(pgno)
        off += 24 + psz
        if size_after:
            commits.append(cur)
            cur = []
    use = commits[a.skip:]
    if not use:
        raise SystemExit("wal_frames: no commit after the skipped ones")
    per = collections.Counter()
    for cm in use:
        for p in cm:
            per[owner.get(p, "?")] += 1
    frames = sum(len(cm) for cm in use)
    print("page size %d; %d commits in the generation, %d counted" % (psz, len(commits), len(use)))
    lpc = a.letters_per_commit
    print("%-32s %10s %10s" % ("b-tree", "per commit", "per letter" if lpc else ""))
    for name, v in per.most_common():
        print("%-32s %10.2f %10s" % (name, v / len(use), "%.3f" % (v / len(use) / lpc) if lpc else ""))
    print("%-32s %10.2f %10s" % ("all frames", frames / len(use),
                                 "%.3f" % (frames / len(use) / lpc) if lpc else ""))
    print("bytes per commit (frames of %d + 24): %.0f" % (psz, frames / len(use) * (psz + 24)))
    # what one checkpoint of the counted commits copies: each page once
    distinct = len(set(p for cm in use for p in cm))
    print("distinct pages over the %d commits (one checkpoint's page writes): %d (%.2f per commit)"
          % (len(use), distinct, distinct / len(use)))


if __name__ == "__main__":
    main()
