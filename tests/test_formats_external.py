"""Formats checked against bytes the suite did not write, and security checks with known gadgets.

- MXNet RecordIO built here with ``struct`` from the format's definition (dmlc-core ``recordio.h``:
  ``uint32 magic 0xced7230a``, ``uint32 lrec = cflag << 29 | length``, payload padded to 4 bytes;
  mxnet ``recordio.py``: ``IRHeader = struct '<IfQQ'`` (flag, label, id, id2), then ``flag`` float32
  labels when ``flag > 0``), including a record split at an aligned magic (continuation flags 1/2/3).
- insightface verification ``.bin`` files built with plain ``pickle`` as insightface's
  ``eval/verification.py`` reads them: ``(bins, issame_list)``, protocol 4, bytes + bools.
- VOC XML with every optional field of the VOC2007 development kit.
- The restricted unpickler and the checkpoint allow-list attacked with ``os.system``,
  ``builtins.getattr``/``eval`` and numpy's ``testing`` runstring gadget: the payload must not run.
"""
import os
import os.path as osp
import pickle
import struct

import cv2
import numpy as np
import pytest
import torch

MAGIC = 0xCED7230A


def _record(payload: bytes, cflag: int = 0) -> bytes:
    pad = (-len(payload)) % 4
    return struct.pack('<II', MAGIC, (cflag << 29) | len(payload)) + payload + b'\0' * pad


def _jpeg(value: int) -> bytes:
    ok, buf = cv2.imencode('.jpg', np.full((8, 8, 3), value, np.uint8))
    assert ok
    return buf.tobytes()


def _write_rec(tmp_path, records):
    """``records``: list of (key, full record bytes as one or more parts). Writes .rec and .idx."""
    rec, idx, offset = b'', [], 0
    for key, parts in records:
        idx.append(f'{key}\t{offset}\n')
        for p in parts:
            rec += p
            offset += len(p)
    (tmp_path / 'train.rec').write_bytes(rec)
    (tmp_path / 'train.idx').write_text(''.join(idx))
    return str(tmp_path / 'train.rec')


def test_recordio_reads_struct_built_records(tmp_path):
    """A legacy MS1M-style file: header record 0 (flag 2, label (3, 5): images are keys 1..2, as insightface's MXFaceDataset reads it), an image with a scalar
    label, an image with 2 float labels, and an image record split at an aligned magic into 3 parts."""
    from mobilebench.face.datasets import FaceRecordIODataset
    from mobilebench.face.recordio import RecordIOReader, image_keys
    img1, img2 = _jpeg(10), _jpeg(200)
    header0 = struct.pack('<IfQQ', 2, 0.0, 0, 0) + struct.pack('<2f', 3.0, 5.0)
    rec1 = struct.pack('<IfQQ', 0, 7.0, 1, 0) + img1
    rec2 = struct.pack('<IfQQ', 2, 0.0, 2, 0) + struct.pack('<2f', 5.0, 9.0) + img2
    magic = struct.pack('<I', MAGIC)
    # record 3 = body_a + magic + body_b + magic + body_c (body lengths multiples of 4: the magic is aligned)
    body_a = struct.pack('<IfQQ', 0, 4.0, 3, 0) + b'abcd'
    body_b, body_c = b'efgh' * 2, b'ijkl'
    split = [_record(body_a, 1), _record(body_b, 2), _record(body_c, 3)]
    path = _write_rec(tmp_path, [(0, [_record(header0)]), (1, [_record(rec1)]), (2, [_record(rec2)]),
                                 (3, split)])
    reader = RecordIOReader(path)
    assert image_keys(reader) == [1, 2]
    h, img = reader.read_image_record(1)
    assert (h.flag, h.label, h.id) == (0, 7.0, 1) and img == img1
    h, img = reader.read_image_record(2)
    assert h.flag == 2 and list(h.label) == [5.0, 9.0] and img == img2
    assert reader.read_idx(3) == body_a + magic + body_b + magic + body_c
    ds = FaceRecordIODataset(data_root=str(tmp_path), pipeline=[], lazy_init=False)
    assert [ds.get_data_info(i)['gt_label'] for i in range(len(ds))] == [7, 5]


def test_recordio_writer_bytes_follow_the_format(tmp_path):
    """The suite's writer emits exactly the bytes the format defines (checked with struct here)."""
    from mobilebench.face.recordio import write_face_recordio
    img = _jpeg(50)
    paths = write_face_recordio(str(tmp_path), [(img, 3)])
    data = open(paths['rec'], 'rb').read()
    magic, lrec = struct.unpack('<II', data[:8])
    assert magic == MAGIC and lrec >> 29 == 0
    length = lrec & ((1 << 29) - 1)
    assert length == 24 + len(img) and len(data) == 8 + length + (-length) % 4
    assert struct.unpack('<IfQQ', data[8:32]) == (0, 3.0, 0, 0) and data[32:32 + len(img)] == img
    assert open(paths['idx']).read().split() == ['0', '0']


def test_bin_written_by_plain_pickle(tmp_path):
    """insightface's own format: pickle.dump((bins, issame_list), f, protocol=4), bins are bytes (or
    numpy uint8 buffers, as some converted .bin files hold); issame may be a numpy bool array."""
    from mobilebench.face.bin_format import load_bin
    imgs = [_jpeg(v) for v in (1, 2, 3, 4)]
    path = tmp_path / 'lfw.bin'
    with open(path, 'wb') as f:
        pickle.dump(([imgs[0], imgs[1], np.frombuffer(imgs[2], np.uint8), imgs[3]], [True, False]), f, protocol=4)
    images, issame = load_bin(str(path))
    assert images == imgs and issame == [True, False]
    with open(path, 'wb') as f:
        pickle.dump((imgs, np.array([False, True])), f, protocol=2)
    assert load_bin(str(path))[1] == [False, True]


class _Gadget:
    """Reduces to ``fn(*args)`` when unpickled."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _marker_cmd(marker):
    return f'touch {marker}'


def _gadgets(marker):
    import builtins
    cmd = _marker_cmd(marker)
    yield 'os.system', _Gadget(os.system, cmd)
    yield 'builtins.eval', _Gadget(builtins.eval, f'__import__("os").system({cmd!r})')
    yield 'builtins.exec', _Gadget(builtins.exec, f'import os; os.system({cmd!r})')
    try:
        from numpy.testing._private.utils import runstring
        yield 'numpy.testing runstring', _Gadget(runstring, f'import os; os.system({cmd!r})', {})
    except ImportError:  # pragma: no cover - the gadget moved
        pass


def _unicode(text: str) -> bytes:
    data = text.encode()
    return b'X' + struct.pack('<I', len(data)) + data  # BINUNICODE


class _GetattrGadget:
    """``builtins.getattr(__import__('os'), 'system')('touch ...')`` as raw pickle opcodes
    (PROTO 2, GLOBAL, BINUNICODE, TUPLE1/TUPLE2, REDUCE, STOP)."""

    @staticmethod
    def bytes(marker):
        return (b'\x80\x02' + b'cbuiltins\ngetattr\n' + b'cbuiltins\n__import__\n' + _unicode('os') + b'\x85R'
                + _unicode('system') + b'\x86R' + _unicode(_marker_cmd(marker)) + b'\x85R.')


def test_getattr_gadget_really_runs_under_plain_pickle(tmp_path):
    """Sanity check of the raw getattr gadget: plain pickle.loads executes it (so the tests below that
    refuse it are meaningful)."""
    marker = tmp_path / 'plain'
    pickle.loads(_GetattrGadget.bytes(marker))
    assert marker.exists()


def _all_payloads(tmp_path):
    for name, gadget in _gadgets(tmp_path / 'marker'):
        yield name, pickle.dumps(([b'x', b'y', gadget, b'z'], [True, False]), protocol=4)
    yield 'builtins.getattr', _GetattrGadget.bytes(tmp_path / 'marker')


def test_bin_unpickler_refuses_known_gadgets(tmp_path):
    from mobilebench.face.bin_format import load_bin
    marker = tmp_path / 'marker'
    for name, payload in _all_payloads(tmp_path):
        path = tmp_path / 'evil.bin'
        path.write_bytes(payload)
        with pytest.raises(Exception):
            load_bin(str(path))
        assert not marker.exists(), f'{name}: the payload ran'


def test_checkpoint_allow_list_refuses_known_gadgets(tmp_path):
    """A checkpoint holding a gadget fails to load through mmengine's checkpoint loader (what
    tools/test.py, --resume and load_from use) and the payload does not run; getattr is not allowed."""
    import mobilebench  # noqa: F401  (the allow-list)
    from mmengine.runner import CheckpointLoader
    marker = tmp_path / 'marker'
    for name, gadget in _gadgets(marker):
        path = tmp_path / 'evil.pth'
        torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': gadget}, str(path))
        with pytest.raises(Exception):
            CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
        assert not marker.exists(), f'{name}: the payload ran'
    import builtins
    safe = {getattr(g, '__name__', str(g)) for g in torch.serialization.get_safe_globals()
            if not isinstance(g, tuple)}
    assert builtins.getattr not in torch.serialization.get_safe_globals() and 'getattr' not in safe


_FULL_VOC_XML = """<annotation>
  <folder>VOC2007</folder>
  <filename>000123.jpg</filename>
  <source><database>The VOC2007 Database</database><annotation>PASCAL VOC2007</annotation>
    <image>flickr</image><flickrid>123456</flickrid></source>
  <owner><flickrid>someone</flickrid><name>Someone</name></owner>
  <size><width>120</width><height>90</height><depth>3</depth></size>
  <segmented>1</segmented>
  <object>
    <name>person</name><pose>Frontal</pose><truncated>1</truncated><difficult>0</difficult>
    <bndbox><xmin>10</xmin><ymin>20</ymin><xmax>60.0</xmax><ymax>80</ymax></bndbox>
    <part><name>head</name><bndbox><xmin>20</xmin><ymin>20</ymin><xmax>40</xmax><ymax>35</ymax></bndbox></part>
    <actions><jumping>0</jumping></actions><point><x>30</x><y>30</y></point><occluded>1</occluded>
  </object>
  <object>
    <name>dog</name><pose>Left</pose><truncated>0</truncated><difficult>1</difficult>
    <bndbox><xmin>70</xmin><ymin>30</ymin><xmax>110</xmax><ymax>85</ymax></bndbox>
  </object>
</annotation>
"""


def test_voc_xml_with_every_optional_field(tmp_path):
    """Parts, actions, points, owner, segmented, truncated and float coordinates are accepted; boxes get
    mmdet's 1-based -> 0-based shift; difficult marks the instance ignored; parts are not objects."""
    from mobilebench.datasets.voc import VOCDataset
    year = tmp_path / 'VOC2007'
    for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (year / sub).mkdir(parents=True)
    (year / 'Annotations' / '000123.xml').write_text(_FULL_VOC_XML)
    cv2.imwrite(str(year / 'JPEGImages' / '000123.jpg'), np.zeros((90, 120, 3), np.uint8))
    (year / 'ImageSets' / 'Main' / 'test.txt').write_text('000123\n')
    ds = VOCDataset(data_root=str(tmp_path), ann_file='VOC2007/ImageSets/Main/test.txt',
                    data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True, pipeline=[])
    info = ds.get_data_info(0)
    assert (info['width'], info['height']) == (120, 90)
    classes = ds.metainfo['classes']
    inst = info['instances']
    assert [(i['bbox'], classes[i['bbox_label']], i['ignore_flag']) for i in inst] == [
        ([9, 19, 59, 79], 'person', 0), ([69, 29, 109, 84], 'dog', 1)]
