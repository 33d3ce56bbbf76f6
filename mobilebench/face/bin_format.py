"""insightface verification ``.bin`` files, loaded with a restricted unpickler.

A ``.bin`` is a pickle of ``(bins, issame_list)``: ``2N`` encoded aligned faces (``bytes``, or
``numpy`` uint8 arrays in some files such as arcface_paddle's ``small_lfw.bin``) and ``N`` booleans;
pair ``i`` is ``(bins[2i], bins[2i+1])``. Pickles can execute arbitrary code, and these files are
downloaded from third parties, so :func:`load_bin` reads them with the restricted unpickler of
:mod:`mobilebench.safe_pickle`: it never lets ``pickle`` import anything except the few numpy
callables needed to rebuild plain numeric arrays; every other global (``os.system``,
``builtins.eval``, ``subprocess.Popen``, ...) is refused *before* it is called, and no array may be
larger than the file. ``issame`` values must be real booleans (``bool('False')`` is True).
"""
from __future__ import annotations

import os.path as osp
import pickle
from typing import List, Sequence, Tuple, Union

import numpy as np

from ..safe_pickle import UnsafePickleError
from ..safe_pickle import restricted_loads as _restricted_loads

BinImage = Union[bytes, np.ndarray]


class UnsafeBinError(UnsafePickleError):
    """A ``.bin`` pickle referenced something outside the allow-list (nothing was executed)."""


_BIN_CONTENT = ('a verification .bin may only contain (list of bytes / uint8 numpy arrays, list of bools); '
                're-create it with mobilebench.face.bin_format.write_bin')


def restricted_loads(data: bytes, source: str = '<bytes>'):
    """``pickle.loads`` through the restricted unpickler of :mod:`mobilebench.safe_pickle`
    (``encoding='bytes'`` for Python 2 files); no array may be larger than ``data``."""
    return _restricted_loads(data, source=source, expected=_BIN_CONTENT, error=UnsafeBinError, encoding='bytes')


def _issame_values(issame, path: str) -> List[bool]:
    """Strict ``issame_list`` check: ``bool('False')`` is True, so strings would make every pair "same"."""
    values = issame.ravel().tolist() if isinstance(issame, np.ndarray) else list(issame)
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)):
            out.append(bool(v))
        elif isinstance(v, (int, np.integer)) and v in (0, 1):
            out.append(bool(v))
        else:
            raise ValueError(f'{path}: issame_list[{i}] is {v!r} ({type(v).__name__}); every entry must be a bool '
                             f'(True = same identity) or 0/1. The file is not an insightface verification .bin; '
                             f're-create it with mobilebench.face.bin_format.write_bin')
    return out


def _as_bytes(item, i: int, path: str) -> bytes:
    if isinstance(item, (bytes, bytearray)) or (isinstance(item, np.ndarray) and item.dtype == np.uint8):
        data = bytes(item) if not isinstance(item, np.ndarray) else item.tobytes()
        if not data:
            raise ValueError(f'{path}: bins[{i}] (pair {i // 2}, image {i % 2}) is empty (0 bytes); every image '
                             f'must be an encoded JPEG/PNG face. The file is damaged: re-download it or '
                             f're-create it with mobilebench.face.bin_format.write_bin')
        return data
    raise ValueError(f'{path}: bins[{i}] is {type(item).__name__}'
                     f'{"" if not isinstance(item, np.ndarray) else " of dtype " + str(item.dtype)}; '
                     f'expected encoded image bytes or a uint8 numpy array')


def load_bin(path: str) -> Tuple[List[bytes], List[bool]]:
    """Load an insightface verification ``.bin`` safely.

    Args:
        path: the ``.bin`` file (e.g. ``lfw.bin``).

    Returns:
        ``(images, issame)``: ``2N`` encoded images as bytes and ``N`` booleans.

    Raises:
        UnsafeBinError: the pickle references a non-allow-listed global (nothing is executed).
        ValueError: the structure is not ``(bins, issame_list)`` with ``len(bins) == 2 * len(issame)``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'verification .bin not found: {path}')
    with open(path, 'rb') as f:
        data = f.read()
    try:
        obj = restricted_loads(data, source=path)
    except UnsafeBinError:
        raise
    except Exception as exc:  # truncated / not a pickle
        raise ValueError(f'{path}: not a readable insightface .bin pickle ({type(exc).__name__}: {exc})') from exc
    if not isinstance(obj, (tuple, list)) or len(obj) != 2:
        raise ValueError(f'{path}: expected a pickled (bins, issame_list) pair, got {type(obj).__name__}')
    bins, issame = obj
    if not isinstance(bins, (list, tuple)) or not isinstance(issame, (list, tuple, np.ndarray)):
        raise ValueError(f'{path}: bins must be a list and issame_list a list of bools')
    issame = _issame_values(issame, path)
    if len(bins) != 2 * len(issame):
        raise ValueError(f'{path}: {len(bins)} images for {len(issame)} pairs; expected 2 images per pair')
    images = [_as_bytes(item, i, path) for i, item in enumerate(bins)]
    return images, issame


def write_bin(path: str, images: Sequence[bytes], issame: Sequence[bool]) -> str:
    """Write a verification ``.bin`` in insightface's format (protocol 4 pickle of plain bytes/bools).

    Args:
        path: output file.
        images: ``2N`` encoded images, pair ``i`` = ``(images[2i], images[2i+1])``.
        issame: ``N`` booleans.
    """
    images = [bytes(b) for b in images]
    issame = [bool(v) for v in issame]
    if len(images) != 2 * len(issame):
        raise ValueError(f'write_bin({path}): {len(images)} images for {len(issame)} pairs')
    with open(path, 'wb') as f:
        pickle.dump((images, issame), f, protocol=4)
    return path
