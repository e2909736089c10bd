"""What a user's machine does to a run: a second run into the same folder, a full disk, Ctrl-C.

- **One process per run folder.** ``claim_run_dir`` takes an OS file lock (``filelock``) on the
  run folder for the run's life; the lock is released on any exit, even ``kill -9`` (the OS drops
  it), so a lock left by a killed run is simply taken over. A second run that would write the same
  folder stops at once with one line naming the holder's PID.
- **Disk space.** ``check_free_space`` refuses a run before training when the disk cannot hold
  its weights and backups; ``DiskFullError`` turns ``No space left on device`` into one line.
- **Interrupts.** Ctrl-C and SIGTERM (``kill``, a batch system's time limit) stop a run the same way
  (``terminate_as_interrupt``): the ``with`` blocks unwind, so temporary folders are removed and the
  lock released, and ``interrupted_message`` names the kept backup and the command that resumes.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shlex
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from filelock import FileLock, Timeout

from lungxray.errors import DiskFullError, LungxrayError  # noqa: F401  (DiskFullError re-exported)

log = logging.getLogger(__name__)

LOCK_NAME = ".lungxray.lock"
OWNER_NAME = ".lungxray.owner"  # "PID TIME": who holds the lock (the lock file itself is not read)
_held: dict[Path, FileLock] = {}
_claimed: list[Path] = []  # run folders claimed since the last run_dir_locks(), for the interrupt message


class RunFolderBusy(LungxrayError):
    """Another live process holds the run folder."""


def _owner(path: Path) -> tuple[int | None, str]:
    try:
        pid, started = (path / OWNER_NAME).read_text().split(" ", 1)
        return int(pid), started.strip()
    except (OSError, ValueError):
        return None, ""


def finished(path: Path) -> bool:
    """A run folder whose run wrote everything: results.json and, after it, report.pdf."""
    from lungxray.results.files import REPORT, RESULTS

    return (path / RESULTS).exists() and (path / REPORT).exists()


def unreported(path: Path) -> bool:
    """A run folder with results.json but no report.pdf: a run stopped (``kill -9``) between the two."""
    from lungxray.results.files import REPORT, RESULTS

    return (path / RESULTS).exists() and not (path / REPORT).exists()


def run_folder_for(out: Path, overwrite: bool = False) -> Path:
    """The folder ``claim_run_dir`` would take: ``out``, or the first of ``out-2``, ``out-3``, ... that does not
    hold a finished run (see there); nothing is created."""
    out = Path(out)
    path, i = out, 1
    while finished(path) and not overwrite:
        i += 1
        path = out.parent / f"{out.name}-{i}"
    return path


def claim_run_dir(out: Path, overwrite: bool = False) -> Path:
    """The run folder this run writes, locked for this process until ``release_run_dirs``.

    The folder is ``out`` unless it holds a finished run: then, without ``overwrite``, the first of
    ``out-2``, ``out-3``, ... that is new or unfinished (an unfinished one is resumed, so running the
    same command again continues an interrupted ``-2`` run). If another live process holds that
    folder, raises ``RunFolderBusy`` naming it.
    """
    out = Path(out)
    path = run_folder_for(out, overwrite)
    path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        pid, started = _owner(path)
        who = f"process {pid}" + (f" (started {started})" if started else "") if pid else "another process"
        stop = f"stop it (kill {pid})" if pid else "stop it"
        raise RunFolderBusy(f"{path} is in use by {who}: wait for that run to finish, {stop} and run this "
                            "command again to resume it, or pass another --out.") from None
    pid, _ = _owner(path)
    if pid is not None and pid != os.getpid():
        log.warning("%s: taking over from process %d, which stopped without finishing (resuming its backup)",
                    path, pid)
    if path != out:
        log.warning("%s already holds a finished run; writing this one to %s (use --overwrite to replace it)",
                    out, path)
    if overwrite and (finished(path) or unreported(path)):
        from lungxray.results.files import prepare_run_dir

        prepare_run_dir(path, overwrite=True)  # removes the finished run's files
    from lungxray.results.files import atomic_write_text

    atomic_write_text(path / OWNER_NAME, f"{os.getpid()} {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    _held[path] = lock
    _claimed.append(path)
    return path


def release_run_dirs() -> None:
    for path, lock in list(_held.items()):
        with contextlib.suppress(OSError):
            (path / OWNER_NAME).unlink(missing_ok=True)
        lock.release()
        del _held[path]


def held_run_dirs() -> list[Path]:
    return list(_held)


@contextlib.contextmanager
def run_dir_locks() -> Iterator[None]:
    """Release every run folder claimed inside, however the block ends."""
    _claimed.clear()
    try:
        yield
    finally:
        release_run_dirs()


# --- disk space ------------------------------------------------------------------------------

MB = 1 << 20


def _existing(path: Path) -> Path:
    path = Path(path).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(_existing(path)).free


def bytes_needed(n_params: int, optimizer_slots: int = 2) -> int:
    """What a run writes, generously: the latest backup, the previous one and the one being written
    (weights + optimizer slots, float32), the best weights, and 20 MB for CSVs, results and the PDF."""
    weights = 4 * n_params
    return 3 * weights * (1 + optimizer_slots) + weights + 20 * MB


def check_free_space(run_dir: Path, n_params: int) -> None:
    need, free = bytes_needed(n_params), free_bytes(run_dir)
    if free < need:
        raise DiskFullError(f"not enough disk space for {run_dir}: this run writes up to {need / MB:.0f} MB "
                            f"(weights, backups, results) and {free / MB:.0f} MB are free. Free some space or "
                            "pass --out on another disk.")


def is_disk_full(exc: BaseException) -> bool:
    text = str(exc)
    return (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or \
        "No space left on device" in text or "Disk quota exceeded" in text


def disk_full_error(exc: BaseException, file: Path | str | None = None) -> DiskFullError:
    """One line for a write that failed for lack of space: the file (when known) and the space left, and the
    backup only where one exists."""
    file = file or getattr(exc, "filename", None)
    where = Path(file) if file else (held_run_dirs() or _claimed or [Path.cwd()])[-1]
    free = free_bytes(where)
    what = f"writing {file}" if file else f"(a write of this run; {where} is on that disk)"
    dirs = held_run_dirs() or _claimed
    kept = any((d / "backup").is_dir() for d in dirs)
    then = ("The last finished epoch's backup is kept: free some space and run the same command again to resume."
            if kept else "Free some space (or pass --out on another disk) and run the same command again.")
    return DiskFullError(f"no space left on device {what} ({free / MB:.0f} MB free). {then}")


# --- interrupts ------------------------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, as Ctrl-C raises KeyboardInterrupt."""

    exit_code = 143  # 128 + SIGTERM, as a shell reports a terminated process


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Inside: SIGTERM raises ``Terminated`` (a KeyboardInterrupt) instead of ending the process on the spot."""
    import signal

    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def resume_command(prog: str, argv: Sequence[str]) -> str:
    return " ".join([prog, shlex.join(list(argv))]).strip()


def interrupted_message(prog: str, argv: Sequence[str], terminated: bool = False) -> str:
    dirs = held_run_dirs() or _claimed
    kept = [d for d in dirs if (d / "backup").is_dir()]
    where = (f"the last finished epoch's backup is kept in {', '.join(str(d / 'backup') for d in kept)}"
             if kept else "no epoch had finished, so the run starts over")
    how = "terminated (SIGTERM)" if terminated else "interrupted"
    return f"{how}: {where}. Resume with: {resume_command(prog, argv)}"
