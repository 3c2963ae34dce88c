"""When a file may have changed without being read again: its stamp.

Size and modification time alone are not enough: ``cp -p``, ``rsync -a`` and tar set the
modification time of the copy to the original's, so a one-letter fix copied in keeps both. The
stamp adds the inode number (a file replaced by a rename, as rsync and tar do, has a new one)
and the inode change time, which the kernel sets on every write, rename or ``utime`` and no
tool can set back. A stamp taken within RACY_NS of a write is not trusted either (a second
write in the same clock tick would leave it as it was): such a file is read and hashed again.
"""

from __future__ import annotations

import os

#: A stamp whose change time is this close to when it was taken is not trusted (see the module).
RACY_NS = 2_000_000_000

Stamp = tuple[int, int, int, int]
"""Size, modification time (ns), inode number, inode change time (ns)."""


def stamp_of(st: os.stat_result) -> Stamp:
    """The stamp of a file from its ``stat``."""
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def trusted_stamp(st: os.stat_result, taken_ns: int) -> Stamp:
    """The stamp to remember for a file whose ``stat`` was taken at ``taken_ns``, before reading it.

    A file changed less than RACY_NS before that could change again within the same clock tick
    and keep every field: its stamp is marked so that it never matches (see same_file).
    """
    stamp = stamp_of(st)
    if max(st.st_ctime_ns, st.st_mtime_ns) >= taken_ns - RACY_NS:
        return (*stamp[:3], RACY)
    return stamp


#: The change time of a stamp taken too soon after a write (no real change time has it).
RACY = -1


def is_racy(stamp: Stamp) -> bool:
    """True for a stamp taken too soon after a write to be trusted (see trusted_stamp)."""
    return stamp[3] == RACY
