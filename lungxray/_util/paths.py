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


def _exists(path: Path) -> bool:
    """Whether anything (a dangling link too) is there; a name too long for the file system is not."""
    try:
        path.lstat()
        return True
    except OSError:  # missing, a file where a folder should be on the way, or a name too long
        return False


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def writable_folder(path: Path | str, what: str, way_out: str, need_bytes: int = 0, create: bool = True) -> Path:
    """``path`` as a folder this process can write ``need_bytes`` into; else one clear error.

    ``what`` names the folder for the user (``--out``, ``$LUNGXRAY_CACHE``); ``way_out`` says what to do. With
    ``create`` a missing folder is made; without, the nearest folder that exists is checked in its place (so a
    refused run leaves nothing behind) and the missing names must fit the file system."""
    path = Path(path).expanduser()
    existing = path
    while not _exists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what_it_is = (f"a symbolic link to {os.readlink(existing)}, which does not exist" if existing.is_symlink()
                      and not existing.exists() else "a file")
        where = "" if existing == path else f" ({existing} is {what_it_is})"
        raise UnwritableFolderError(f"{what} {path} is not a folder{where}: {way_out}")
    missing = path.relative_to(existing).parts if existing != path else ()
    limit = _name_max(existing)
    too_long = [n for n in missing if len(os.fsencode(n)) > limit]
    if too_long:
        raise UnwritableFolderError(f"{what} {path}: the name {too_long[0][:40]}... is longer than the file system "
                                    f"allows ({limit} bytes): {way_out}")
    if create and missing:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UnwritableFolderError(f"{what} {path} cannot be created ({_why(exc)}): {way_out}") from None
        existing = path
    try:  # the only test that holds for every cause (modes, ACLs, read-only mounts, quotas): write a file
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".lungxray-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UnwritableFolderError(f"{what} {path} is not writable ({_why(exc)}" +
                                    (f" in {existing}" if existing != path else "") + f"): {way_out}") from None
    free = shutil.disk_usage(existing).free
    if free < need_bytes:
        raise DiskFullError(f"not enough disk space for {what} {path}: {need_bytes / MB:.0f} MB needed, "
                            f"{free / MB:.0f} MB free: {way_out}")
    return path
