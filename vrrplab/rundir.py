"""Where vrrplab writes: a folder each run makes itself, files replaced, never written through.

- `check_out`: the output folder (`--out`) can hold a new folder, or one InputError line
  (exit 2) before anything starts: `/proc`, a read-only mount, `/dev/null`.
- `make_run_dir`: OUT/SCENARIO/STAMP-XXXXXXXX, the suffix unpredictable (secrets) and the
  folder made by one mkdir that fails when the name exists: a name planted there (a
  dangling link to elsewhere included) is never used. Every file of the run goes in it.
  Returned resolved: that is the path the summary prints.
- `replace_file`: write a file beside the target, then rename it over the target: a link
  at the target is replaced, the file it points at untouched (`vrrplab report` on a folder
  someone else can write to).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Callable

from vrrplab.errors import InputError
from vrrplab.i18n import N_, Message


def _existing_ancestor(path: Path) -> Path:
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def check_out(out: Path, option: str = "--out") -> None:
    """InputError (exit 2) unless a folder can be made in `out` (or where it will be made).

    Tried for real, and undone: a folder made and removed in `out`, or in its nearest
    existing parent when `out` does not exist yet (nothing is left behind)."""
    out = Path(os.path.abspath(out))
    where = _existing_ancestor(out)
    if not where.is_dir():
        raise InputError(Message(N_("{option} {path}: expected a folder vrrplab can write "
                                    "in ({where} is not a folder)"), option=option,
                                 path=str(out), where=str(where)))
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".vrrplab-check-", dir=where))
    except OSError as exc:
        raise InputError(Message(N_("{option} {path}: expected a folder vrrplab can write "
                                    "in ({error})"), option=option, path=str(out),
                                 error=exc.strerror or str(exc))) from None


def make_run_dir(parent: Path, stamp: str, option: str = "--out") -> Path:
    """A new folder `parent/STAMP-XXXXXXXX`, made by this call, resolved."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        while True:
            path = parent / f"{stamp}-{secrets.token_hex(4)}"
            try:
                os.mkdir(path, 0o755)  # fails on any existing name, a link's included
            except FileExistsError:
                continue  # 2^32 names: someone planted this one, take another
            return path.resolve()
    except OSError as exc:
        raise InputError(Message(N_("{option} {path}: expected a folder vrrplab can write "
                                    "in ({error})"), option=option, path=str(parent),
                                 error=exc.strerror or str(exc))) from None


def replace_file(path: Path, write: Callable[[Path], object]) -> Path | None:
    """`write(tmp)` a new file beside `path` (same suffix: a plot's format follows it), then
    rename it over `path`; on any failure the new file is removed and `path` untouched.
    `write` returning False (nothing to draw) leaves `path` as it was: None."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        if write(Path(tmp)) is False:
            os.unlink(tmp)
            return None
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
