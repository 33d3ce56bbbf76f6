"""Reading pickled *data* files without running code from them.

``pickle`` rebuilds objects by calling whatever global the file names (``os.system``,
``builtins.eval``, ``subprocess.Popen`` ...), so a pickle from a third party is a program, not data.
:class:`RestrictedUnpickler` resolves only the few numpy callables needed to rebuild plain numeric
arrays and scalars (plus ``_codecs.encode`` for protocol-2 ``bytes``); built-in containers and
scalars (dict, list, tuple, str, bytes, int, float, bool, None) need no global at all. Anything else
is refused *before* it is called, and no array may be larger than the file it comes from.

Used by :func:`mobilebench.face.bin_format.load_bin` (insightface ``.bin``) and, through
:mod:`mobilebench.compat`, by mmengine's ``.pkl`` / ``.pickle`` file handler (``mmengine.load``,
e.g. an mmpose ``bbox_file`` or a dataset ``ann_file`` ending in ``.pkl``). It imports only the
standard library and numpy.
"""
from __future__ import annotations

import io
import pickle
from typing import Optional

import numpy as np

__all__ = ['UnsafePickleError', 'RestrictedUnpickler', 'restricted_loads', 'restricted_load']

#: dtype kinds a data pickle may hold: bool, unsigned / signed int, float, bytes, str
#: (never object, void or structured dtypes)
SAFE_DTYPE_KINDS = frozenset('buifSU')


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle referenced something outside the allow-list (nothing was executed)."""


def _safe_dtype(*args, **kwargs):
    dtype = np.dtype(*args, **kwargs)
    if dtype.hasobject:
        raise UnsafePickleError(f'object dtype {dtype} is not allowed in a data pickle')
    if dtype.kind not in SAFE_DTYPE_KINDS or dtype.fields is not None:
        raise UnsafePickleError(f'dtype {dtype} is not allowed in a data pickle (only bool / int / float / '
                                f'bytes / str)')
    return dtype


class _NDArrayClass:
    """Stands for ``numpy.ndarray``: only usable as ``_reconstruct``'s first argument.

    Handing out ``numpy.ndarray`` itself would let a pickle call ``ndarray(shape)`` and allocate any
    amount of memory; the ``_reconstruct`` below checks the size first.
    """

    def __call__(self, *args, **kwargs):
        raise UnsafePickleError('a data pickle may not call numpy.ndarray directly')

    def __repr__(self):
        return 'numpy.ndarray'


_NDARRAY = _NDArrayClass()


def _make_safe_reconstruct(max_bytes: int):

    def _safe_reconstruct(subtype, shape, dtype=b'b'):
        if subtype is not _NDARRAY:
            raise UnsafePickleError(f'array subtype {subtype!r} is not allowed in a data pickle')
        dims = tuple(int(v) for v in (shape if isinstance(shape, (tuple, list)) else (shape, )))
        dtype = _safe_dtype(dtype.decode('latin1') if isinstance(dtype, bytes) else dtype)
        if any(v < 0 for v in dims) or int(np.prod(dims, dtype=object)) * dtype.itemsize > max_bytes:
            raise UnsafePickleError(f'array of shape {dims} and dtype {dtype} is larger than the file '
                                    f'({max_bytes} bytes): the file is corrupt')
        return np.ndarray.__new__(np.ndarray, dims, dtype)  # what numpy's _reconstruct does for ndarray

    return _safe_reconstruct


def _safe_scalar(dtype, *args):
    if not isinstance(dtype, np.dtype) or dtype.hasobject or dtype.kind not in SAFE_DTYPE_KINDS:
        raise UnsafePickleError(f'scalar of dtype {dtype!r} is not allowed in a data pickle')
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy 1
        from numpy.core.multiarray import scalar
    return scalar(dtype, *args)


def _safe_codecs_encode(text, encoding='utf-8', errors='strict'):
    # protocol-2 pickles of Python 3 bytes are written as _codecs.encode(str, 'latin1')
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise UnsafePickleError('only _codecs.encode(str, "latin1") is allowed in a data pickle')
    return text.encode('latin1')


_RECONSTRUCT = object()  # placeholder: bound to the file size by RestrictedUnpickler
_ALLOWED = {
    ('numpy', 'ndarray'): _NDARRAY,
    ('numpy', 'dtype'): _safe_dtype,
    ('numpy.core.multiarray', '_reconstruct'): _RECONSTRUCT,
    ('numpy._core.multiarray', '_reconstruct'): _RECONSTRUCT,
    ('numpy.core.multiarray', 'scalar'): _safe_scalar,
    ('numpy._core.multiarray', 'scalar'): _safe_scalar,
    ('_codecs', 'encode'): _safe_codecs_encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the allow-listed globals (plain numeric numpy arrays, bytes).

    Args:
        file: binary file object.
        source: name of the file, for the error messages.
        max_bytes: largest array (in bytes) the pickle may create, normally the file size; ``None``
            means no bound.
        expected: what the file should hold, for the error message (e.g. ``'a verification .bin may
            only contain (list of bytes, list of bools)'``).
        error: the exception class raised for a refused global (a subclass of
            :class:`UnsafePickleError`).
        **kwargs: ``pickle.Unpickler`` arguments (``encoding``, ``errors``).
    """

    def __init__(self, file, source: str = '<bytes>', max_bytes: Optional[int] = None,
                 expected: str = 'a data pickle may only contain plain data (dict, list, str, numbers, '
                                 'numeric numpy arrays)',
                 error=UnsafePickleError, **kwargs):
        super().__init__(file, **kwargs)
        self.source = source
        self.expected = expected
        self.error = error
        self._reconstruct = _make_safe_reconstruct(max_bytes if max_bytes is not None else 1 << 62)

    def find_class(self, module, name):
        fn = _ALLOWED.get((module, name))
        if fn is None:
            raise self.error(f'{self.source}: refusing to load global {module}.{name}: {self.expected}. The file '
                             f'is not plain data (corrupt or malicious); nothing was executed.')
        return self._reconstruct if fn is _RECONSTRUCT else fn

    def persistent_load(self, pid):
        raise self.error(f'{self.source}: persistent ids are not allowed in a data pickle')

    def load(self):
        try:
            return super().load()
        except UnsafePickleError as exc:
            if isinstance(exc, self.error):
                raise
            raise self.error(f'{self.source}: {exc}') from None


def restricted_loads(data: bytes, source: str = '<bytes>', **kwargs):
    """``pickle.loads`` through :class:`RestrictedUnpickler`; no array may be larger than ``data``.

    Args:
        data: the pickle.
        source: file name for the messages.
        **kwargs: :class:`RestrictedUnpickler` arguments (``expected``, ``error``, ``encoding``).
    """
    kwargs.setdefault('max_bytes', len(data))
    return RestrictedUnpickler(io.BytesIO(data), source=source, **kwargs).load()


def restricted_load(file, source: Optional[str] = None, **kwargs):
    """``pickle.load`` of an open binary file through :class:`RestrictedUnpickler` (reads it whole, so
    arrays are bounded by its size)."""
    data = file.read()
    source = source or getattr(file, 'name', '<file>')
    if isinstance(data, str):
        raise TypeError(f'{source}: a pickle must be opened in binary mode')
    try:
        return restricted_loads(data, source=source, **kwargs)
    except UnsafePickleError:
        raise
    except Exception as exc:  # truncated, or not a pickle at all
        raise ValueError(f'{source}: not a readable pickle ({type(exc).__name__}: {exc}); the file is truncated '
                         f'or in another format. Re-create it, or use a JSON file.') from exc
