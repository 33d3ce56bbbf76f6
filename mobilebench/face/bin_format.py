"""insightface verification ``.bin`` files, loaded with a restricted unpickler.

A ``.bin`` is a pickle of ``(bins, issame_list)``: ``2N`` encoded aligned faces (``bytes``, or
``numpy`` uint8 arrays in some files such as arcface_paddle's ``small_lfw.bin``) and ``N`` booleans;
pair ``i`` is ``(bins[2i], bins[2i+1])``. Pickles can execute arbitrary code, and these files are
downloaded from third parties, so :func:`load_bin` never lets ``pickle`` import anything except the
few numpy callables needed to rebuild plain numeric arrays; every other global (``os.system``,
``builtins.eval``, ``subprocess.Popen``, ...) is refused *before* it is called.
"""
from __future__ import annotations

import io
import os.path as osp
import pickle
from typing import List, Sequence, Tuple, Union

import numpy as np

BinImage = Union[bytes, np.ndarray]


class UnsafeBinError(pickle.UnpicklingError):
    """A ``.bin`` pickle referenced something outside the allow-list (nothing was executed)."""


def _safe_dtype(*args, **kwargs):
    dtype = np.dtype(*args, **kwargs)
    if dtype.hasobject:
        raise UnsafeBinError(f'object dtype {dtype} is not allowed in a .bin file')
    return dtype


def _safe_reconstruct(subtype, *args):
    if subtype is not np.ndarray:
        raise UnsafeBinError(f'array subtype {subtype!r} is not allowed in a .bin file')
    return np.ndarray.__new__(np.ndarray, *args)  # what numpy's _reconstruct does for ndarray


def _safe_scalar(dtype, *args):
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise UnsafeBinError(f'scalar of dtype {dtype!r} is not allowed in a .bin file')
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy 1
        from numpy.core.multiarray import scalar
    return scalar(dtype, *args)


def _safe_codecs_encode(text, encoding='utf-8', errors='strict'):
    # protocol-2 pickles of Python 3 bytes are written as _codecs.encode(str, 'latin1')
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise UnsafeBinError('only _codecs.encode(str, "latin1") is allowed in a .bin file')
    return text.encode('latin1')


_ALLOWED = {
    ('numpy', 'ndarray'): np.ndarray,
    ('numpy', 'dtype'): _safe_dtype,
    ('numpy.core.multiarray', '_reconstruct'): _safe_reconstruct,
    ('numpy._core.multiarray', '_reconstruct'): _safe_reconstruct,
    ('numpy.core.multiarray', 'scalar'): _safe_scalar,
    ('numpy._core.multiarray', 'scalar'): _safe_scalar,
    ('_codecs', 'encode'): _safe_codecs_encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the allow-listed globals (plain numeric numpy arrays, bytes).

    Built-in containers and scalars (list, tuple, bytes, bool, int, float, str) need no global.
    """

    def __init__(self, file, source: str = '<bytes>', **kwargs):
        super().__init__(file, **kwargs)
        self.source = source

    def find_class(self, module, name):
        fn = _ALLOWED.get((module, name))
        if fn is None:
            raise UnsafeBinError(
                f'{self.source}: refusing to load global {module}.{name}: a verification .bin may only contain '
                f'(list of bytes / uint8 numpy arrays, list of bools). The file is corrupt or malicious; nothing '
                f'was executed. Re-create it with mobilebench.face.bin_format.write_bin')
        return fn

    def persistent_load(self, pid):
        raise UnsafeBinError(f'{self.source}: persistent ids are not allowed in a .bin file')


def restricted_loads(data: bytes, source: str = '<bytes>'):
    """``pickle.loads`` through :class:`RestrictedUnpickler` (``encoding='bytes'`` for Python 2 files)."""
    return RestrictedUnpickler(io.BytesIO(data), source=source, encoding='bytes').load()


def _as_bytes(item, i: int, path: str) -> bytes:
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    if isinstance(item, np.ndarray) and item.dtype == np.uint8:
        return item.tobytes()
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
    issame = [bool(v) for v in np.asarray(issame).ravel().tolist()]
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
