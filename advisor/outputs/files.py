"""Writing output files: never over an input, and atomically.

Every file a command writes (``--html``, ``report --out``, ``--write-config``, nightly
``--out`` / ``--store``) is first checked against every file the run reads (manifest
sources with their ``-wal`` / ``-shm`` / ``-journal`` companions, the breakers.yaml, the
rules file) and against the other outputs: writing a report over a manifest would
destroy the telemetry it reports on (issue 13, item 11).

``atomic_write`` writes a temporary file in the target's folder, fsyncs it and renames
it over the target, so a full disk or a crash leaves the previous file intact; the file
it replaces keeps its permission bits (and owner, where allowed), a new one gets
``0666 & ~umask`` like any file the user creates (not ``mkstemp``'s 0600, which would
lock out a runtime running as another user). Failures are ``UsageError``: one line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from advisor.errors import NoSourcesError, UsageError

SIDECARS = ("-wal", "-shm", "-journal")


def _key(path: Path) -> tuple[str, object]:
    """Identity of ``path``: (device, inode) when it exists, else its resolved name."""
    try:
        st = os.stat(path)
        return ("inode", (st.st_dev, st.st_ino))
    except OSError:
        return ("name", os.path.realpath(path))


def source_files(sources: Sequence[str | Path]) -> list[Path]:
    """The manifest files ``sources`` name, with their SQLite companion files."""
    from advisor.ingest.sources import discover_sources  # sources imports DuckDB

    try:
        files = discover_sources(sources)[0]
    except NoSourcesError:
        return []
    return [f.with_name(f.name + s) for f in files for s in ("", *SIDECARS)]


def refuse_inputs(
    outputs: Mapping[str, str | Path | None],
    *,
    sources: Sequence[str | Path] = (),
    inputs: Mapping[str, str | Path | None] | None = None,
) -> None:
    """Raise ``UsageError`` when an output path (``{option: path}``) is a file the run
    reads (a source, its companions, or an input, ``{description: path}``) or another
    output. Paths are compared by identity (hard links, symlinks) and by resolved name.

    Raises:
        UsageError: naming the option and what it would overwrite.
    """
    taken: dict[tuple[str, object], str] = {}
    for source in source_files(sources):
        taken.setdefault(_key(source), f"the source {source}")
    for option, path in (inputs or {}).items():
        if path is not None:
            taken.setdefault(_key(Path(path)), f"{option} {path}")
    for option, path in outputs.items():
        if path is None:
            continue
        key = _key(Path(path))
        if key in taken:
            raise UsageError(f"{option} {path}: refusing to overwrite {taken[key]}")
        taken[key] = f"the output {option} {path}"


def atomic_write(
    path: str | Path, data: str | bytes, *, what: str = "", make_parents: bool = False
) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary file in the same
    folder, fsync and rename; returns ``path``. A symlink is written through (the link
    stays); a character device or pipe (``/dev/stdout``) is written directly. A missing
    folder is created only with ``make_parents``.

    Raises:
        UsageError: the target cannot be written (one line naming it and why).
    """
    target = Path(path)
    label = f"{what} {target}".strip()
    payload = data.encode("utf-8") if isinstance(data, str) else data
    real = Path(os.path.realpath(target))
    try:
        old = os.stat(real)
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise UsageError(f"cannot write {label}: {exc.strerror or exc}") from None
    if old is not None and stat.S_ISDIR(old.st_mode):
        raise UsageError(f"cannot write {label}: it is a directory")
    if old is not None and not stat.S_ISREG(old.st_mode):
        return _write_in_place(target, payload, label)
    tmp = None
    try:
        if make_parents:
            real.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(real)
        try:
            if old is not None:
                with contextlib.suppress(OSError):
                    os.fchown(fd, old.st_uid, old.st_gid)  # only root may give files away
                os.fchmod(fd, stat.S_IMODE(old.st_mode))
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, real)
        tmp = None
        _fsync_dir(real.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {label}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return target


def _create_temp(real: Path) -> tuple[int, str]:
    """A new file ``.<name>.<random>.tmp`` beside ``real``, mode ``0666 & ~umask``."""
    for _ in range(100):
        name = str(real.with_name(f".{real.name}.{secrets.token_hex(4)}.tmp"))
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), name
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "no free temporary name")


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_in_place(target: Path, payload: bytes, label: str) -> Path:
    try:
        with open(target, "wb") as fh:
            fh.write(payload)
    except OSError as exc:
        raise UsageError(f"cannot write {label}: {exc.strerror or exc}") from None
    return target
