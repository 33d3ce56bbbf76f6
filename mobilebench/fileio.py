"""Small file helpers: atomic JSON writes (nothing already computed is lost on a crash)."""
from __future__ import annotations

import json
import os
import os.path as osp
import tempfile
from typing import Any


def _to_builtin(obj: Any):
    """JSON fallback for numpy scalars/arrays and torch tensors."""
    if hasattr(obj, 'tolist'):
        return obj.tolist()
    if hasattr(obj, 'item'):
        return obj.item()
    raise TypeError(f'{type(obj).__name__} is not JSON serialisable')


def atomic_write_json(path: str, data: Any, indent: int = 2) -> str:
    """Write ``data`` as JSON to ``path`` via a temporary file + ``os.replace`` (atomic on POSIX)."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(data, f, indent=indent, default=_to_builtin, sort_keys=False)
            f.write('\n')
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str, text: str) -> str:
    """Write ``text`` to ``path`` via a unique temporary file in the same folder + ``os.replace``."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'w', newline='') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.unlink(tmp)
        raise
    return path
