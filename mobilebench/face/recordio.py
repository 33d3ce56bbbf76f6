"""MXNet RecordIO (``.rec`` + ``.idx``) read and written without mxnet.

The byte layout is dmlc-core's ``recordio.h`` plus mxnet's ``recordio.py`` image header, which is
what insightface's ``train.rec`` files use (mxnet 1.9 does not run on Python 3.11 / numpy 2):

- each record is ``uint32 magic 0xced7230a``, ``uint32 lrec`` (``cflag = lrec >> 29``,
  ``length = lrec & (2**29 - 1)``), ``length`` payload bytes, then zero padding to 4 bytes;
- a payload containing the magic at a 4-byte aligned position is split by the writer into parts
  (cflag 1 = first, 2 = middle, 3 = last); the reader re-inserts the magic between parts;
- an image payload starts with ``IRHeader`` = ``struct '<IfQQ'`` (flag, label, id, id2; 24 bytes);
  if ``flag > 0``, ``flag`` float32 labels follow; the rest is the encoded image;
- ``.idx`` is a text file of ``key<TAB>byte_offset`` lines;
- insightface's ``property`` file is ``"num_classes,H,W"``.
"""
from __future__ import annotations

import os
import os.path as osp
import struct
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack('<I', MAGIC)
_LEN_MASK = (1 << 29) - 1
IR_FORMAT = '<IfQQ'
IR_SIZE = struct.calcsize(IR_FORMAT)  # 24


class RecordIOError(ValueError):
    """A malformed or truncated RecordIO file (the message names the file and the byte offset)."""


@dataclass
class IRHeader:
    """mxnet's image record header.

    Args:
        flag: number of float labels stored after the header (0 means ``label`` holds the label).
        label: a float, or an array of ``flag`` floats.
        id: record id.
        id2: second id (unused by insightface).
    """
    flag: int
    label: Union[float, np.ndarray]
    id: int = 0
    id2: int = 0


def pack_record(header: IRHeader, payload: bytes) -> bytes:
    """Serialise an image record (``mx.recordio.pack`` equivalent)."""
    label = header.label
    if isinstance(label, (int, float, np.floating, np.integer)):
        head = struct.pack(IR_FORMAT, 0, float(label), int(header.id), int(header.id2))
        return head + bytes(payload)
    label = np.asarray(label, dtype=np.float32).ravel()
    head = struct.pack(IR_FORMAT, label.size, 0.0, int(header.id), int(header.id2))
    return head + label.tobytes() + bytes(payload)


def unpack_record(record: bytes, where: str = 'record') -> Tuple[IRHeader, bytes]:
    """Parse an image record into ``(IRHeader, encoded image bytes)`` (``mx.recordio.unpack``)."""
    if len(record) < IR_SIZE:
        raise RecordIOError(f'{where}: record of {len(record)} bytes is shorter than the 24-byte IRHeader')
    flag, label, id_, id2 = struct.unpack(IR_FORMAT, record[:IR_SIZE])
    body = record[IR_SIZE:]
    if flag > 0:
        need = flag * 4
        if len(body) < need:
            raise RecordIOError(f'{where}: IRHeader says {flag} float labels follow but only '
                                f'{len(body)} bytes remain')
        label = np.frombuffer(body[:need], dtype=np.float32).copy()
        body = body[need:]
    return IRHeader(flag, label, id_, id2), bytes(body)


def read_idx(idx_path: str) -> Dict[int, int]:
    """Read a ``.idx`` file into ``{key: byte_offset}`` (insertion order kept)."""
    if not osp.isfile(idx_path):
        raise FileNotFoundError(f'RecordIO index not found: {idx_path}')
    index: Dict[int, int] = {}
    with open(idx_path, 'r') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            parts = line.split('\t')
            if len(parts) != 2:
                raise RecordIOError(f'{idx_path}:{lineno}: expected "key<TAB>offset", got {line!r}')
            try:
                index[int(parts[0])] = int(parts[1])
            except ValueError:
                raise RecordIOError(f'{idx_path}:{lineno}: key and offset must be integers, got {line!r}')
    return index


class RecordIOReader:
    """Random-access reader of an indexed RecordIO file (``MXIndexedRecordIO(idx, rec, 'r')``).

    The file handle is opened lazily and re-opened after a fork (dataloader workers).

    Args:
        rec_path: the ``.rec`` file.
        idx_path: the ``.idx`` file; default: ``rec_path`` with the suffix replaced by ``.idx``.
    """

    def __init__(self, rec_path: str, idx_path: Optional[str] = None):
        if not osp.isfile(rec_path):
            raise FileNotFoundError(f'RecordIO file not found: {rec_path}')
        self.rec_path = rec_path
        self.idx_path = idx_path or osp.splitext(rec_path)[0] + '.idx'
        self.index = read_idx(self.idx_path)
        self.keys: List[int] = list(self.index.keys())
        self.file_size = osp.getsize(rec_path)
        self._fh = None
        self._pid = None

    def _file(self):
        if self._fh is None or self._pid != os.getpid():
            self._fh = open(self.rec_path, 'rb')
            self._pid = os.getpid()
        return self._fh

    def close(self):
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __getstate__(self):  # file handles do not pickle (dataloader workers)
        state = self.__dict__.copy()
        state['_fh'] = None
        state['_pid'] = None
        return state

    def __len__(self) -> int:
        return len(self.keys)

    def _truncated(self, offset: int, what: str, need: int, got: int) -> RecordIOError:
        return RecordIOError(
            f'{self.rec_path}: truncated RecordIO file: {what} at byte offset {offset} needs {need} bytes '
            f'but only {got} remain (file size {self.file_size}). The .rec file is incomplete or does not '
            f'match {self.idx_path}; re-copy it or re-pack the data set with tools/data/pack_face_recordio.py')

    def read_at(self, offset: int) -> bytes:
        """Read the (possibly multi-part) record starting at byte ``offset``."""
        fh = self._file()
        fh.seek(offset)
        out = bytearray()
        pos = offset
        while True:
            head = fh.read(8)
            if len(head) < 8:
                raise self._truncated(pos, 'record header', 8, len(head))
            magic, lrec = struct.unpack('<II', head)
            if magic != MAGIC:
                raise RecordIOError(
                    f'{self.rec_path}: bad RecordIO magic 0x{magic:08x} at byte offset {pos} (expected '
                    f'0x{MAGIC:08x}); {self.idx_path} probably does not belong to this .rec file')
            cflag, length = lrec >> 29, lrec & _LEN_MASK
            padded = (length + 3) & ~3
            data = fh.read(padded)
            if len(data) < length:
                raise self._truncated(pos + 8, 'record payload', length, len(data))
            out += data[:length]
            pos += 8 + padded
            if cflag in (0, 3):
                return bytes(out)
            out += _MAGIC_BYTES  # dmlc removed the magic where it split the record

    def read_idx(self, key: int) -> bytes:
        """Read the record with index ``key``."""
        if key not in self.index:
            raise KeyError(f'{self.idx_path}: no record with key {key}')
        return self.read_at(self.index[key])

    def read_image_record(self, key: int) -> Tuple[IRHeader, bytes]:
        return unpack_record(self.read_idx(key), where=f'{self.rec_path} key {key}')


class RecordIOWriter:
    """Writer of an indexed RecordIO file, byte-compatible with mxnet's ``MXIndexedRecordIO``.

    Args:
        rec_path: the ``.rec`` file to create.
        idx_path: the ``.idx`` file; default: next to ``rec_path``.
    """

    def __init__(self, rec_path: str, idx_path: Optional[str] = None):
        self.rec_path = rec_path
        self.idx_path = idx_path or osp.splitext(rec_path)[0] + '.idx'
        os.makedirs(osp.dirname(osp.abspath(rec_path)), exist_ok=True)
        self._rec = open(rec_path, 'wb')
        self._idx = open(self.idx_path, 'w')

    def _write_part(self, cflag: int, data: bytes):
        self._rec.write(struct.pack('<II', MAGIC, (cflag << 29) | len(data)))
        self._rec.write(data)
        pad = (-len(data)) % 4
        if pad:
            self._rec.write(b'\x00' * pad)

    def write(self, data: bytes) -> int:
        """Append one record; returns its byte offset."""
        if len(data) > _LEN_MASK:
            raise ValueError(f'{self.rec_path}: record of {len(data)} bytes exceeds the 2**29-1 limit')
        offset = self._rec.tell()
        start = 0
        for i in range(0, len(data) - len(data) % 4, 4):  # split at aligned magics, as dmlc does
            if data[i:i + 4] == _MAGIC_BYTES:
                self._write_part(1 if start == 0 else 2, data[start:i])
                start = i + 4
        self._write_part(3 if start else 0, data[start:])
        return offset

    def write_idx(self, key: int, data: bytes) -> int:
        offset = self.write(data)
        self._idx.write(f'{int(key)}\t{offset}\n')
        return offset

    def close(self):
        self._rec.close()
        self._idx.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_property(path: str) -> Tuple[int, int, int]:
    """Read insightface's ``property`` file (``num_classes,H,W``)."""
    with open(path) as f:
        first = f.readline().strip()
    try:
        num_classes, h, w = (int(v) for v in first.split(','))
    except ValueError:
        raise ValueError(f'{path}: expected the first line "num_classes,height,width", got {first!r}')
    return num_classes, h, w


def write_face_recordio(out_dir: str, samples: Sequence[Tuple[bytes, int]], image_size: Tuple[int, int] = (112, 112),
                        legacy_header: bool = False) -> Dict[str, str]:
    """Write ``train.rec``/``train.idx``/``property`` from ``(encoded image bytes, label)`` pairs.

    Args:
        out_dir: output folder.
        samples: encoded images (JPEG/PNG bytes) with integer identity labels 0..C-1.
        image_size: (height, width) written to ``property``.
        legacy_header: also write the MS1M-style header record 0 (``flag > 0``, ``label[0]`` = end
            of the image records) and one record per identity, as old insightface ``.rec`` files have;
            default writes the modern ``RecBuilder`` layout (image records only, keys from 0).
    """
    samples = list(samples)
    labels = [int(lb) for _, lb in samples]
    if not samples:
        raise ValueError('write_face_recordio: no samples to write')
    num_classes = max(labels) + 1
    rec_path = osp.join(out_dir, 'train.rec')
    with RecordIOWriter(rec_path) as writer:
        if legacy_header:
            n = len(samples)
            id_end = n + 1 + num_classes
            writer.write_idx(0, pack_record(IRHeader(2, np.array([n + 1, id_end], np.float32)), b''))
            for key, (img, label) in enumerate(samples, 1):
                writer.write_idx(key, pack_record(IRHeader(0, float(label), key), img))
            for c in range(num_classes):
                members = [k for k, lb in enumerate(labels, 1) if lb == c]
                rng = [members[0], members[-1] + 1] if members else [0, 0]
                writer.write_idx(n + 1 + c, pack_record(IRHeader(2, np.array(rng, np.float32)), b''))
        else:
            for key, (img, label) in enumerate(samples):
                writer.write_idx(key, pack_record(IRHeader(0, float(label), key), img))
    with open(osp.join(out_dir, 'property'), 'w') as f:
        f.write(f'{num_classes},{image_size[0]},{image_size[1]}\n{len(samples)}\n')
    return dict(rec=rec_path, idx=osp.join(out_dir, 'train.idx'), property=osp.join(out_dir, 'property'))


def image_keys(reader: RecordIOReader) -> List[int]:
    """Keys of the image records, following insightface's ``MXFaceDataset`` rule: if record 0 has
    ``flag > 0``, images are ``range(1, int(label[0]))``; otherwise every key in the ``.idx``."""
    if 0 in reader.index:
        header, _ = reader.read_image_record(0)
        if header.flag > 0:
            label = np.atleast_1d(header.label)
            end = float(label[0]) if label.size else float('nan')
            # bound the count by the files before building the list: every image has a line in the .idx
            # and at least 8 (record header) + 24 (IRHeader) bytes in the .rec
            limit = min(len(reader.index), reader.file_size // (8 + IR_SIZE) + 1)
            if not np.isfinite(end) or end != int(end) or not 1 <= end <= limit:
                raise RecordIOError(
                    f'{reader.rec_path}: record 0 is a legacy (MS1M-style) header whose label[0] = {end:g} should '
                    f'be 1 + the number of image records, but the files hold at most {limit - 1} records '
                    f'({len(reader.index)} lines in {reader.idx_path}, {reader.file_size} bytes). The header is '
                    f'corrupt or the .rec/.idx pair is truncated: re-copy both files or re-pack the data set '
                    f'with tools/data/pack_face_recordio.py')
            keys = range(1, int(end))
            absent = [k for k in keys if k not in reader.index]
            if absent:
                raise RecordIOError(
                    f'{reader.rec_path}: the legacy header (record 0) lists image records 1..{int(end) - 1}, but '
                    f'{len(absent)} of them are not in {reader.idx_path} (first: {absent[:5]}). Re-copy the .idx '
                    f'file or re-pack the data set with tools/data/pack_face_recordio.py')
            return list(keys)
    return list(reader.keys)
