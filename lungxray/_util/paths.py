"""Validate at the edge: every folder lungxray writes is checked before any work starts.

``writable_folder`` makes sure a folder exists (creating it), is a folder, takes a new file and has the room
asked for; anything else is one ``error:`` line naming the folder, what is wrong with it and the way out,
instead of a traceback halfway through a run. The run folder's parent (``--out``), the decode cache
(``$LUNGXRAY_CACHE``) and the temporary folder go through it.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from lungxray.errors import DiskFullError, LungxrayError

MB = 1 << 20


class UnwritableFolderError(LungxrayError):
    """A folder lungxray must write is a file, read-only, unnamable or not creatable."""


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "a name in it is longer than the file system allows"
    if exc.errno in (errno.EROFS,):
        return "it is on a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or type(exc).__name__


def writable_folder(path: Path | str, what: str, way_out: str, need_bytes: int = 0) -> Path:
    """``path`` as a folder this process can write ``need_bytes`` into, created if missing; else an error.

    ``what`` names the folder for the user (``--out``, ``$LUNGXRAY_CACHE``); ``way_out`` says what to do."""
    path = Path(path).expanduser()
    for p in (path, *path.parents):
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                where = "" if p == path else f" ({p} is a file)"
                raise UnwritableFolderError(f"{what} {path} is not a folder{where}: {way_out}")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnwritableFolderError(f"{what} {path} cannot be created ({_why(exc)}): {way_out}") from None
    try:  # the only test that holds for every cause (modes, ACLs, read-only mounts, quotas): write a file
        fd, probe = tempfile.mkstemp(dir=path, prefix=".lungxray-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UnwritableFolderError(f"{what} {path} is not writable ({_why(exc)}): {way_out}") from None
    free = shutil.disk_usage(path).free
    if free < need_bytes:
        raise DiskFullError(f"not enough disk space in {what} {path}: {need_bytes / MB:.0f} MB needed, "
                            f"{free / MB:.0f} MB free: {way_out}")
    return path
