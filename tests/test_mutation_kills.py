"""Known-answer tests for the core modules' less-travelled paths: options, error messages, log lines.

Written against the mutants that survived the first `make mutation` run (docs/mutation.md); every expected
value is worked out by hand in the comments, not read back from the code under test.
"""

import re
import struct

import numpy as np
import pytest
import torch

import mobilebench  # noqa: F401  (compat shims, registries)
from log_capture import MMLogCapture




# ============================================================================ face/metrics.py
def _face_samples(d2, name='toy', scale=2.0):
    """Data samples of pairs whose L2-normalised members are at squared distance ``d2[i]`` (2 - 2 cos theta),
    each member of norm ``scale``, in the order pair 0 member 1, pair 0 member 0, pair 1 member 1, ..."""
    theta = np.arccos(1 - np.asarray(d2, np.float64) / 2)
    samples = []
    for i, t in enumerate(theta):
        a = np.array([scale, 0.0, 0.0])
        b = scale * np.array([np.cos(t), np.sin(t), 0.0])
        for pos, e in ((1, b), (0, a)):
            samples.append(dict(pred_embedding=torch.tensor(e, dtype=torch.float32), bin_name=name, pair_index=i,
                                pair_pos=pos, issame=bool(d2[i] < 0.4)))
    return samples


def test_face_metric_keys_threshold_and_log_by_hand():
    """20 pairs, same pairs (even) at squared distance 0.3053, different pairs at 1.0053; folds of 2 pairs.
    Accuracy: the first grid threshold above 0.3053 is 0.31, which separates every training fold: accuracy 1,
    std 0, threshold 0.31. TAR@FAR 1e-3: on the training folds the FAR steps from 0 at 1.005 to 1 at 1.006, so
    the interpolated threshold is 1.005 + 1e-3 * 0.001 = 1.005001: every same pair passes (TAR 1), no
    different pair does (FAR 0). xnorm: every embedding has norm 2."""
    from mobilebench.face.metrics import FaceVerificationMetric
    d2 = [0.3053 if i % 2 == 0 else 1.0053 for i in range(20)]
    metric = FaceVerificationMetric(prefix='val')
    metric.process({}, _face_samples(d2))
    with MMLogCapture() as log:
        out = metric.evaluate(40)
    assert out == {'val/toy/accuracy': pytest.approx(1.0), 'val/toy/accuracy_std': pytest.approx(0.0),
                   'val/toy/tar@far1e-3': pytest.approx(1.0), 'val/toy/far@far1e-3': pytest.approx(0.0),
                   'val/toy/threshold': pytest.approx(0.31), 'val/toy/xnorm': pytest.approx(2.0),
                   'val/toy/degenerate': 0.0}  # two distinct distances: not collapsed
    assert ('INFO', '[toy] 20 pairs: accuracy 1.00000 +- 0.00000, tar@far1e-3 1.00000 (reached FAR 0.00000), '
            'xnorm 2.000') in log.lines
    assert not [m for lvl, m in log.lines if lvl == 'WARNING']


def test_face_metric_far_above_target_on_few_negatives():
    """Different pairs at 1.2053 in fold 0 and 1.4053 elsewhere. The held-out fold 0 gets a threshold from the
    other folds' FAR step (just above 1.405), which accepts its different pair: FAR 1 there, 0 elsewhere, so the
    reached FAR is 0.1 > 1e-3, and with ~1 negative pair per fold the warning says FARs below 1 cannot be
    resolved."""
    from mobilebench.face.metrics import FaceVerificationMetric
    d2 = [0.3053 if i % 2 == 0 else (1.2053 if i == 1 else 1.4053) for i in range(20)]
    metric = FaceVerificationMetric()
    with MMLogCapture() as log:
        out = metric.compute_metrics(_face_samples_as_results(d2))
    assert out['toy/far@far1e-3'] == pytest.approx(0.1) and out['toy/tar@far1e-3'] == pytest.approx(1.0)
    assert ('WARNING', '[toy] tar@far1e-3 = 1.0000 was reached at FAR 0.1, above the target 0.001 (a fold has '
            'only ~1 negative pairs, so FARs below 1 cannot be resolved).') in log.lines


def _face_samples_as_results(d2, name='toy'):
    metric_input = _face_samples(d2, name)
    return [dict(bin_name=s['bin_name'], pair_index=s['pair_index'], pair_pos=s['pair_pos'], issame=s['issame'],
                 embedding=s['pred_embedding'].numpy()) for s in metric_input]


def test_face_metric_folds_and_far_target_options():
    """2 folds of 4 pairs, FAR target 0.4. Fold 0: a same pair (0.3053) and three different pairs at 1.0053;
    fold 1: a same pair and three different pairs at 0.6053. Accuracy: threshold 0.31 on both folds, accuracy 1.
    TAR@FAR: fold 0 is tested at the threshold from fold 1 (FAR steps 0 -> 1 at 0.605 -> 0.606, so
    0.605 + 0.4 * 0.001), rejecting its different pairs; fold 1 at 1.0054, accepting all three: reached FAR
    (0 + 1) / 2 = 0.5 > 0.4, with 3 negative pairs per fold (3 * 0.4 >= 1) the thresholds do not carry over."""
    from mobilebench.face.metrics import FaceVerificationMetric
    d2 = [0.3053, 1.0053, 1.0053, 1.0053, 0.3053, 0.6053, 0.6053, 0.6053]
    metric = FaceVerificationMetric(n_folds=2, far_target=0.4)
    with MMLogCapture() as log:
        out = metric.compute_metrics(_face_samples_as_results(d2, 'lfw') + _face_samples_as_results(d2[:4] * 3, 'cfp'))
    assert out['lfw/accuracy'] == pytest.approx(1.0) and out['lfw/threshold'] == pytest.approx(0.31)
    assert out['lfw/tar@far4e-1'] == pytest.approx(1.0) and out['lfw/far@far4e-1'] == pytest.approx(0.5)
    assert ('WARNING', '[lfw] tar@far4e-1 = 1.0000 was reached at FAR 0.5, above the target 0.4 (the thresholds '
            'chosen on the training folds do not carry over to the held-out folds).') in log.lines
    # the second .bin is evaluated on its own: 12 pairs, folds of 6, its different pairs all at 1.0053, so every
    # fold's threshold is 1.005 + 0.4 * 0.001 = 1.0054 (40 % of a grid step above the FAR plateau): FAR 1
    assert out['cfp/far@far4e-1'] == pytest.approx(1.0) and out['cfp/accuracy'] == pytest.approx(1.0)
    assert ('INFO', '[cfp] 12 pairs: accuracy 1.00000 +- 0.00000, tar@far4e-1 1.00000 (reached FAR 1.00000), '
            'xnorm 2.000') in log.lines


def test_face_metric_errors_name_the_fix():
    from mobilebench.face.metrics import FaceVerificationMetric
    metric = FaceVerificationMetric()
    with pytest.raises(KeyError, match='needs pred_embedding in the data samples'):
        metric.process({}, [dict(bin_name='lfw', pair_index=0, pair_pos=0, issame=True)])
    with pytest.raises(KeyError, match=r"lack \['pair_pos'\]; use mobilebench.FaceVerificationBin"):
        metric.process({}, [dict(pred_embedding=torch.ones(2), bin_name='lfw', pair_index=0, issame=True)])
    results = _face_samples_as_results([0.3053, 1.0053] * 10)
    del results[5]  # pair 2, member 0 (the samples come member 1 first)
    with pytest.raises(ValueError, match=r'toy: 1 images missing from the results \(first \[\(2, 0\)\]\)'):
        metric.compute_metrics(results)
    # a data element is read like a dict
    from mmengine.structures import BaseDataElement
    el = BaseDataElement(metainfo=dict(bin_name='lfw', pair_index=3, pair_pos=1, issame=False))
    el.pred_embedding = torch.tensor([3.0, 4.0])
    metric.process({}, [el])
    (r, ) = metric.results
    assert (r['bin_name'], r['pair_index'], r['pair_pos'], r['issame']) == ('lfw', 3, 1, False)
    np.testing.assert_array_equal(r['embedding'], [3.0, 4.0])


# ============================================================================ face/bin_format.py
def _pickle_file(tmp_path, obj, name='x.bin', protocol=4):
    import pickle
    path = tmp_path / name
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    return str(path)


def test_bin_accepts_uint8_arrays_and_numpy_or_int_flags(tmp_path):
    # arcface_paddle's small_lfw.bin style: uint8 arrays and a numpy bool array; 0/1 ints are flags too
    imgs = [np.frombuffer(b'\xff\xd8a', np.uint8), np.frombuffer(b'\xff\xd8b', np.uint8), b'\xff\xd8c', b'\xff\xd8d']
    from mobilebench.face.bin_format import load_bin
    images, issame = load_bin(_pickle_file(tmp_path, (imgs, np.array([True, False]))))
    assert images == [b'\xff\xd8a', b'\xff\xd8b', b'\xff\xd8c', b'\xff\xd8d'] and issame == [True, False]
    assert all(type(v) is bool for v in issame)
    _, issame = load_bin(_pickle_file(tmp_path, [imgs, [np.int64(1), 0]], 'ints.bin'))
    assert issame == [True, False]
    _, issame = load_bin(_pickle_file(tmp_path, (imgs, np.array([[False], [True]])), 'column.bin'))  # (N, 1)
    assert issame == [False, True]


@pytest.mark.parametrize('obj, message', [
    ({'bins': []}, 'expected a pickled (bins, issame_list) pair, got dict'),
    (([], [], []), 'expected a pickled (bins, issame_list) pair, got tuple'),
    (('ab', [True]), 'bins must be a list and issame_list a list of bools'),
    (([b'a', b'b'], 'T'), 'bins must be a list and issame_list a list of bools'),
    (([b'a', b'b'], ['False']), "issame_list[0] is 'False' (str); every entry must be a bool"),
    (([b'a', b'b', b'c', b'd'], [True, 2]), 'issame_list[1] is 2 (int)'),
    (([b'a', b'b', b'c'], [True]), '3 images for 1 pairs; expected 2 images per pair'),
    (([b'a', b'b', b'c', b'd', b'e', b''], [True, False, True]), 'bins[5] (pair 2, image 1) is empty (0 bytes)'),
    (([b'a', b'b'], [1.0]), 'issame_list[0] is 1.0 (float)'),
    (([b'a', 'b'], [True]), 'bins[1] is str; expected encoded image bytes'),
    (([np.zeros(3, np.float32), b'b'], [True]), 'bins[0] is ndarray of dtype float32; expected'),
])
def test_bin_structure_errors_name_file_and_entry(tmp_path, obj, message):
    from mobilebench.face.bin_format import load_bin
    path = _pickle_file(tmp_path, obj)
    with pytest.raises(ValueError) as err:
        load_bin(path)
    assert str(err.value).startswith(f'{path}: ') and message in str(err.value)


def test_bin_missing_truncated_and_written(tmp_path):
    import pickle

    from mobilebench.face.bin_format import load_bin, write_bin
    with pytest.raises(FileNotFoundError, match='verification .bin not found: .*nope.bin'):
        load_bin(str(tmp_path / 'nope.bin'))
    path = _pickle_file(tmp_path, ([b'a', b'b'], [True]))
    with open(path, 'r+b') as f:
        f.truncate(10)
    with pytest.raises(ValueError, match=r'x.bin: not a readable insightface .bin pickle \((UnpicklingError|EOFError)'):
        load_bin(path)
    out = str(tmp_path / 'w.bin')
    assert write_bin(out, [bytearray(b'p'), b'q'], [1]) == out
    data = open(out, 'rb').read()
    assert data[:2] == b'\x80\x04'  # pickle protocol 4, as insightface's own writer
    obj = pickle.loads(data)
    assert obj == ([b'p', b'q'], [True]) and type(obj) is tuple and type(obj[0][0]) is bytes
    with pytest.raises(ValueError, match=r'write_bin\(.*w2.bin\): 3 images for 1 pairs'):
        write_bin(str(tmp_path / 'w2.bin'), [b'a', b'b', b'c'], [True])
    assert load_bin(write_bin(str(tmp_path / 'w3.bin'), [b'a', b'b', b'c', b'd'], [0, 1])) == (
        [b'a', b'b', b'c', b'd'], [False, True])


# ============================================================================ benchmark/records.py
def test_record_paths_and_reading(tmp_path):
    from mobilebench.benchmark import records as R
    assert R.record_path('res', 'voc__a') == 'res/runs/voc__a.json'
    assert R.work_dir('res', 'voc__a') == 'res/work_dirs/voc__a'
    assert R.plan_path('res') == 'res/benchmark.json'
    p = str(tmp_path / 'runs' / 'r.json')
    assert R.read_record(p) is None  # missing
    assert R.write_record(p, {'status': 'ok', 'x': [1, 2]}) == p
    assert R.read_record(p) == {'status': 'ok', 'x': [1, 2]}
    assert [f.name for f in (tmp_path / 'runs').iterdir()] == ['r.json']  # no temporary file left
    (tmp_path / 'list.json').write_text('[1, 2]')
    (tmp_path / 'bad.json').write_text('{"status": ')
    assert R.read_record(str(tmp_path / 'list.json')) is None and R.read_record(str(tmp_path / 'bad.json')) is None
    with pytest.raises(ValueError):
        R.read_json(str(tmp_path / 'bad.json'))


def test_finite_numbers():
    from mobilebench.benchmark.records import finite
    assert finite(3) == 3.0 and type(finite(3)) is float and finite(np.float64(2.5)) == 2.5 and finite(-1e300) == -1e300
    for v in (True, False, float('nan'), float('inf'), -float('inf'), '1', None, [1]):
        assert finite(v) is None, v


def _ok_record(**kw):
    rec = dict(status='ok', task='voc', backbone='asymmnet', metric='mAP', metrics_shown=['mAP'],
               higher_is_better=True, metrics={'mAP': 0.5, 'note': 'x', 'per_class': [1], 'sub': {}},
               untrained_metrics={'mAP': float('nan')}, complexity={'madds': 1.0, 'params': 2, 'backbone_madds': None},
               latency={'median_ms': 3.5}, meta={'wall_time_s': 10}, error=None)
    rec.update(kw)
    return rec


@pytest.mark.parametrize('change, problems', [
    (dict(), []),
    (dict(status='done'), ["`status` = 'done' is not one of ok, failed, running, blocked"]),
    (dict(status=''), ["`status` = '' is not a non-empty string",
                       "`status` = '' is not one of ok, failed, running, blocked"]),
    (dict(task=None, backbone=3), ['`task` = None is not a non-empty string',
                                   '`backbone` = 3 is not a non-empty string']),
    (dict(metric=1), ['`metric` = 1 is not a string']),
    (dict(metrics_shown=['a', 1]), ['`metrics_shown` is not a list of strings']),
    (dict(metrics_shown='mAP'), ['`metrics_shown` is not a list of strings']),
    (dict(higher_is_better='yes'), ['`higher_is_better` is not true/false']),
    (dict(metrics=[0.5]), ['`metrics` is list, expected an object']),
    (dict(untrained_metrics={'mAP': {1, 2}}), ['`untrained_metrics.mAP` is set']),
    (dict(complexity={'madds': 'many', 'params': True}), ["`complexity.madds` = 'many' is not a number",
                                                          '`complexity.params` = True is not a number']),
    (dict(latency={'median_ms': [1]}), ['`latency.median_ms` = [1] is not a number']),
    (dict(meta={'wall_time_s': '5'}), ["`meta.wall_time_s` = '5' is not a number"]),
    (dict(error=5), ['`error` is not a string']),
])
def test_record_problems_by_field(change, problems):
    from mobilebench.benchmark.records import record_problems
    assert record_problems(_ok_record(**change)) == problems


def test_record_problems_of_non_objects_and_minimal_records():
    from mobilebench.benchmark.records import record_problems
    assert record_problems([1]) == ['a run record is a JSON object, got list']
    assert record_problems(dict(status='failed', task='voc', backbone='b')) == []  # optional fields may be absent


def test_hashes_and_provenance(tmp_path):
    import hashlib
    import os
    import platform
    import socket
    import subprocess

    from mobilebench.benchmark import records as R
    assert R.config_hash('abc') == 'ba7816bf8f01cfea'  # sha256('abc'), first 16 hex digits
    text = '{"config": "x", "seed": 0, "shape": [1, 2]}'  # canonical JSON: sorted keys
    assert R.spec_hash('x', shape=(1, 2), seed=0) == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert R.spec_hash('x', seed=0, shape=(1, 2)) != R.spec_hash('x', seed=1, shape=(1, 2))
    v = R.versions()
    assert v['python'] == platform.python_version() and v['numpy'] == np.__version__
    assert set(v) == {'python', 'torch', 'mmengine', 'mmcv', 'mmdet', 'mmpose', 'mmaction2', 'mmpretrain', 'numpy',
                      'insightface'}
    assert R.host_info() == dict(hostname=socket.gethostname(), platform=platform.platform(),
                                 processor=platform.processor(), cpu_count=os.cpu_count())
    assert R.git_info(str(tmp_path)) == dict(commit=None, dirty=None)  # not a repository
    git = ['git', '-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false']
    subprocess.run(git + ['init', '-q'], cwd=tmp_path, check=True)
    (tmp_path / 'f.txt').write_text('a')
    subprocess.run(git + ['add', 'f.txt'], cwd=tmp_path, check=True)
    subprocess.run(git + ['commit', '-q', '-m', 'c'], cwd=tmp_path, check=True)
    head = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    (tmp_path / 'untracked.txt').write_text('u')  # untracked files do not make the tree dirty
    assert R.git_info(str(tmp_path)) == dict(commit=head, dirty=False)
    (tmp_path / 'f.txt').write_text('b')
    assert R.git_info(str(tmp_path)) == dict(commit=head, dirty=True)


# ============================================================================ safe_pickle.py
_PLAIN = 'a data pickle may only contain plain data (dict, list, str, numbers, numeric numpy arrays)'


@pytest.mark.parametrize('protocol', [2, 4])
def test_restricted_pickle_rebuilds_plain_data(protocol):
    import pickle

    from mobilebench.safe_pickle import restricted_loads
    obj = dict(f=np.arange(6, dtype=np.float32).reshape(2, 3), i=np.array([-1, 2**40]), b=np.array([True, False]),
               s=np.array([b'ab', b'c']), u=np.array(['xy', 'z']), scalars=[np.float64(1.5), np.int32(7)],
               raw=b'\x00\xff', nested=(1, 'a', None, 2.5))
    out = restricted_loads(pickle.dumps(obj, protocol=protocol))
    assert out.keys() == obj.keys() and out['raw'] == b'\x00\xff' and out['nested'] == (1, 'a', None, 2.5)
    for k in ('f', 'i', 'b', 's', 'u'):
        assert out[k].dtype == obj[k].dtype and out[k].shape == obj[k].shape
        np.testing.assert_array_equal(out[k], obj[k])
    assert out['scalars'] == [1.5, 7] and type(out['scalars'][1]) is np.int32


def test_restricted_pickle_array_size_bound_is_inclusive():
    import pickle

    from mobilebench.safe_pickle import UnsafePickleError, restricted_loads
    # numpy's own pickles rebuild an empty array and fill it (__setstate__); a crafted _reconstruct call asks for
    # the memory up front: numpy.core.multiarray._reconstruct(numpy.ndarray, (16,), b'b') = 16 bytes of int8
    data = b'\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x10\x85C\x01b\x87R.'
    assert restricted_loads(data, max_bytes=16).shape == (16, )
    with pytest.raises(UnsafePickleError, match=r'^array of shape \(16,\) and dtype int8 is larger than '
                       r'the file \(15 bytes\): the file is corrupt'):
        restricted_loads(data, max_bytes=15)
    # default bound: the length of the pickle (62 bytes), here larger than the array
    assert len(data) > 16 and restricted_loads(data).dtype == np.int8
    with pytest.raises(UnsafePickleError, match=r'shape \(80,\)'):
        restricted_loads(data.replace(b"K\x10", b"KP"))  # 80 bytes > 62


# hand-assembled protocol-2 pickles (opcodes: c GLOBAL, K BININT1, X BINUNICODE, C SHORT_BINBYTES,
# \x85 / \x87 TUPLE1 / TUPLE3, R REDUCE, Q BINPERSID, . STOP)
_NDARRAY_CALL = b'\x80\x02cnumpy\nndarray\nK\x03\x85R.'
_BAD_SUBTYPE = b'\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\ndtype\nK\x00\x85C\x01b\x87R.'
_NEGATIVE_SHAPE = b'\x80\x02cnumpy._core.multiarray\n_reconstruct\ncnumpy\nndarray\nJ\xff\xff\xff\xff\x85C\x01b\x87R.'
_SCALAR_OF_STR = b'\x80\x02cnumpy.core.multiarray\nscalar\nX\x01\x00\x00\x00x\x85R.'
_CODECS_UTF8 = b'\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x05\x00\x00\x00utf-8\x86R.'
_PERSISTENT = b'\x80\x02X\x01\x00\x00\x00aQ.'
_OBJECT_DTYPE = b'\x80\x02cnumpy\ndtype\nX\x02\x00\x00\x00O8\x85R.'
_STRUCT_DTYPE = b'\x80\x02cnumpy\ndtype\nX\x02\x00\x00\x00V8\x85R.'


@pytest.mark.parametrize('data, message', [
    (_NDARRAY_CALL, 'f.pkl: a data pickle may not call numpy.ndarray directly'),
    (_BAD_SUBTYPE, 'f.pkl: array subtype <function '),
    (_NEGATIVE_SHAPE, r'f.pkl: array of shape (-1,) and dtype int8 is larger than the file'),
    (_SCALAR_OF_STR, "f.pkl: scalar of dtype 'x' is not allowed in a data pickle"),
    (_CODECS_UTF8, 'f.pkl: only _codecs.encode(str, "latin1") is allowed in a data pickle'),
    (_PERSISTENT, 'f.pkl: persistent ids are not allowed in a data pickle'),
    (_OBJECT_DTYPE, 'f.pkl: object dtype object is not allowed in a data pickle'),
    (_STRUCT_DTYPE, 'f.pkl: dtype |V8 is not allowed in a data pickle (only bool / int / float / bytes / str)'),
])
def test_restricted_pickle_refuses_crafted_calls(data, message):
    from mobilebench.face.bin_format import UnsafeBinError
    from mobilebench.safe_pickle import restricted_loads
    with pytest.raises(UnsafeBinError) as err:  # the caller's error class, with the file named
        restricted_loads(data, source='f.pkl', error=UnsafeBinError)
    assert str(err.value).startswith(message), str(err.value)


def test_restricted_pickle_refuses_globals_before_calling_them(tmp_path):
    import pickle

    from mobilebench.safe_pickle import UnsafePickleError, restricted_load, restricted_loads
    marker = tmp_path / 'ran'

    class Payload:
        def __reduce__(self):
            return (exec, (f'open({str(marker)!r}, "w").close()', ))

    data = pickle.dumps(Payload(), protocol=4)
    with pytest.raises(UnsafePickleError) as err:
        restricted_loads(data, source='evil.pkl')
    assert str(err.value) == (f'evil.pkl: refusing to load global builtins.exec: {_PLAIN}. The file is not plain '
                              'data (corrupt or malicious); nothing was executed.')
    assert not marker.exists()
    path = tmp_path / 'evil.pkl'
    path.write_bytes(data)
    with open(path, 'rb') as f, \
            pytest.raises(UnsafePickleError, match=f'^{path}: refusing to load global builtins.exec'):
        restricted_load(f)  # the source defaults to the file's name
    assert not marker.exists()


def test_restricted_pickle_load_file_errors(tmp_path):
    import pickle

    from mobilebench.safe_pickle import restricted_load
    path = tmp_path / 'd.pkl'
    path.write_bytes(pickle.dumps({'a': [1, 2]}, protocol=4))
    with open(path, 'rb') as f:
        assert restricted_load(f) == {'a': [1, 2]}
    with open(path, 'rb') as f:
        assert restricted_load(f, source='named') == {'a': [1, 2]}
    with open(path, 'r', encoding='latin1') as f, pytest.raises(TypeError, match='d.pkl: a pickle must be opened '
                                                                 'in binary mode'):
        restricted_load(f)
    path.write_bytes(pickle.dumps({'a': [1, 2]}, protocol=4)[:-3])
    with open(path, 'rb') as f, pytest.raises(ValueError, match=r'd.pkl: not a readable pickle \((UnpicklingError|'
                                                      r'EOFError).*the file is truncated or in another format'):
        restricted_load(f)
    # pickle.Unpickler arguments pass through: a Python 2 str read as bytes
    from mobilebench.safe_pickle import restricted_loads
    assert restricted_loads(b"S'ab'\np0\n.", encoding='bytes') == b'ab'
    assert restricted_loads(b"S'ab'\np0\n.") == 'ab'


# ============================================================================ significance.py
def test_seed_interval_options_and_edges():
    import math

    from mobilebench import significance as sig
    # 90 %: t(0.95, 2) = 2.919985580355516 (tables), sem = 1 / sqrt(3)
    res = sig.seed_interval([1.0, 2.0, 3.0], confidence=0.9)
    half = 2.919985580355516 / math.sqrt(3)
    assert (res['low'], res['high'], res['half']) == pytest.approx((2 - half, 2 + half, half))
    # no spread: the interval is the point, not NaN
    assert sig.seed_interval([2.0, 2.0, 2.0]) == dict(mean=2.0, std=0.0, n=3, low=2.0, high=2.0, half=0.0)
    one = sig.seed_interval([0.5])
    assert one['n'] == 1 and all(math.isnan(one[k]) for k in ('std', 'low', 'high', 'half'))
    # two seeds 1 and 3: sd sqrt(2), sem 1, t(0.975, 1) = 12.706204736174707
    two = sig.seed_interval([1, 3])
    assert two['n'] == 2 and two['std'] == pytest.approx(math.sqrt(2))
    assert (two['low'], two['high']) == pytest.approx((2 - 12.706204736174707, 2 + 12.706204736174707))
    for bad in ([], [[1.0, 2.0]]):
        with pytest.raises(ValueError, match='seed_interval needs a non-empty list of values'):
            sig.seed_interval(bad)


@pytest.mark.parametrize('low, high, higher, expected', [
    (0.1, 0.2, True, 'better'), (-0.2, -0.1, True, 'worse'), (-0.1, 0.1, True, 'no significant difference'),
    (0.0, 0.1, True, 'no significant difference'), (-0.1, 0.0, True, 'no significant difference'),
    (0.1, 0.2, False, 'worse'), (-0.2, -0.1, False, 'better'), (0.0, 0.0, False, 'no significant difference'),
])
def test_verdict_boundaries(low, high, higher, expected):
    from mobilebench.significance import verdict
    assert verdict(low, high, higher) == expected


def test_bootstrap_outputs_and_confidence():
    from mobilebench import significance as sig
    values = np.array([0.0, 1.0] * 20)
    mean = lambda i: float(values[i].mean())  # noqa: E731
    wide = sig.bootstrap_interval(40, mean, n_resamples=400, confidence=0.99, seed=1)
    narrow = sig.bootstrap_interval(40, mean, n_resamples=400, confidence=0.5, seed=1)
    assert wide['value'] == narrow['value'] == 0.5 and (wide['n_items'], wide['n_resamples']) == (40, 400)
    assert wide['low'] < narrow['low'] < 0.5 < narrow['high'] < wide['high']
    # the standard error of a mean of 40 coin flips is 0.5 / sqrt(40) = 0.079: a 50 % interval is about
    # +-0.67 standard errors, a 99 % one about +-2.58
    assert narrow['high'] - narrow['low'] == pytest.approx(2 * 0.674 * 0.079, abs=0.03)
    assert wide['high'] - wide['low'] == pytest.approx(2 * 2.576 * 0.079, abs=0.08)
    res = sig.paired_difference(40, mean, lambda i: 0.25, n_resamples=400, confidence=0.9, seed=1)
    assert res['diff'] == 0.25 and res['confidence'] == 0.9 and (res['n_items'], res['n_resamples']) == (40, 400)
    assert res['verdict'] == 'better' and res['low'] > 0.1
    with pytest.raises(ValueError, match='at least 2 test items, got 1'):
        sig.paired_difference(1, mean, mean)


def test_item_metrics_by_hand():
    from mobilebench import significance as sig
    a, b = np.array([0.0, 1.0, 1.0]), np.array([1.0, 1.0, 0.0])
    pooled = sig.mean_over_seeds([lambda i: float(a[i].mean()), lambda i: float(b[i].mean())])
    assert pooled(np.arange(3)) == pytest.approx(2 / 3) and pooled(np.array([0, 0])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match='^mean_over_seeds needs at least one metric$'):
        sig.mean_over_seeds([])
    # equal scores: the stable order ranks class 0 first; top-2 then holds classes 0 and 1
    scores = np.array([[1.0, 1.0, 1.0], [0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    labels = np.array([0, 2, 2])
    assert sig.topk_metric(scores, labels)(np.arange(3)) == pytest.approx(1 / 3)
    assert sig.topk_metric(scores, labels, k=2)(np.arange(3)) == pytest.approx(1.0)
    assert sig.topk_metric(scores, labels)(np.array([0, 0, 1])) == pytest.approx(2 / 3)  # resampled items
    with pytest.raises(ValueError, match=r'scores must be \(N, C\) and labels \(N,\), got \(3,\) and \(3,\)'):
        sig.topk_metric(scores[:, 0], labels)
    # 2 folds of 2 pairs (same 0.1, diff 0.5 | same 0.3, diff 0.2): fold 0 is tested at threshold 0 (no threshold
    # beats 1/2 on fold 1, the first is kept) -> 1/2; fold 1 at 0.11 (first separating threshold of fold 0)
    # rejects both of its pairs -> 1/2
    acc = sig.verification_metric([0.1, 0.5, 0.3, 0.2], [True, False, True, False], n_folds=2)
    assert acc(np.arange(4)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match='4 pairs cannot be split into 10 folds'):
        sig.verification_metric([0.1, 0.5, 0.3, 0.2], [True, False, True, False])(np.arange(4))
    with pytest.raises(ValueError, match=r'verification_metric: \(3,\) distances for \(2,\) labels'):
        sig.verification_metric([0.1, 0.2, 0.3], [True, False])


# ============================================================================ benchmark/table.py
def _results(tmp_path):
    import json
    runs = tmp_path / 'runs'
    runs.mkdir()

    def rec(run_id, task, backbone, status='ok', **kw):
        r = dict(status=status, task=task, backbone=backbone, **kw)
        (runs / f'{run_id}.json').write_text(json.dumps(r, allow_nan=True))

    cx = dict(madds=300e6, params=3.5e6, backbone_madds=200e6, convention='true',
              by_convention={'mxnet': dict(madds=310e6, params=3.6e6)})
    rec('voc__a__s0', 'voc', 'a', metrics={'mAP': 0.6, 'AP50': 0.8}, untrained_metrics={'mAP': 0.01}, complexity=cx,
        latency={'median_ms': 10.0}, meta={'wall_time_s': 100})
    rec('voc__a__s1', 'voc', 'a', metrics={'mAP': 0.7}, untrained_metrics={'mAP': 0.03}, complexity=cx,
        latency={'median_ms': 12.0}, meta={'wall_time_s': 300})
    rec('voc__b', 'voc', 'b', metrics={'mAP': 0.8})
    rec('voc__c', 'voc', 'c', metrics={'mAP': float('nan')})
    rec('err__a', 'err', 'a', metrics={'err': 0.3})
    rec('err__b', 'err', 'b', metrics={'err': 0.2})
    rec('voc__d', 'voc', 'd', status='failed', error='CUDA out of memory')
    rec('voc__e', 'voc', 'e', status='blocked', blocked_by='pre__e', error='pretraining failed')
    rec('voc__f', 'voc', 'f', status='running')
    (runs / 'voc__g.json').write_text('{"status": "ok", ')
    rec('voc__h', 'voc', 'h', metrics=[0.5])
    plan = dict(name='toy', tasks=dict(voc=dict(metric='mAP', metrics=['mAP', 'AP50'], higher_is_better=True),
                                       err=dict(metric='err', higher_is_better=False)),
                runs=['voc__a__s0', 'voc__never'])
    (tmp_path / 'benchmark.json').write_text(json.dumps(plan))
    return str(tmp_path)


def test_leaderboard_gather_rows_and_ranks_by_hand(tmp_path):
    from mobilebench.benchmark import table as T
    data = T.gather(_results(tmp_path))
    assert data['name'] == 'toy' and sorted(data['tasks']) == ['err', 'voc']
    problems = {p['run_id']: (p['kind'], p['detail']) for p in data['problems']}
    assert problems['voc__d'] == ('failed', 'CUDA out of memory')
    assert problems['voc__e'] == ('blocked', 'blocked by pre__e: pretraining failed')
    assert problems['voc__f'] == ('running', 'interrupted or still running; re-run tools/benchmark.py to finish it')
    assert problems['voc__never'] == ('missing', 'planned but no record yet')
    assert problems['voc__g'][0] == 'corrupt'
    assert problems['voc__g'][1].startswith(str(tmp_path / 'runs' / 'voc__g.json'))
    assert problems['voc__h'] == ('corrupt', f'{tmp_path}/runs/voc__h.json: `metrics` is list, expected an object')
    assert len(problems) == 6 and len(data['runs']) == 6
    # higher is better: b (0.8), a (mean of 0.6 and 0.7), then c (NaN: no value) last
    rows = T.task_rows(data, 'voc')
    assert [r['backbone'] for r in rows] == ['b', 'a', 'c']
    a = rows[1]
    assert a['value'] == pytest.approx(0.65) and a['value_std'] == pytest.approx(0.0707107, abs=1e-6)
    assert a['seeds'] == 2 and a['metrics'] == {'AP50': pytest.approx(0.8), 'mAP': pytest.approx(0.65)}
    assert a['untrained'] == pytest.approx(0.02) and a['latency_ms'] == pytest.approx(11.0) and a['wall_s'] == 200
    assert (a['madds_m'], a['params_m'], a['backbone_madds_m']) == pytest.approx((300.0, 3.5, 200.0))
    assert a['convention'] == 'true' and a['by_convention'] == {'mxnet': dict(madds_m=pytest.approx(310.0),
                                                                              params_m=pytest.approx(3.6))}
    assert rows[0]['value_std'] is None and rows[0]['latency_ms'] is None and rows[0]['convention'] is None
    assert rows[2]['value'] is None and rows[2]['metrics'] == {'mAP': None}
    # lower is better: b (0.2) before a (0.3)
    assert [r['backbone'] for r in T.task_rows(data, 'err')] == ['b', 'a']
    assert T.summary(data) == [dict(backbone='b', ranks={'voc': 1, 'err': 1}, mean_rank=1.0, tasks=2),
                               dict(backbone='a', ranks={'voc': 2, 'err': 2}, mean_rank=2.0, tasks=2)]
    assert T.metric_columns(data, 'voc') == ['mAP', 'AP50'] and T.metric_columns(data, 'err') == ['err']
    assert [T.convention_of(r) for r in rows] == ['n/a', 'true', 'n/a']
    assert T.convention_of(dict(convention=None, madds_m=None, params_m=2.0)) == 'true'


def test_leaderboard_plan_problems_and_missing_folder(tmp_path):
    import json

    from mobilebench.benchmark import table as T
    with pytest.raises(FileNotFoundError, match='results folder not found: .*nope'):
        T.gather(str(tmp_path / 'nope'))
    for plan, why in [([1], 'a JSON object was expected, got list'),
                      (dict(tasks=[1]), '`tasks` is not an object of task definitions'),
                      (dict(tasks=dict(voc=dict(metric=1))), '`tasks.voc.metric` is not a string'),
                      (dict(tasks=dict(voc=dict(metrics='mAP'))), '`tasks.voc.metrics` is not a list of strings'),
                      (dict(runs='a'), '`runs` is not a list of run ids'),
                      (dict(runs=[1]), '`runs` is not a list of run ids')]:
        (tmp_path / 'benchmark.json').write_text(json.dumps(plan))
        data = T.gather(str(tmp_path))
        assert data['problems'] == [dict(run_id='benchmark.json', kind='corrupt',
                                         detail=f'{tmp_path}/benchmark.json: {why}')]
        assert data['name'] == osp_basename(tmp_path) and data['tasks'] == {}
    (tmp_path / 'benchmark.json').write_text(json.dumps(dict(tasks=dict(voc=dict(metric=None, metrics=None)))))
    assert T.gather(str(tmp_path))['problems'] == []
    # a task without a plan entry takes its definition from the first ok record
    (tmp_path / 'runs').mkdir()
    (tmp_path / 'runs' / 'x.json').write_text(json.dumps(dict(status='ok', task='cls', backbone='a', metric='top1',
                                                              higher_is_better=False, metrics={'top1': 1})))
    (tmp_path / 'runs' / 'y.json').write_text(json.dumps(dict(status='ok', task='det', backbone='a', metric='AP',
                                                              metrics_shown=['AP', 'AP50'], metrics={'AP': 1})))
    tasks = T.gather(str(tmp_path))['tasks']
    assert tasks['cls'] == dict(metric='top1', metrics=['top1'], higher_is_better=False)
    assert tasks['det'] == dict(metric='AP', metrics=['AP', 'AP50'], higher_is_better=True)


def osp_basename(path):
    import os.path as osp
    return osp.basename(osp.normpath(str(path)))


def test_pareto_front_both_directions():
    from mobilebench.benchmark.table import pareto_front
    pts = [(1, 0.5), (2, 0.7), (3, 0.6), (2, 0.4)]
    assert pareto_front(pts) == [0, 1]  # (3, .6) is dominated by (2, .7); (2, .4) by (1, .5)
    assert pareto_front(pts, higher_is_better=False) == [0, 3]  # lower is better: (2, .4) beats (1, .5) on value
    assert pareto_front([(1, 0.5), (1, 0.5)]) == [0, 1]  # equal points do not dominate each other
    assert pareto_front([(1, 0.5), (1, 0.6)]) == [1] and pareto_front([(1, 0.5), (2, 0.5)]) == [0]


# ============================================================================ reid/ranking.py
def test_ranking_edges_by_hand():
    from mobilebench.reid.ranking import evaluate_ranking, pairwise_distance
    # first valid match at rank 3, beyond the largest CMC rank 2: CMC stays 0, AP = 1/3
    res = evaluate_ranking([[0.1, 0.2, 0.3]], [1], [5, 6, 1], [1], [2, 2, 2], ranks=(2, 1))
    assert res['cmc'] == {2: 0.0, 1: 0.0} and res['mAP'] == pytest.approx(1 / 3)
    assert list(res['cmc']) == [2, 1]  # in the order asked for
    # two queries, two valid matches each: q0 ranks g0 g1 (hits) g2: AP 1; q1 ranks g1 (hit) g2 g0 (hit):
    # AP (1/1 + 2/3) / 2 = 5/6
    res = evaluate_ranking([[0.1, 0.2, 0.3], [0.3, 0.1, 0.2]], [1, 1], [1, 1, 2], [3, 3], [1, 2, 1], ranks=(1, 2))
    np.testing.assert_allclose(res['ap'], [1.0, 5 / 6])
    assert res['mAP'] == pytest.approx(11 / 12) and res['cmc'] == {1: 1.0, 2: 1.0}
    # same-camera matches are junk only for the query's own identity: here g2 (pid 2, camera 3) is a negative
    res = evaluate_ranking([[0.3, 0.2, 0.1]], [1], [1, 1, 2], [3], [1, 2, 3], ranks=(1, 2, 3))
    assert res['cmc'] == {1: 0.0, 2: 1.0, 3: 1.0} and res['mAP'] == pytest.approx((1 / 2 + 2 / 3) / 2)
    with pytest.raises(ValueError, match=r'CMC ranks must be >= 1, got \[1, 0\]'):
        evaluate_ranking([[0.1]], [1], [1], [1], [2], ranks=(1, 0))
    with pytest.raises(ValueError, match=r'distmat \(3,\) does not match 1 query / 3 gallery identities and 1 / 3'):
        evaluate_ranking([0.1, 0.2, 0.3], [1], [1, 2, 3], [1], [1, 2, 3])
    with pytest.raises(ValueError, match=r'distmat \(1, 2\) does not match 1 query / 2 gallery identities and 2 / 2'):
        evaluate_ranking([[0.1, 0.2]], [1], [1, 2], [1, 1], [1, 2])
    with pytest.raises(ValueError, match=r'none of the 2 queries has a valid match in the gallery'):
        evaluate_ranking([[0.1], [0.2]], [1, 2], [-1], [1, 2], [2])
    with pytest.raises(ValueError, match=r"unknown distance metric 'l1'; use 'euclidean' or 'cosine'"):
        pairwise_distance(np.ones((1, 2)), np.ones((1, 2)), 'l1')
    with pytest.raises(ValueError, match=r'features must be \(Q, D\) and \(G, D\) with the same D; got \(1, 2\) and '
                       r'\(1, 3\)'):
        pairwise_distance(np.ones((1, 2)), np.ones((1, 3)))
    with pytest.raises(ValueError, match='same D; got \\(2,\\) and \\(1, 2\\)'):
        pairwise_distance(np.ones(2), np.ones((1, 2)))
    # squared euclidean never negative (rounding of |q|^2 + |g|^2 - 2 q.g), cosine of a zero vector is 1
    q = np.array([[1e8 + 1, 1e8]])
    assert pairwise_distance(q, q)[0, 0] == 0.0
    np.testing.assert_allclose(pairwise_distance(np.zeros((1, 2)), np.array([[3.0, 4.0]]), 'cosine'), [[1.0]])
    np.testing.assert_allclose(pairwise_distance([[1.0, 0.0]], [[0.0, 2.0], [-3.0, 0.0]], 'cosine'), [[1.0, 2.0]])


# ============================================================================ benchmark/claims.py
def test_claims_pid_identity():
    import os
    import socket
    import subprocess
    import sys

    from mobilebench.benchmark.claims import owner_info, pid_alive, pid_start_time
    with open('/proc/self/stat') as f:  # field 22 (starttime), counted after the ')' closing the command name
        expected = f.read().split(') ')[-1].split()[22 - 3]
    assert pid_start_time(os.getpid()) == expected
    assert owner_info() == dict(host=socket.gethostname(), pid=os.getpid(), pid_start=expected)
    assert owner_info(1)['pid'] == 1
    assert pid_alive(os.getpid()) and pid_alive(str(os.getpid()), expected)
    assert not pid_alive(os.getpid(), str(int(expected) + 1))  # a recycled pid: another start time
    p = subprocess.Popen([sys.executable, '-c', 'pass'])
    p.wait()
    assert not pid_alive(p.pid) and pid_start_time(p.pid) is None


def test_claims_take_over_update_release(tmp_path):
    import json
    import os
    import time

    from mobilebench.benchmark.claims import Claims
    c = Claims(str(tmp_path), stale_after_s=60, heartbeat_s=0.05)
    assert c.path('r1') == f'{tmp_path}/claims/r1.claim' and c.read('r1') is None
    token = c.try_claim('r1', executor='local')
    on_disk = json.load(open(c.path('r1')))
    assert on_disk['token'] == token and len(token) == 16 and on_disk['executor'] == 'local'
    assert on_disk['run_id'] == 'r1' and on_disk['pid'] == os.getpid() and abs(on_disk['created'] - time.time()) < 60
    assert c.read('r1')['mtime'] == os.path.getmtime(c.path('r1'))
    assert c.try_claim('r1') is None  # this process is alive: the claim holds
    # another host's claim: live while its heartbeat is younger than stale_after_s
    other = dict(host='elsewhere', pid=1, token='t-old', run_id='r2')
    os.makedirs(c.folder, exist_ok=True)
    with open(c.path('r2'), 'w') as f:
        json.dump(other, f)
    assert c.alive(c.read('r2')) and c.try_claim('r2') is None
    old = time.time() - 61
    os.utime(c.path('r2'), (old, old))
    assert not c.alive(c.read('r2'))
    assert Claims(str(tmp_path), stale_after_s=120).alive(c.read('r2'))
    # a fresh takeover lock of another taker: give way; an old one (its taker died) is cleared for next time
    lock = c.path('r2') + '.takeover'
    open(lock, 'w').close()
    assert c.try_claim('r2') is None and os.path.exists(lock)
    os.utime(lock, (time.time() - 31, time.time() - 31))
    assert c.try_claim('r2') is None and not os.path.exists(lock)
    new = c.try_claim('r2')
    assert new and json.load(open(c.path('r2')))['took_over'] == 't-old' and not os.path.exists(lock)
    # update / adopt only with our token; the file never stores the mtime
    assert not c.update('r2', 'wrong', job_id='7') and not c.update('nope', new)
    assert c.update('r2', new, job_id='7', executor='slurm')
    on_disk = json.load(open(c.path('r2')))
    assert on_disk['job_id'] == '7' and on_disk['token'] == new and 'mtime' not in on_disk
    assert c.alive(c.read('r2'), slurm_active={'7'}) and not c.alive(c.read('r2'), slurm_active={'8'})
    assert c.adopt('r2', new, note='job') and json.load(open(c.path('r2')))['note'] == 'job'
    # release: not with another token, nor without one
    c.release('r2', 'wrong')
    c.release('r2', None)
    assert os.path.exists(c.path('r2'))
    c.release('r2', new)
    assert not os.path.exists(c.path('r2'))
    c.release('r2', new)  # already gone: no error
    assert not c.alive(None) and not c.alive({})


def test_claims_unreadable_and_heartbeat(tmp_path):
    import os
    import time

    from mobilebench.benchmark.claims import Claims
    c = Claims(str(tmp_path), stale_after_s=60, heartbeat_s=0.05)
    os.makedirs(c.folder)
    for text in ('{"token": ', '[1, 2]'):  # a writer died mid-write / not an object: judged by age only
        with open(c.path('r'), 'w') as f:
            f.write(text)
        claim = c.read('r')
        assert claim == dict(token=None, mtime=os.path.getmtime(c.path('r')))
        assert c.alive(claim) and c.try_claim('r') is None
    os.utime(c.path('r'), (time.time() - 100, time.time() - 100))
    token = c.try_claim('r')
    assert token is not None
    old = time.time() - 50
    os.utime(c.path('r'), (old, old))
    c.touch(['r', 'not-claimed'])
    assert os.path.getmtime(c.path('r')) > old + 40
    os.utime(c.path('r'), (old, old))
    c.start_heartbeat()
    c.start_heartbeat()  # idempotent
    deadline = time.time() + 5
    while os.path.getmtime(c.path('r')) < old + 40 and time.time() < deadline:
        time.sleep(0.02)
    c.stop_heartbeat()
    assert os.path.getmtime(c.path('r')) > old + 40  # refreshed by the heartbeat thread


# ============================================================================ checkpoint.py
def _net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))


class _Wrapped(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = _net()


def test_checkpoint_state_dict_comparison_by_hand():
    from mobilebench.checkpoint import CheckpointMismatchError, compare_state_dict, format_diff, state_dict_of
    net = _net()
    full = net.state_dict()
    assert compare_state_dict(net, full).fits and compare_state_dict(net, full).matched == 6  # 7 minus the counter
    state = {k: v for k, v in full.items() if k not in ('0.bias', '1.num_batches_tracked')}
    state['0.weight'] = torch.zeros(4, 2)
    state['x.y'] = torch.zeros(1)
    state['x.num_batches_tracked'] = torch.zeros(())  # never reported
    diff = compare_state_dict(net, state)
    assert (diff.missing, diff.unexpected, diff.mismatched, diff.matched) == (
        ['0.bias'], ['x.y'], [('0.weight', (4, 2), (3, 2))], 4) and not diff.fits
    assert format_diff(diff) == ('  1 mis-shaped (checkpoint shape -> model shape):\n    0.weight: (4, 2) -> (3, 2)\n'
                                 '  1 missing from the checkpoint:\n    0.bias\n'
                                 '  1 unexpected (in the checkpoint, not in the model):\n    x.y')
    many = type(diff)(missing=['a', 'b', 'c'], unexpected=['d', 'e'], mismatched=[('f', (1, ), (2, ))] * 2)
    assert format_diff(many, limit=1).splitlines()[-3:] == ['  ... and 1 more mis-shaped keys',
                                                            '  ... and 2 more missing keys',
                                                            '  ... and 1 more unexpected keys']
    assert len(format_diff(many, limit=2).splitlines()) == 3 + 2 + 2 + 2 + 1  # 3 headers, 2 + 2 + 2 keys, 1 "more"
    # unwrapping and key revision
    wrapped = state_dict_of(dict(state_dict={'module.0.weight': 1, 'a.module.b': 2}, meta={}))
    assert wrapped == {'0.weight': 1, 'a.module.b': 2}
    bare = state_dict_of({'module.x': 1}, revise_keys=[(r'^module\.', 'm.'), (r'^m\.', 'n.')])
    assert bare == {'n.x': 1}
    sd = net.state_dict()
    assert state_dict_of(sd)._metadata == sd._metadata  # module versions travel with the tensors
    with pytest.raises(CheckpointMismatchError, match='the checkpoint is a list, not a dict of tensors'):
        state_dict_of([1])


def test_checkpoint_fit_messages(tmp_path):
    from mobilebench.checkpoint import PARTIAL_LOAD_HINT, CheckpointMismatchError, check_checkpoint_fits
    net = _net()
    state = {k: v for k, v in net.state_dict().items() if k != '0.bias'}
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint_fits(net, state, 'ck.pth', 'the model of a.py')
    msg = str(err.value)
    assert msg.startswith('checkpoint ck.pth does not fit the model of a.py: 5 of 6 model tensors match by name and '
                          'shape.\n  1 missing from the checkpoint:\n    0.bias\n')
    assert msg.endswith(f'or the config that produced the checkpoint. To fine-tune from a related model, '
                        f'{PARTIAL_LOAD_HINT}.')
    with MMLogCapture() as log:
        diff = check_checkpoint_fits(net, state, 'ck.pth', partial=True)
    assert diff.missing == ['0.bias']
    assert [m for lvl, m in log.lines if lvl == 'WARNING'][0].endswith(
        'partial_load=True: loading the 5 matching tensors; the others keep their initialisation.')
    # partial, but nothing matches: still an error, with the prefix hint and without the partial-load advice
    prefixed = {'backbone.' + k: v for k, v in net.state_dict().items()}
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint_fits(net, prefixed, 'ck.pth', partial=True)
    assert 'Every checkpoint key starts with `backbone.`: it belongs to a model that contains this one; strip the ' \
           'prefix (e.g. --prefix backbone.).' in str(err.value) and PARTIAL_LOAD_HINT not in str(err.value)
    with pytest.raises(CheckpointMismatchError, match=r"holds only the model's `backbone.` sub-module: load it with "
                       r"init_cfg=dict\(type='Pretrained', checkpoint=..., prefix='backbone.'\)"):
        check_checkpoint_fits(_Wrapped(), net.state_dict(), 'ck.pth')
    # no hint when some tensors match (the prefix is not the problem)
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint_fits(net, dict(prefixed, **{'0.weight': net.state_dict()['0.weight']}), 'ck.pth')
    assert 'Every checkpoint key' not in str(err.value) and 'sub-module' not in str(err.value)


def test_load_checkpoint_checked_with_prefix(tmp_path):
    from mobilebench.checkpoint import CheckpointMismatchError, load_checkpoint_checked
    src = _Wrapped()
    with torch.no_grad():
        src.backbone[0].weight.fill_(0.5)
    path = str(tmp_path / 'det.pth')
    torch.save(dict(state_dict=src.state_dict(), meta={}), path)
    net = _net()
    ckpt = load_checkpoint_checked(net, path, prefix='backbone')  # the dot is added
    assert set(ckpt) == {'state_dict', 'meta'} and torch.equal(net[0].weight, torch.full((3, 2), 0.5))
    with pytest.raises(CheckpointMismatchError, match=r"has no key starting with 'neck.' \(its keys start with "
                       r"\['backbone.'\]\); pass the right --prefix, or none for a bare the model checkpoint"):
        load_checkpoint_checked(_net(), path, prefix='neck.')
    with pytest.raises(CheckpointMismatchError, match='does not fit'):
        load_checkpoint_checked(_net(), path)
    # partial: the matching tensors are loaded, the rest stays
    torch.save({'0.weight': torch.ones(3, 2), 'zzz': torch.ones(1)}, path)
    net = _net()
    bias = net[0].bias.clone()
    load_checkpoint_checked(net, path, partial=True)
    assert torch.equal(net[0].weight, torch.ones(3, 2)) and torch.equal(net[0].bias, bias)


def test_checkpoint_fit_hook_never_partial_on_resume():
    from types import SimpleNamespace

    from mobilebench.checkpoint import CheckpointFitHook, CheckpointMismatchError
    net = _net()
    state = {k: v for k, v in net.state_dict().items() if k != '0.bias'}
    runner = SimpleNamespace(model=net, cfg=SimpleNamespace(filename='cfg.py'), _load_from='ck.pth', _resume=False)
    CheckpointFitHook(partial=True).after_load_checkpoint(runner, dict(state_dict=state))
    with pytest.raises(CheckpointMismatchError, match='checkpoint ck.pth does not fit the model of cfg.py'):
        CheckpointFitHook(partial=False).after_load_checkpoint(runner, dict(state_dict=state))
    runner._resume = True
    with pytest.raises(CheckpointMismatchError):
        CheckpointFitHook(partial=True).after_load_checkpoint(runner, dict(state_dict=state))
    bare = SimpleNamespace(model=net, cfg=SimpleNamespace())
    with pytest.raises(CheckpointMismatchError, match='checkpoint the checkpoint does not fit the model of the config'):
        CheckpointFitHook().after_load_checkpoint(bare, state)
    assert CheckpointFitHook.priority == 'VERY_HIGH' and CheckpointFitHook(partial=1).partial is True


# ============================================================================ datasets/coco.py
def _coco_folder(tmp_path, n_images=2, on_disk=(1, 2)):
    import json
    (tmp_path / 'annotations').mkdir()
    (tmp_path / 'val2017').mkdir()
    images = [dict(id=i, file_name=f'{i:012d}.jpg', width=64, height=48) for i in range(1, n_images + 1)]
    for i in on_disk:
        (tmp_path / 'val2017' / f'{i:012d}.jpg').write_bytes(b'\xff\xd8')
    anns = [dict(id=10, image_id=1, category_id=1, bbox=[2, 3, 10, 20], area=200, iscrowd=0),
            dict(id=11, image_id=2, category_id=3, bbox=[0, 0, 5, 5], area=25, iscrowd=1)]
    cats = [dict(id=1, name='person'), dict(id=3, name='car')]
    ann = tmp_path / 'annotations' / 'instances_val2017.json'
    ann.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))
    return dict(data_root=str(tmp_path), ann_file='annotations/instances_val2017.json',
                data_prefix=dict(img='val2017/'), pipeline=[])


def test_coco_dataset_same_infos_as_mmdet_and_clear_errors(tmp_path):
    from mmdet.datasets import CocoDataset as MMDetCoco

    from mobilebench.datasets.coco import CocoDataset
    kw = _coco_folder(tmp_path)
    ours = CocoDataset(**kw)
    assert ours.check_images is True
    theirs = MMDetCoco(**kw)
    assert len(ours) == 2 and [ours.get_data_info(i) for i in range(2)] == [theirs.get_data_info(i) for i in range(2)]
    info = ours.get_data_info(0)
    assert info['img_path'] == f'{tmp_path}/val2017/000000000001.jpg' and info['img_id'] == 1
    assert info['instances'][0]['bbox'] == [2, 3, 12, 23] and info['instances'][0]['bbox_label'] == 0
    assert ours.get_data_info(1)['instances'][0]['ignore_flag'] == 1  # iscrowd
    assert 'COCOAPI' not in vars(ours)  # the checking wrapper is removed again
    # an image listed in the JSON but not on disk
    (tmp_path / 'val2017' / '000000000002.jpg').unlink()
    with pytest.raises(FileNotFoundError) as err:
        CocoDataset(**kw)
    assert str(err.value).startswith(f"CocoDataset: image '{tmp_path}/val2017/000000000002.jpg' (image id 2 in "
                                     f"'{tmp_path}/annotations/instances_val2017.json') not found; images are "
                                     f'data_prefix["img"] + the JSON file_name.')
    assert len(CocoDataset(check_images=False, **kw)) == 2


def test_coco_dataset_missing_and_broken_files(tmp_path):
    from mobilebench.datasets.coco import COCO_LAYOUT, CocoDataset
    kw = _coco_folder(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        CocoDataset(**dict(kw, data_root=str(tmp_path / 'nope')))
    assert str(err.value).startswith(f"CocoDataset: data_root '{tmp_path}/nope' not found (cwd ")
    assert str(err.value).endswith(f'Expected layout: {COCO_LAYOUT}. Put the dataset there or pass '
                                   '`--cfg-options data_root=/path/to/coco/`.')
    with pytest.raises(FileNotFoundError, match=r"CocoDataset: annotation file \(ann_file\) '.*/annotations/x.json' "
                       r'not found. Expected layout: <data_root>/annotations/instances_'):
        CocoDataset(**dict(kw, ann_file='annotations/x.json'))
    ann = tmp_path / 'annotations' / 'instances_val2017.json'
    ann.write_bytes(b'')
    with pytest.raises(ValueError, match=r"CocoDataset: annotation file '.*instances_val2017.json' is empty; it must "
                       r'be a COCO instances JSON with "images", "annotations" and "categories"'):
        CocoDataset(**kw)
    ann.write_bytes(b'{"images": [')
    with pytest.raises(ValueError, match=r"instances_val2017.json"):
        CocoDataset(**kw)
    ann.write_bytes(b'\x80\x04K\x01.')
    with pytest.raises(ValueError, match=r'is not UTF-8 text \(invalid byte 0x80 at byte 0\).*looks like a pickle'):
        CocoDataset(**kw)


def test_bin_written_by_python2_and_refusal_message(tmp_path):
    """insightface's original .bin files come from Python 2, whose ``str`` images are pickled as SHORT_BINSTRING
    ('U'); they must load as bytes (pickle's encoding='bytes'), not be decoded as ASCII text."""
    from mobilebench.face.bin_format import UnsafeBinError, load_bin, restricted_loads
    py2 = b'\x80\x02]q\x00(U\x03\xff\xd8aq\x01U\x03\xff\xd8bq\x02e]q\x03\x88a\x86q\x04.'
    path = tmp_path / 'py2.bin'
    path.write_bytes(py2)
    assert load_bin(str(path)) == ([b'\xff\xd8a', b'\xff\xd8b'], [True])
    evil = b'\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R.'
    with pytest.raises(UnsafeBinError) as err:
        restricted_loads(evil)
    assert str(err.value) == ('<bytes>: refusing to load global os.system: a verification .bin may only contain '
                              '(list of bytes / uint8 numpy arrays, list of bools); re-create it with '
                              'mobilebench.face.bin_format.write_bin. The file is not plain data (corrupt or '
                              'malicious); nothing was executed.')


def test_pickle_codecs_encode_allows_only_latin1_strings():
    """Protocol-2 pickles write Python 3 bytes as ``_codecs.encode(str, 'latin1')``: both spellings of latin-1
    give the bytes (b'\\xff' from '\\xff', as str.encode does); any other codec, the default one, or a non-str
    argument is refused with the allow-list message."""
    from mobilebench.safe_pickle import UnsafePickleError, _safe_codecs_encode
    assert _safe_codecs_encode('\xff\x00a', 'latin1') == b'\xff\x00a'
    assert _safe_codecs_encode('\xe9', 'latin-1') == b'\xe9'
    for args in (('abc', ), ('abc', 'utf-8'), ('abc', 'cp1252'), (b'abc', 'latin1'), (3, 'latin1')):
        with pytest.raises(UnsafePickleError, match=r'^only _codecs\.encode\(str, "latin1"\) is allowed in a data '
                           r'pickle$'):
            _safe_codecs_encode(*args)


def test_pickle_load_of_a_file_names_it(tmp_path):
    """restricted_load reads an open binary file whole: the result equals pickle's; the file's name is the
    source of every message; a text-mode file and a truncated pickle are errors naming the file."""
    import pickle

    from mobilebench.safe_pickle import UnsafePickleError, restricted_load
    path = tmp_path / 'pairs.bin'
    path.write_bytes(pickle.dumps(([b'\x01\x02', b'x'], [True, False]), protocol=2))
    with open(path, 'rb') as f:
        assert restricted_load(f) == ([b'\x01\x02', b'x'], [True, False])
    text = tmp_path / 'notes.txt'
    text.write_text('abc')
    with open(text) as f:
        with pytest.raises(TypeError, match=r'^' + re.escape(str(text)) + r': a pickle must be opened in binary '
                           r'mode$'):
            restricted_load(f)
    path.write_bytes(pickle.dumps(([b'\x01\x02'], [True]), protocol=2)[:-3])
    with open(path, 'rb') as f:
        with pytest.raises(ValueError, match=r'^' + re.escape(str(path)) + r': not a readable pickle \(') as err:
            restricted_load(f)
    assert 'the file is truncated or in another format. Re-create it, or use a JSON file.' in str(err.value)
    with open(path, 'rb') as f:  # an explicit source wins over the file name
        with pytest.raises(ValueError, match=r'^mine: not a readable pickle'):
            restricted_load(f, source='mine')
    path.write_bytes(b'\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x85R.')
    with open(path, 'rb') as f:  # an allow-list refusal is not rewrapped as "unreadable"
        with pytest.raises(UnsafePickleError):
            restricted_load(f)


def test_pickle_messages_name_a_default_source():
    """Without a file name the messages say where the data came from: ``<bytes>`` for restricted_loads,
    ``<file>`` for an open file object without a name (e.g. io.BytesIO)."""
    import io

    from mobilebench.safe_pickle import UnsafePickleError, restricted_load, restricted_loads
    gadget = b'\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x85R.'
    with pytest.raises(UnsafePickleError, match=r'^<bytes>: refusing to load global os\.system: '):
        restricted_loads(gadget)
    with pytest.raises(ValueError, match=r'^<file>: not a readable pickle \(UnpicklingError'):
        restricted_load(io.BytesIO(b'\x80\x02(K'))


# ============================================================================ compat.py (security shims)
# The shims are installed once, when mobilebench.compat is imported. These tests install each one afresh on a
# stand-in target (restored afterwards), so what is checked is what the installer function does now.
def test_compat_weights_only_shim_makes_the_default_explicit(monkeypatch):
    from mobilebench import compat
    calls = []

    def fake_load(f, map_location=None, pickle_module=None, *, weights_only=None, **kwargs):
        calls.append((f, map_location, pickle_module, weights_only, kwargs))
        return 'loaded'

    monkeypatch.setattr(torch, 'load', fake_load)
    compat._checkpoints_load_weights_only()
    load = torch.load
    assert load is not fake_load and load.__wrapped__ is fake_load and load.__name__ == 'fake_load'
    assert load._mobilebench_weights_only is True
    assert load('a.pth') == 'loaded' and calls[-1] == ('a.pth', None, None, True, {})
    import pickle
    load('b.pth', map_location='cpu', pickle_module=pickle, mmap=True)
    assert calls[-1] == ('b.pth', 'cpu', pickle, True, {'mmap': True})
    load('c.pth', weights_only=False)  # said in code: kept
    assert calls[-1] == ('c.pth', None, None, False, {})
    compat._checkpoints_load_weights_only()  # installed already: not wrapped twice
    assert torch.load is load


_COMPAT_GADGET = b"cos\nsystem\n(S'true'\ntR."  # protocol 0: os.system('true')
_COMPAT_PICKLE_HINT = ('pickled data files are read with a restricted unpickler that accepts only plain data (dict, '
                       'list, str, numbers, numeric numpy arrays); convert the file to JSON, or re-save it as plain '
                       'data. The file is not plain data (corrupt or malicious); nothing was executed.')


def _installed_over_a_stand_in(monkeypatch, handler_cls, install, marker):
    """Install a compat shim over a stand-in ``load_from_fileobj`` that fails if it is ever called; return the
    installed reader (checked to be the shim: a new function carrying ``marker``)."""
    def stand_in(self, file, **kwargs):
        raise AssertionError('the unprotected reader ran')

    monkeypatch.setattr(handler_cls, 'load_from_fileobj', stand_in)
    install()
    reader = handler_cls.load_from_fileobj
    assert reader is not stand_in and getattr(reader, marker) is True
    return reader


def test_compat_pickle_shim_reads_plain_data_and_names_the_file(tmp_path, monkeypatch):
    import io
    import pickle

    import mmengine
    from mmengine.fileio.handlers.pickle_handler import PickleHandler

    from mobilebench import compat
    from mobilebench.safe_pickle import UnsafePickleError

    reader = _installed_over_a_stand_in(monkeypatch, PickleHandler, compat._restricted_mmengine_pickle_files,
                                        '_mobilebench_restricted')
    handler = PickleHandler()
    assert handler.load_from_fileobj(io.BytesIO(pickle.dumps({'a': [1, 2.5]}, protocol=2))) == {'a': [1, 2.5]}
    # protocol 2 as Python 2 writes a str: SHORT_BINSTRING b'\xe9\xe8'; pickle's encoding / errors pass through
    py2 = b'\x80\x02U\x02\xe9\xe8q\x00.'
    assert handler.load_from_fileobj(io.BytesIO(py2), encoding='latin1') == '\xe9\xe8'
    assert handler.load_from_fileobj(io.BytesIO(py2), encoding='bytes') == b'\xe9\xe8'
    # a named file names itself
    path = tmp_path / 'evil.pkl'
    path.write_bytes(_COMPAT_GADGET)
    with open(path, 'rb') as f, pytest.raises(UnsafePickleError) as err:
        handler.load_from_fileobj(f)
    assert str(err.value) == f'{path}: refusing to load global os.system: {_COMPAT_PICKLE_HINT}'
    # mmengine.load(path) hands over an anonymous BytesIO: the path is found in mmengine's load frame
    with pytest.raises(UnsafePickleError) as err:
        mmengine.load(str(path))
    assert str(err.value) == f'{path}: refusing to load global os.system: {_COMPAT_PICKLE_HINT}'
    # mmengine.load(file object): its repr; called directly (no mmengine frame): the default name
    buf = io.BytesIO(_COMPAT_GADGET)
    with pytest.raises(UnsafePickleError) as err:
        mmengine.load(buf, file_format='pkl')
    assert str(err.value) == f'{buf!r}: refusing to load global os.system: {_COMPAT_PICKLE_HINT}'
    with pytest.raises(UnsafePickleError) as err:
        handler.load_from_fileobj(io.BytesIO(_COMPAT_GADGET))
    assert str(err.value).startswith('<pickle read by mmengine.fileio.load>: refusing to load global os.system')

    def load(file):  # a caller named `load` outside mmengine's fileio/io.py is not mmengine.load: not its `file`
        return handler.load_from_fileobj(io.BytesIO(_COMPAT_GADGET))

    with pytest.raises(UnsafePickleError) as err:
        load('decoy.pkl')
    assert str(err.value).startswith('<pickle read by mmengine.fileio.load>: refusing to load global os.system')
    compat._restricted_mmengine_pickle_files()  # installed already: unchanged
    assert PickleHandler.load_from_fileobj is reader


def test_compat_yaml_shim_uses_the_safe_loader_whatever_the_caller_passes(monkeypatch):
    import io

    import yaml
    from mmengine.fileio.handlers.yaml_handler import YamlHandler

    from mobilebench import compat

    reader = _installed_over_a_stand_in(monkeypatch, YamlHandler, compat._safe_mmengine_yaml_files, '_mobilebench_safe')
    handler = YamlHandler()
    assert handler.load_from_fileobj(io.StringIO('a: [1, 2]\nb: x\n')) == {'a': [1, 2], 'b': 'x'}
    gadget = 'hook: !!python/object/apply:os.system ["true"]\n'
    for kwargs in ({}, {'Loader': yaml.UnsafeLoader}):
        with pytest.raises(yaml.constructor.ConstructorError, match='python/object/apply:os.system'):
            handler.load_from_fileobj(io.StringIO(gadget), **kwargs)
    compat._safe_mmengine_yaml_files()
    assert YamlHandler.load_from_fileobj is reader


def test_compat_image_errors_name_file_sample_and_kind(tmp_path, monkeypatch):
    from mmcv.transforms.loading import LoadImageFromFile

    from mobilebench import compat
    missing = FileNotFoundError('no such file')

    def original(self, results):
        if results['fail'] == 'os':
            raise missing
        if results['fail']:
            raise RuntimeError(results['fail'])
        return 'decoded'

    monkeypatch.setattr(LoadImageFromFile, 'transform', original)
    compat._image_errors_name_the_file()
    transform = LoadImageFromFile.transform
    assert transform is not original and transform.__wrapped__ is original and transform._mobilebench_named is True
    loader = LoadImageFromFile()
    assert transform(loader, dict(fail=None)) == 'decoded'
    with pytest.raises(FileNotFoundError) as err:
        transform(loader, dict(fail='os', img_path='x.jpg'))
    assert err.value is missing
    tail = '. Re-download or re-export the image, or remove it from the annotation file.'
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    with pytest.raises(ValueError) as err:
        transform(loader, dict(fail='  boom  ', img_path=str(empty), img_id=3, sample_idx=7))
    assert str(err.value) == \
        f"image {str(empty)!r} (img_id 3, sample_idx 7) is empty (0 bytes): RuntimeError: boom{tail}"
    assert isinstance(err.value.__cause__, RuntimeError)
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'not a jpeg')
    with pytest.raises(ValueError) as err:  # the original message is cut at 200 characters
        transform(loader, dict(fail=' ' + 'y' * 250, img_path=str(bad), sample_idx=0))
    assert str(err.value) == (f"image {str(bad)!r} (sample_idx 0) is corrupt, truncated or not an image: "
                              f"RuntimeError: {'y' * 200}{tail}")
    with pytest.raises(ValueError) as err:  # no file at that path (the size is unknown), no sample id
        transform(loader, dict(fail='x', img_path=str(tmp_path / 'gone.jpg')))
    assert str(err.value) == \
        f"image {str(tmp_path / 'gone.jpg')!r} (no sample id) is not decodable: RuntimeError: x{tail}"
    with pytest.raises(ValueError) as err:  # no path at all
        transform(loader, dict(fail='x', img_id=1))
    assert str(err.value) == f'image None (img_id 1) is not decodable: RuntimeError: x{tail}'
    compat._image_errors_name_the_file()
    assert LoadImageFromFile.transform is transform


# ============================================================================ face/recordio.py
def _rec_bytes(payloads):
    """dmlc RecordIO framing by hand: magic 0xced7230a, uint32 length (cflag 0), payload, zero padding to 4."""
    out, offsets = b'', []
    for p in payloads:
        offsets.append(len(out))
        out += struct.pack('<II', 0xCED7230A, len(p)) + p + b'\x00' * (-len(p) % 4)
    return out, offsets


def test_recordio_write_face_layouts_byte_by_byte(tmp_path):
    """Modern layout: one image record per key from 0, IRHeader '<IfQQ' (flag 0, label, id = key, id2 0).
    Legacy layout (labels 2, 0, 2: 3 classes, class 1 empty): record 0 = flag 2 with labels [n + 1, n + 1 + C] =
    [4, 7]; images at keys 1..3 (id = key); one record per class at keys 4..6 with [first key, last key + 1]:
    class 0 -> key 2 -> [2, 3]; class 1 none -> [0, 0]; class 2 -> keys 1, 3 -> [1, 4]."""
    from mobilebench.face.recordio import RecordIOReader, image_keys, write_face_recordio
    imgs = [b'AAAA', b'BB', b'CCC']
    out = write_face_recordio(str(tmp_path / 'new' / 'deep'), list(zip(imgs, [1, 0, 1])), image_size=(112, 96))
    d = tmp_path / 'new' / 'deep'
    assert out == dict(rec=str(d / 'train.rec'), idx=str(d / 'train.idx'), property=str(d / 'property'))
    payloads = [struct.pack('<IfQQ', 0, lb, k, 0) + img for k, (img, lb) in enumerate(zip(imgs, [1.0, 0.0, 1.0]))]
    rec, offsets = _rec_bytes(payloads)
    assert offsets == [0, 36, 72]  # 8 + 28; 8 + 26 + 2 padding; ...
    assert (d / 'train.rec').read_bytes() == rec
    assert (d / 'train.idx').read_text() == '0\t0\n1\t36\n2\t72\n'
    assert (d / 'property').read_text() == '2,112,96\n3\n'

    out = write_face_recordio(str(tmp_path / 'old'), list(zip(imgs, [2, 0, 2])), legacy_header=True)
    head = [struct.pack('<IfQQ', 2, 0.0, 0, 0) + np.array(v, '<f4').tobytes()
            for v in ([4, 7], [2, 3], [0, 0], [1, 4])]
    images = [struct.pack('<IfQQ', 0, lb, k, 0) + img for k, (img, lb) in enumerate(zip(imgs, [2.0, 0.0, 2.0]), 1)]
    rec, offsets = _rec_bytes([head[0]] + images + head[1:])
    assert (tmp_path / 'old' / 'train.rec').read_bytes() == rec
    assert (tmp_path / 'old' / 'train.idx').read_text() == ''.join(f'{k}\t{o}\n' for k, o in enumerate(offsets))
    assert (tmp_path / 'old' / 'property').read_text() == '3,112,112\n3\n'
    reader = RecordIOReader(out['rec'])
    assert image_keys(reader) == [1, 2, 3]
    reader.close()
    with pytest.raises(ValueError, match='^write_face_recordio: no samples to write$'):
        write_face_recordio(str(tmp_path / 'none'), [])


def test_recordio_reader_pickles_without_its_handle_and_closes(tmp_path):
    import pickle

    from mobilebench.face.recordio import RecordIOReader
    rec, offsets = _rec_bytes([b'first!', b'second'])
    (tmp_path / 'a.rec').write_bytes(rec)
    (tmp_path / 'a.idx').write_text(f'7\t{offsets[0]}\n9\t{offsets[1]}\n')
    reader = RecordIOReader(str(tmp_path / 'a.rec'))
    assert reader.read_idx(7) == b'first!'
    fh = reader._fh
    state = reader.__getstate__()
    assert state['_fh'] is None and state['_pid'] is None and state['index'] == {7: offsets[0], 9: offsets[1]}
    assert reader._fh is fh and reader._pid is not None  # the reader itself keeps its handle
    copy = pickle.loads(pickle.dumps(reader))
    assert copy._fh is None and copy.read_idx(9) == b'second' and copy.read_idx(7) == b'first!'
    copy.close()
    reader.close()
    assert fh.closed and reader._fh is None
    reader.close()  # twice: nothing to close
    assert reader.read_idx(9) == b'second'  # re-opened on use
    reader.close()


_REC_MAGIC = struct.pack('<I', 0xCED7230A)
_REC_FIX = ('; re-copy it or re-pack the data set with tools/data/pack_face_recordio.py')


def _rec_part(cflag, data):
    return struct.pack('<II', 0xCED7230A, (cflag << 29) | len(data)) + data + b'\x00' * (-len(data) % 4)


def test_recordio_records_and_index_errors_by_hand(tmp_path):
    from mobilebench.face.recordio import IRHeader, RecordIOError, pack_record, read_idx, read_property, unpack_record
    # IRHeader '<IfQQ': flag, label, id, id2 (24 bytes); flag > 0: flag float32 labels follow
    assert pack_record(IRHeader(0, [1.5, 2.25], 3, 4), b'jpg') == \
        struct.pack('<IfQQ', 2, 0.0, 3, 4) + struct.pack('<2f', 1.5, 2.25) + b'jpg'
    assert pack_record(IRHeader(0, [1, 2], 5), b'') == struct.pack('<IfQQ', 2, 0.0, 5, 0) + struct.pack('<2f', 1, 2)
    header, body = unpack_record(struct.pack('<IfQQ', 0, 7.0, 1, 9))  # exactly 24 bytes: no image bytes
    assert header == IRHeader(0, 7.0, 1, 9) and body == b''
    header, body = unpack_record(struct.pack('<IfQQ', 1, 0.0, 2, 8) + struct.pack('<f', 0.5) + b'img')
    assert header.flag == 1 and header.label.tolist() == [0.5] and header.id2 == 8 and body == b'img'
    with pytest.raises(RecordIOError) as err:
        unpack_record(b'x' * 23)
    assert str(err.value) == 'record: record of 23 bytes is shorter than the 24-byte IRHeader'
    with pytest.raises(RecordIOError) as err:
        unpack_record(struct.pack('<IfQQ', 2, 0.0, 0, 0) + b'abcd', where='w')
    assert str(err.value) == 'w: IRHeader says 2 float labels follow but only 4 bytes remain'

    idx = tmp_path / 'a.idx'
    with pytest.raises(FileNotFoundError) as err:
        read_idx(str(idx))
    assert str(err.value) == f'RecordIO index not found: {idx}'
    idx.write_text('0\t0\n\n1\t36\n')  # a blank line in between is skipped, not the end
    assert read_idx(str(idx)) == {0: 0, 1: 36}
    idx.write_text('0\t0\n1 36\n')
    with pytest.raises(RecordIOError) as err:
        read_idx(str(idx))
    assert str(err.value) == f"{idx}:2: expected \"key<TAB>offset\", got '1 36'"
    idx.write_text('\n0\t0\n1\tx\n')
    with pytest.raises(RecordIOError) as err:
        read_idx(str(idx))
    assert str(err.value) == f"{idx}:3: key and offset must be integers, got '1\\tx'"
    prop = tmp_path / 'property'
    prop.write_text('2,112\n')
    with pytest.raises(ValueError) as err:
        read_property(str(prop))
    assert str(err.value) == f"{prop}: expected the first line \"num_classes,height,width\", got '2,112'"


def test_recordio_reader_errors_name_file_offset_and_sizes(tmp_path):
    from mobilebench.face.recordio import RecordIOError, RecordIOReader
    rec, idx = tmp_path / 'b.rec', tmp_path / 'b.idx'
    with pytest.raises(FileNotFoundError) as err:
        RecordIOReader(str(rec))
    assert str(err.value) == f'RecordIO file not found: {rec}'
    # key 1: a 10-byte record at 0 (8 + 12 padded = 20 bytes); key 4 at 20: no magic (12 bytes); key 2 at 32: a first
    # part of 4 bytes (12 framed) and a last part at 44 that says 8 bytes but the file ends 2 bytes into it (54)
    data = _rec_part(0, b'0123456789') + struct.pack('<II', 0x12345678, 4) + b'wxyz'
    data += _rec_part(1, b'abcd') + struct.pack('<II', 0xCED7230A, (3 << 29) | 8) + b'ef'
    assert len(data) == 54
    rec.write_bytes(data)
    idx.write_text('1\t0\n2\t32\n4\t20\n')
    reader = RecordIOReader(str(rec))
    reader.close()  # never opened: nothing to close
    assert reader.read_idx(1) == b'0123456789'
    fh = reader._file()
    assert reader._file() is fh  # one handle per process
    reader._pid = -1  # as after a fork (a dataloader worker): a fresh handle
    assert reader._file() is not fh
    trunc = ('{rec}: truncated RecordIO file: {what} at byte offset {at} needs {need} bytes but only {got} remain '
             '(file size {size}). The .rec file is incomplete or does not match {idx}' + _REC_FIX)
    with pytest.raises(RecordIOError) as err:  # the second part's payload starts at 44 + 8 = 52
        reader.read_idx(2)
    assert str(err.value) == trunc.format(rec=rec, what='record payload', at=52, need=8, got=2, idx=idx, size=54)
    with pytest.raises(RecordIOError) as err:
        reader.read_idx(4)
    assert str(err.value) == (f'{rec}: bad RecordIO magic 0x12345678 at byte offset 20 (expected 0xced7230a); '
                              f'{idx} probably does not belong to this .rec file')
    with pytest.raises(KeyError) as err:
        reader.read_idx(5)
    assert err.value.args == (f'{idx}: no record with key 5', )
    with pytest.raises(RecordIOError) as err:
        reader.read_image_record(1)
    assert str(err.value) == f'{rec} key 1: record of 10 bytes is shorter than the 24-byte IRHeader'
    reader.close()
    # 3 bytes of a header after a 20-byte record
    (tmp_path / 'e.rec').write_bytes(_rec_part(0, b'0123456789') + b'\x0a\x23\xd7')
    (tmp_path / 'e.idx').write_text('3\t20\n')
    reader = RecordIOReader(str(tmp_path / 'e.rec'))
    with pytest.raises(RecordIOError) as err:
        reader.read_idx(3)
    assert str(err.value) == trunc.format(rec=tmp_path / 'e.rec', what='record header', at=20, need=8, got=3,
                                          idx=tmp_path / 'e.idx', size=23)
    reader.close()


def test_recordio_writer_splits_at_aligned_magics_only(tmp_path):
    """dmlc splits a payload at each 4-byte aligned magic: parts cflag 1 (first), 2 (middle), 3 (last); a magic
    at an unaligned position stays in the payload."""
    from mobilebench.face.recordio import RecordIOReader, RecordIOWriter
    path = tmp_path / 'c.rec'
    payloads = [b'abcd' + _REC_MAGIC + b'efgh' + _REC_MAGIC + b'ij', _REC_MAGIC, b'xy' + _REC_MAGIC + b'zz']
    with RecordIOWriter(str(path)) as writer:
        offsets = [writer.write_idx(k, p) for k, p in enumerate(payloads)]
    expected = [_rec_part(1, b'abcd') + _rec_part(2, b'efgh') + _rec_part(3, b'ij'),
                _rec_part(1, b'') + _rec_part(3, b''), _rec_part(0, b'xy' + _REC_MAGIC + b'zz')]
    assert path.read_bytes() == b''.join(expected)
    assert offsets == [0, 36, 52]  # 3 parts of 12 bytes; 2 empty parts of 8
    reader = RecordIOReader(str(path))
    assert [reader.read_idx(k) for k in range(3)] == payloads
    reader.close()

    class Huge:  # a record of exactly 2**29 - 1 bytes is allowed: the writer starts scanning it for magics
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, item):
            raise LookupError('scanned')

    with RecordIOWriter(str(tmp_path / 'd.rec')) as writer:
        with pytest.raises(LookupError, match='scanned'):
            writer.write(Huge((1 << 29) - 1))
        with pytest.raises(ValueError) as err:
            writer.write(Huge(1 << 29))
    assert str(err.value) == f'{tmp_path / "d.rec"}: record of 536870912 bytes exceeds the 2**29-1 limit'


def test_recordio_legacy_header_bounds_by_hand(tmp_path):
    """Record 0 with flag 1 and label [end]: images are keys 1..end-1. The count is bounded by min(.idx lines,
    .rec size // 32 + 1) before anything is listed."""
    from mobilebench.face.recordio import RecordIOError, RecordIOReader, image_keys

    def legacy(name, end, n_images, keys):
        head = struct.pack('<IfQQ', 1, 0.0, 0, 0) + struct.pack('<f', end)  # 28 bytes: 36 framed
        rec, offsets = _rec_bytes([head] + [struct.pack('<IfQQ', 0, 0.0, k, 0) for k in range(1, n_images + 1)])
        (tmp_path / f'{name}.rec').write_bytes(rec)
        (tmp_path / f'{name}.idx').write_text(''.join(f'{k}\t{offsets[min(i, len(offsets) - 1)]}\n'
                                                      for i, k in enumerate(keys)))
        return RecordIOReader(str(tmp_path / f'{name}.rec'))

    assert image_keys(legacy('one', 1.0, 0, [0])) == []  # end 1: no image (the lower bound is inclusive)
    assert image_keys(legacy('flag1', 3.0, 2, [0, 1, 2])) == [1, 2]
    # 3 .idx lines, 36 + 2 * 32 = 100 bytes: limit min(3, 100 // 32 + 1 = 4) = 3: end 3 is the largest allowed
    with pytest.raises(RecordIOError) as err:
        image_keys(legacy('over', 4.0, 2, [0, 1, 2]))
    f = tmp_path / 'over'
    assert str(err.value) == (
        f'{f}.rec: record 0 is a legacy (MS1M-style) header whose label[0] = 4 should be 1 + the number of image '
        f'records, but the files hold at most 2 records (3 lines in {f}.idx, 100 bytes). The header is corrupt or '
        f'the .rec/.idx pair is truncated: re-copy both files or re-pack the data set with '
        f'tools/data/pack_face_recordio.py')
    # 10 .idx lines but 36 + 28 = 64 bytes: limit = min(10, 64 // 32 + 1 = 3) = 3
    head = struct.pack('<IfQQ', 1, 0.0, 0, 0) + struct.pack('<f', 5.0)
    rec, offsets = _rec_bytes([head, b'p' * 20])
    (tmp_path / 'small.rec').write_bytes(rec)
    (tmp_path / 'small.idx').write_text(''.join(f'{k}\t0\n' for k in range(10)))
    with pytest.raises(RecordIOError, match=r'label\[0\] = 5 should .* at most 2 records \(10 lines in .*, 64 bytes\)'):
        image_keys(RecordIOReader(str(tmp_path / 'small.rec')))
    for end, shown in ((2.5, '2.5'), (float('nan'), 'nan'), (0.0, '0')):
        with pytest.raises(RecordIOError, match=rf'label\[0\] = {shown} should be 1 \+'):
            image_keys(legacy('bad', end, 2, [0, 1, 2]))
    # end 8 lists images 1..7; the .idx has 0, 1 and 8 others: 2..7 are absent, the first five are named
    reader = legacy('absent', 8.0, 7, [0, 1] + list(range(20, 28)))
    with pytest.raises(RecordIOError) as err:
        image_keys(reader)
    f = tmp_path / 'absent'
    assert str(err.value) == (f'{f}.rec: the legacy header (record 0) lists image records 1..7, but 6 of them are not '
                              f'in {f}.idx (first: [2, 3, 4, 5, 6]). Re-copy the .idx file or re-pack the data set '
                              f'with tools/data/pack_face_recordio.py')
    # no record 0: every key of the .idx, record 1 is not read as a header
    rec, offsets = _rec_bytes([struct.pack('<IfQQ', 3, 0.0, 1, 0), struct.pack('<IfQQ', 0, 0.0, 2, 0)])
    (tmp_path / 'nozero.rec').write_bytes(rec)
    (tmp_path / 'nozero.idx').write_text(f'1\t{offsets[0]}\n2\t{offsets[1]}\n')
    assert image_keys(RecordIOReader(str(tmp_path / 'nozero.rec'))) == [1, 2]


def test_coco_dataset_messages_name_class_and_file(tmp_path):
    import json

    from mobilebench.datasets.coco import CocoDataset
    kw = _coco_folder(tmp_path)
    ann = tmp_path / 'annotations' / 'instances_val2017.json'
    what = 'a COCO instances JSON with "images", "annotations" and "categories"'
    ann.write_bytes(b'{"images": [')  # 12 bytes; the parser wants a value at byte 12: line 1, column 13
    with pytest.raises(ValueError) as err:
        CocoDataset(**kw)
    assert str(err.value) == (f"CocoDataset: '{ann}' is not valid JSON at line 1, column 13 (byte 12 of 12): the file "
                              f'ends in the middle of the JSON (truncated download or copy?). It must be {what}; '
                              f're-download or re-export it.')
    data = json.loads(json.dumps(dict(images=[dict(id=1, file_name='a.jpg', width=4, height=4),
                                              dict(id=1, file_name='b.jpg', width=4, height=4)],
                                      annotations=[], categories=[dict(id=1, name='person')])))
    ann.write_text(json.dumps(data))
    with pytest.raises(ValueError) as err:
        CocoDataset(**kw)
    assert str(err.value).startswith(f"CocoDataset: '{ann}': 1 image ids occur more than once (first: id 1 for files "
                                     f"['a.jpg', 'b.jpg']).")
    del data['images'][1]['file_name']  # an image without file_name: mmdet's parser looks it up
    data['images'][1]['id'] = 2
    ann.write_text(json.dumps(data))
    with pytest.raises(ValueError) as err:
        CocoDataset(**kw)
    assert str(err.value) == \
        f"CocoDataset: annotation file '{ann}' lacks the COCO field 'file_name'; it must be {what}."
    assert isinstance(err.value.__cause__, KeyError)


def test_claims_probe_signal_squeue_cache_and_heartbeat_thread(tmp_path, monkeypatch):
    import json
    import os
    import signal
    import socket
    import types

    from mobilebench.benchmark import claims as claims_mod
    from mobilebench.benchmark import slurm
    from mobilebench.benchmark.claims import Claims, pid_alive, pid_start_time
    # pid_alive probes with signal 0, which delivers nothing (a handler of SIGHUP, say, is never called)
    got = []
    previous = signal.signal(signal.SIGHUP, lambda *a: got.append(a[0]))
    try:
        assert pid_alive(os.getpid())
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert got == []

    c = Claims(str(tmp_path))
    assert (c.stale_after_s, c.heartbeat_s) == (180.0, 20.0)  # the documented defaults
    # squeue is asked at most every 5 s: at 100 s, cached at 105 s, asked again at 105.5 s
    clock = [100.0]
    calls = []
    monkeypatch.setattr(claims_mod, 'time', types.SimpleNamespace(time=lambda: clock[0]))
    monkeypatch.setattr(slurm, 'slurm_job_states', lambda: calls.append(clock[0]) or {'1': 'RUNNING', '2': 'PENDING',
                                                                                         '3': 'COMPLETED'})
    monkeypatch.setattr(slurm, 'active_jobs', lambda states: {j for j, s in states.items() if s != 'COMPLETED'})
    assert c._slurm_active() == {'1', '2'} and calls == [100.0]
    clock[0] = 105.0
    assert c._slurm_active() == {'1', '2'} and calls == [100.0]
    clock[0] = 105.5
    assert c._slurm_active() == {'1', '2'} and calls == [100.0, 105.5]
    monkeypatch.undo()

    # adopt: the job process becomes the owner; release forgets the claim also in memory
    c = Claims(str(tmp_path), heartbeat_s=30)
    token = c.try_claim('r1', executor='slurm')
    data = json.load(open(c.path('r1')))
    data.update(host='submit-node', pid=1, pid_start='0')
    with open(c.path('r1'), 'w') as f:
        json.dump(data, f)
    assert c.adopt('r1', token, job_id='9')
    data = json.load(open(c.path('r1')))
    assert (data['host'], data['pid'], data['pid_start'], data['job_id']) == \
        (socket.gethostname(), os.getpid(), pid_start_time(os.getpid()), '9')
    assert c._held == {'r1': token}
    c.release('r1', token)
    assert c._held == {} and c.read('r1') is None
    # the heartbeat thread is a named daemon; it can be started again after a stop
    c.start_heartbeat()
    first = c._beat
    assert first.name == 'claims-heartbeat' and first.daemon is True and first.is_alive()
    c.stop_heartbeat()
    assert c._beat is None
    first.join(2)
    c.start_heartbeat()
    assert c._beat is not None and c._beat is not first and c._beat.is_alive()
    c.stop_heartbeat()


# ============================================================================ datasets/voc.py
def _voc_tree(tmp_path, objects='', size='<size><width>40</width><height>30</height><depth>3</depth></size>',
              image=None):
    """VOC2007 layout with one image id 000001: the XML written here, a 30 x 40 JPEG unless ``image`` is given."""
    import cv2
    base = tmp_path / 'VOCdevkit' / 'VOC2007'
    for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / 'ImageSets' / 'Main' / 'test.txt').write_text('000001\n')
    (base / 'Annotations' / '000001.xml').write_text(
        f'<annotation><filename>000001.jpg</filename>{size}{objects}</annotation>')
    if image is None:
        image = cv2.imencode('.jpg', np.zeros((30, 40, 3), np.uint8))[1].tobytes()
    (base / 'JPEGImages' / '000001.jpg').write_bytes(image)
    return tmp_path / 'VOCdevkit', base


def _voc_dataset(root, **kwargs):
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope('mmdet')
    cfg = dict(type='mobilebench.VOCDataset', pipeline=[], data_root=str(root) + '/',
               ann_file='VOC2007/ImageSets/Main/test.txt', data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_voc_reads_through_the_storage_backend_of_backend_args(tmp_path):
    """With ``backend_args`` (object storage: petrel, an HTTP or in-house backend) every read of the dataset (image
    list, XML, the image for a missing <size>) goes through that backend: a root that is no local path works."""
    from mmengine.fileio import register_backend
    from mmengine.fileio.backends import LocalBackend
    reads = []

    class MemBackend(LocalBackend):
        """``mem://...`` paths served from ``tmp_path`` (a stand-in for a remote store), reads recorded."""

        def _local(self, filepath):
            assert str(filepath).startswith('mem://'), filepath
            return str(tmp_path / str(filepath)[len('mem://'):])

        def get(self, filepath):
            reads.append(str(filepath))
            return super().get(self._local(filepath))

        def get_text(self, filepath, encoding='utf-8'):
            reads.append(str(filepath))
            return super().get_text(self._local(filepath), encoding)

        def exists(self, filepath):
            return super().exists(self._local(filepath))

    class JoinOnly(LocalBackend):
        """What a ``mem://`` path finds without backend_args: mmengine's BaseDataset joins data_root and ann_file
        by the path's prefix; any read this way is a read that ignored ``backend_args``."""

        def get(self, filepath):
            raise AssertionError(f'read without backend_args: {filepath}')

        get_text = exists = isfile = isdir = get

    register_backend('mobilebench_test_mem', MemBackend, force=True)
    register_backend('mobilebench_test_mem_join', JoinOnly, force=True, prefixes='mem')
    objects = '<object><name>person</name><bndbox><xmin>2</xmin><ymin>3</ymin><xmax>20</xmax><ymax>25</ymax>' \
              '</bndbox></object>'
    _voc_tree(tmp_path, objects=objects, size='')  # no <size>: the image is read for it
    ds = _voc_dataset('mem://VOCdevkit', backend_args=dict(backend='mobilebench_test_mem'))
    info = ds.get_data_info(0)
    image = 'mem://VOCdevkit/VOC2007/JPEGImages/000001.jpg'
    assert (info['img_path'], info['height'], info['width']) == (image, 30, 40)
    assert info['instances'][0]['bbox'] == [1, 2, 19, 24] and info['img_id'] == '000001'  # VOC's 1-based pixels
    assert reads == ['mem://VOCdevkit/VOC2007/ImageSets/Main/test.txt',
                     'mem://VOCdevkit/VOC2007/Annotations/000001.xml', image]
    # a missing annotation: the message names the file, the image id and the list it came from
    (tmp_path / 'VOCdevkit/VOC2007/Annotations/000001.xml').unlink()
    with pytest.raises(FileNotFoundError) as err:
        _voc_dataset('mem://VOCdevkit', backend_args=dict(backend='mobilebench_test_mem'))
    assert str(err.value).startswith("VOCDataset: annotation 'mem://VOCdevkit/VOC2007/Annotations/000001.xml' of image "
                                     "id '000001' (listed in 'mem://VOCdevkit/VOC2007/ImageSets/Main/test.txt') not "
                                     "found. Expected layout:")


def test_voc_size_from_the_xml_wins_and_bad_sizes_fall_back_or_fail(tmp_path):
    """<size> is the image size when it holds two positive numbers (even if the image file disagrees, as mmdet
    reads it); a missing or non-positive side falls back to the decoded image (30 x 40 here); a size that is no
    number is an error naming the file and the field. The data info has exactly mmdet's keys."""
    def info(size):
        root, base = _voc_tree(tmp_path, size=size)
        return _voc_dataset(root).get_data_info(0), base

    def hw(size):
        got, _ = info(size)
        return got['height'], got['width']

    got, base = info('<size><width>500</width><height>353</height><depth>3</depth></size>')
    assert (got['height'], got['width']) == (353, 500)
    assert set(got) == {'img_path', 'img_id', 'xml_path', 'height', 'width', 'instances', 'sample_idx'}
    assert got['xml_path'] == f'{base}/Annotations/000001.xml'
    assert hw('<size><width>1</width><height>1</height></size>') == (1, 1)  # 1 pixel is a size
    for size in ('<size><width>0</width><height>5</height></size>', '<size><width>5</width><height>0</height></size>',
                 '<size><width>7</width></size>', '<size><height>7</height></size>'):
        assert hw(size) == (30, 40), size
    xml = f"'{base}/Annotations/000001.xml'"
    for field, size in (('width', '<size><width>abc</width><height>5</height></size>'),
                        ('height', '<size><width>5</width><height>x5</height></size>')):
        with pytest.raises(ValueError) as err:
            info(size)
        bad = 'abc' if field == 'width' else 'x5'
        assert str(err.value) == f"VOCDataset: {xml}: <size> <{field}> is '{bad}', not a number."
    # a missing image (check_images): the message names the image, the annotation and the lookup rule
    root, base = _voc_tree(tmp_path)
    (base / 'JPEGImages' / '000001.jpg').unlink()
    with pytest.raises(FileNotFoundError) as err:
        _voc_dataset(root)
    assert str(err.value) == (f"VOCDataset: image '{base}/JPEGImages/000001.jpg' not found (annotation {xml}). "
                              'Images are looked up as <sub_data_root>/JPEGImages/<id>.jpg from the image id, not '
                              'from the XML <filename>; set img_subdir / img_suffix if your layout differs.')


def test_voc_size_from_the_image_when_the_xml_has_none(tmp_path):
    for size in ('', '<size><width>0</width><height>0</height></size>'):  # none, or 0 x 0 as some exporters write
        root, base = _voc_tree(tmp_path, size=size)
        info = _voc_dataset(root).get_data_info(0)
        assert (info['height'], info['width']) == (30, 40)
    xml = f"'{base}/Annotations/000001.xml'"
    for image, what in ((b'', 'empty (0 bytes)'), (b'not an image', 'not a decodable image (corrupt or truncated)')):
        root, base = _voc_tree(tmp_path, size='', image=image)
        with pytest.raises(ValueError) as err:
            _voc_dataset(root)
        assert str(err.value) == (f"VOCDataset: image '{base}/JPEGImages/000001.jpg' is {what}, and its annotation "
                                  f'{xml} has no <size> to use instead. Re-download or re-export the image, or remove '
                                  f'its id from the image list.')


def test_claims_liveness_rules_races_and_file_modes(tmp_path, monkeypatch):
    import json
    import os
    import types

    from mobilebench.benchmark import claims as claims_mod
    from mobilebench.benchmark.claims import Claims, pid_start_time
    # /proc/<pid>/stat: the command name may hold ')' and spaces; field 22 is counted after the last ')'
    stat = '4242 (we)ird) name) ' + ' '.join(str(i) for i in range(3, 53))  # field k holds the number k
    monkeypatch.setattr(claims_mod, 'open', lambda path, *a: __import__('io').StringIO(stat), raising=False)
    assert pid_start_time(4242) == '22'
    monkeypatch.undo()

    umask = os.umask(0)
    os.umask(umask)
    c = Claims(str(tmp_path), stale_after_s=180)
    token = c.try_claim('r1', executor='local')
    assert os.stat(c.path('r1')).st_mode & 0o777 == 0o644 & ~umask and c._held == {'r1': token}
    # liveness: a Slurm claim by squeue (asked when not given), a local-executor claim with a job id is not one
    clock = types.SimpleNamespace(time=lambda: 1000.0)
    monkeypatch.setattr(claims_mod, 'time', clock)
    other = dict(host='elsewhere', pid=1)
    assert c.alive(dict(other, executor='local', job_id='5', mtime=999.0), slurm_active=set())
    monkeypatch.setattr(c, '_slurm_active', lambda: {'5'})
    assert c.alive(dict(other, executor='slurm', job_id='5', mtime=0.0))
    assert not c.alive(dict(other, executor='slurm', job_id='6', mtime=999.0))
    # heartbeat age: stale at exactly stale_after_s; no mtime at all counts as time 0
    assert not c.alive(dict(other, mtime=820.0)) and c.alive(dict(other, mtime=820.5))
    assert not Claims(str(tmp_path), stale_after_s=999.5).alive(dict(other))
    # try_claim judges with the squeue answer it was given
    with open(c.path('s1'), 'w') as f:
        json.dump(dict(other, executor='slurm', job_id='5', token='t-s'), f)
    monkeypatch.setattr(c, '_slurm_active', lambda: set())
    assert c.try_claim('s1', slurm_active={'5'}) is None
    # a takeover lock is cleared only when older than 30 s
    lock = c.path('s1') + '.takeover'
    open(lock, 'w').close()
    clock.time = lambda: os.path.getmtime(lock) + 30.0
    assert c._take_over('s1', dict(token='t-s'), {}) is None and os.path.exists(lock)
    os.unlink(lock)
    monkeypatch.undo()

    # another taker replaced the stale claim first: give way
    with open(c.path('r3'), 'w') as f:
        json.dump(dict(other, token='t-new'), f)
    assert c._take_over('r3', dict(token='t-old'), {}) is None
    assert json.load(open(c.path('r3')))['token'] == 't-new' and 'r3' not in c._held
    # the taker's claim names the run and keeps the caller's fields; the lock is created 0644 and removed
    modes = []
    write = claims_mod.atomic_write_json
    monkeypatch.setattr(claims_mod, 'atomic_write_json', lambda p, d: modes.append(
        os.stat(p + '.takeover').st_mode & 0o777) or write(p, d))
    new = c._take_over('r3', dict(token='t-new'), dict(executor='local'))
    on_disk = json.load(open(c.path('r3')))
    assert (on_disk['run_id'], on_disk['executor'], on_disk['took_over'], on_disk['token']) == \
        ('r3', 'local', 't-new', new)
    assert modes == [0o644 & ~umask] and not os.path.exists(c.path('r3') + '.takeover') and c._held['r3'] == new
    monkeypatch.undo()

    # released between the failed create and the read: claimed afresh, with the caller's fields
    with open(c.path('r4'), 'w') as f:
        json.dump(dict(other, token='t-gone'), f)
    read = c.read

    def released_meanwhile(run_id):
        os.unlink(c.path(run_id))
        monkeypatch.setattr(c, 'read', read)
        return None

    monkeypatch.setattr(c, 'read', released_meanwhile)
    fresh = c.try_claim('r4', executor='local')
    on_disk = json.load(open(c.path('r4')))
    assert fresh and (on_disk['token'], on_disk['run_id'], on_disk['executor']) == (fresh, 'r4', 'local')


def test_checkpoint_wrappers_prefix_hints_and_log_targets(tmp_path):
    from types import SimpleNamespace

    from mobilebench.checkpoint import (CheckpointFitHook, CheckpointMismatchError, check_checkpoint_fits,
                                        compare_state_dict, load_checkpoint_checked)
    net = _net()
    full = net.state_dict()
    # a wrapper (DataParallel is one of mmengine's model wrappers) is compared by its module's keys
    assert compare_state_dict(torch.nn.DataParallel(net), full).fits
    # a checkpoint value without a shape (a plain number) is mis-shaped with shape ()
    assert compare_state_dict(net, dict(full, **{'0.bias': 5})).mismatched == [('0.bias', (), (3, ))]
    # totals: 4 matched + 1 missing + 1 mis-shaped = 6 model tensors; the default target; no hint
    state = {k: v for k, v in full.items() if k != '0.bias'}
    state['0.weight'] = torch.zeros(1)
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint_fits(net, state, 'ck.pth')
    assert str(err.value).startswith('checkpoint ck.pth does not fit the model: 4 of 6 model tensors match')
    assert str(err.value).split('\n')[-1].startswith('Use the checkpoint trained with this config (same backbone, '
                                                     'widen_factor, neck and head), or the config that produced the '
                                                     'checkpoint. To fine-tune')
    # every checkpoint key with one of the wrapper prefixes
    for prefix in ('model.', 'module.', 'encoder.'):
        with pytest.raises(CheckpointMismatchError) as err:
            check_checkpoint_fits(net, {prefix + k: v for k, v in full.items()}, 'ck.pth')
        assert f'Every checkpoint key starts with `{prefix}`: it belongs to a model that contains this one' in \
            str(err.value)
    # both conditions of a hint are needed: not every missing key has the prefix; not every unexpected key has it
    two = torch.nn.Module()
    two.backbone, two.head = torch.nn.Linear(2, 3), torch.nn.Linear(2, 3)
    for model, ckpt in ((two, {'weight': torch.zeros(3, 2)}),
                        (net, {'model.0.weight': torch.zeros(3, 2), 'other': torch.zeros(1)})):
        with pytest.raises(CheckpointMismatchError) as err:
            check_checkpoint_fits(model, ckpt, 'ck.pth')
        assert 'sub-module' not in str(err.value) and 'Every checkpoint key' not in str(err.value)
    # the prefixes found are listed, at most 6 of them (sorted)
    path = str(tmp_path / 'many.pth')
    torch.save({f'{c}.w': torch.zeros(1) for c in 'gfedcba'}, path)
    with pytest.raises(CheckpointMismatchError, match=r"its keys start with \['a.', 'b.', 'c.', 'd.', 'e.', 'f.'\]\)"):
        load_checkpoint_checked(_net(), path, prefix='x')
    # partial loads log through the current mmengine logger (load_state_dict's missing keys, the fit warning)
    torch.save({'0.weight': torch.ones(3, 2)}, path)
    with MMLogCapture() as log:
        load_checkpoint_checked(_net(), path, partial=True)
    warnings = [m for lvl, m in log.lines if lvl == 'WARNING']
    assert any('partial_load=True: loading the 1 matching tensors' in m for m in warnings)
    assert any('missing keys in source state_dict: 0.bias' in m for m in warnings)
    # a runner without `_resume` (not resuming): the hook's partial setting holds, its warning is logged
    runner = SimpleNamespace(model=net, cfg=SimpleNamespace(filename='cfg.py'), _load_from='ck.pth')
    with MMLogCapture() as log:
        CheckpointFitHook(partial=True).after_load_checkpoint(runner, dict(state_dict=state))
    assert any('checkpoint ck.pth does not fit the model of cfg.py' in m for lvl, m in log.lines if lvl == 'WARNING')


def _voc_object(name, box, difficult=None):
    d = '' if difficult is None else f'<difficult>{difficult}</difficult>'
    coords = ''.join(f'<{k}>{v}</{k}>' for k, v in zip(('xmin', 'ymin', 'xmax', 'ymax'), box))
    return f'<object><name>{name}</name>{d}<bndbox>{coords}</bndbox></object>'


def test_voc_boxes_checked_at_their_bounds_and_skipped_classes_counted(tmp_path):
    from mobilebench.datasets.voc import VOCDataset
    fix = ('. VOC boxes must satisfy 0 <= xmin < xmax <= width and 0 <= ymin < ymax <= height; fix the box (or '
           '<size>) or delete the object.')
    # 0 is accepted (0-based exports); x up to the width 40, y up to the height 30
    root, base = _voc_tree(tmp_path, objects=_voc_object('person', (0, 0, 40, 30)))
    assert _voc_dataset(root).get_data_info(0)['instances'][0]['bbox'] == [-1, -1, 39, 29]
    xml = f"'{base}/Annotations/000001.xml'"
    for box, problem in (((-1, 2, 10, 12), 'has a negative coordinate'),
                         ((1, 5, 10, 5), 'is inverted or empty (xmax <= xmin or ymax <= ymin)'),
                         ((1, 2, 41, 12), 'extends outside the 40x30 image (<size>)')):
        root, base = _voc_tree(tmp_path, objects=_voc_object('car', box) + _voc_object('person', (1, 1, 2, 2)))
        with pytest.raises(ValueError) as err:
            _voc_dataset(root)
        assert str(err.value) == (f'VOCDataset: {xml}: <object> #0 (car) box (xmin, ymin, xmax, ymax) = '
                                  f'({box[0]}, {box[1]}, {box[2]}, {box[3]}) {problem}{fix}')
    # objects of classes outside metainfo: one warning, by class (most first), with the image left empty
    objects = ''.join(_voc_object(n, (1, 1, 5, 5)) for n in ('gremlin', 'unicorn', 'gremlin'))
    root, base = _voc_tree(tmp_path, objects=objects)
    with MMLogCapture() as log:
        ds = _voc_dataset(root)
    assert ds.get_data_info(0)['instances'] == []
    assert [m for lvl, m in log.lines if lvl == 'WARNING' and 'skipped' in m] == [
        f"{VOCDataset.__name__}: skipped 3 objects of 2 classes that are not in metainfo[\"classes\"] ('gremlin': 2, "
        f"'unicorn': 1); 1 of 1 images have no object left (e.g. {xml}) and are dropped from training by "
        f"filter_cfg.filter_empty_gt. If these classes should be detected, add them to metainfo=dict(classes=...) "
        f"(and the head's num_classes)."]


# ============================================================================ face/verification.py
# 10 pairs, one per fold: same pairs at squared distances 0.1 .. 0.5, different pairs at 1.1 .. 1.5
_VER_DIST = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 1.1, 1.2, 1.3, 1.4, 1.5])
_VER_SAME = np.array([True] * 5 + [False] * 5)


def test_verification_folds_distances_and_normalisation_by_hand():
    from mobilebench.face import verification as v
    splits = v.kfold_splits(23, 10)  # 23 = 3 * 3 + 7 * 2: the first three folds hold 3 pairs
    assert [t.tolist() for _, t in splits[:4]] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]]
    assert splits[9][1].tolist() == [21, 22] and splits[1][0].tolist() == [0, 1, 2] + list(range(6, 23))
    assert v.fold_ids(12, 5).tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4]
    assert [t.tolist() for _, t in v.kfold_splits(10)] == [[i] for i in range(10)]  # n == n_folds is enough
    with pytest.raises(ValueError) as err:
        v.kfold_splits(9, 10)
    assert str(err.value) == '9 pairs cannot be split into 10 folds; need at least 10 pairs'
    assert v.pair_distances([[1, 2], [0, 0]], [[4, 6], [1, 1]]).tolist() == [25.0, 2.0]  # 3^2 + 4^2; 1 + 1
    out = v.l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0], [1e-13, 0.0]]))
    assert out.tolist() == [[0.6, 0.8], [0.0, 0.0], [pytest.approx(0.1), 0.0]]  # divided by max(norm, 1e-12)
    assert v.l2_normalize(np.array([[1e-13, 0.0]]), eps=1e-14).tolist() == [[1.0, 0.0]]
    # float32 embeddings (what the models give) are normalised in float64
    out32 = v.l2_normalize(np.array([[1.0, 2.0, 2.0]], np.float32))
    assert out32.dtype == np.float64 and out32.tolist() == [[1 / 3, 2 / 3, 2 / 3]]


@pytest.mark.parametrize('fn', ['calculate_roc', 'calculate_roc_loop'])
def test_verification_roc_by_hand(fn):
    """Thresholds [0, 0.6, 2]: 0 accepts nothing, 0.6 every same pair, 2 everything. Every training fold is best
    at 0.6, which classifies each held-out pair correctly. TPR per threshold over the test folds: the five
    same-pair folds give 0, 1, 1, the five others 0 (no positives): means [0, 0.5, 0.5]; FPR: [0, 0, 0.5]. A
    distance equal to a threshold is not accepted (dist < threshold)."""
    from mobilebench.face import verification as v
    roc = getattr(v, fn)(_VER_DIST, _VER_SAME, thresholds=np.array([0.0, 0.6, 2.0]))
    assert roc['accuracy'].tolist() == [1.0] * 10 and roc['best_thresholds'].tolist() == [0.6] * 10
    assert roc['tpr'].tolist() == [0.0, 0.5, 0.5] and roc['fpr'].tolist() == [0.0, 0.0, 0.5]
    roc = getattr(v, fn)(np.full(10, 0.5), _VER_SAME, thresholds=np.array([0.5, 0.75]))
    assert roc['tpr'].tolist() == [0.0, 0.5] and roc['fpr'].tolist() == [0.0, 0.5]
    # 5 folds of 2 pairs (a same and a different pair each): accuracy on 2 pairs per fold
    dist = np.array([0.1, 1.1, 0.2, 1.2, 0.3, 0.25, 0.4, 1.4, 0.5, 1.5])
    same = np.array([True, False] * 5)
    roc = getattr(v, fn)(dist, same, thresholds=np.array([0.0, 0.22, 0.6, 0.7, 2.0]), n_folds=5)
    # training on 4 folds (8 pairs): 0.22 accepts only the same pairs below it (at most 5 of 8 right), 0.6 and 0.7
    # accept every same pair and the 0.25 different pair (7 or 8 of 8) and tie: the first, 0.6, is chosen. Fold 2
    # holds (0.3 same, 0.25 different): 0.6 accepts both, 1 of 2 right; every other held-out pair is right
    assert roc['best_thresholds'].tolist() == [0.6] * 5
    assert roc['accuracy'].tolist() == [1.0, 1.0, 0.5, 1.0, 1.0]


@pytest.mark.parametrize('fn', ['calculate_val', 'calculate_val_loop'])
def test_verification_tar_at_far_by_hand(fn):
    """Thresholds [0, 0.6, 1.25, 2], FAR target 0.5, one pair per fold. A same-pair fold trains on 5 different
    pairs: FAR [0, 0, 0.4, 1], the target is crossed between 1.25 (0.4) and 2 (1): threshold 1.25 + 0.75 *
    0.1 / 0.6 = 1.375, its same pair is accepted (TAR 1). Different pair 1.1 or 1.2 held out: FAR at 1.25 is 1/4,
    threshold 1.25 + 0.75 * 0.25 / 0.75 = 1.5, which accepts it (FAR 1). 1.3, 1.4, 1.5 held out: FAR at 1.25 is
    2/4 = the target: threshold 1.25, which rejects it. TAR [1] * 5 + [0] * 5: mean 0.5, std 0.5; FAR mean 0.2."""
    from mobilebench.face import verification as v
    out = getattr(v, fn)(_VER_DIST, _VER_SAME, 0.5, thresholds=np.array([0.0, 0.6, 1.25, 2.0]))
    assert out == dict(val_mean=pytest.approx(0.5), val_std=pytest.approx(0.5), far_mean=pytest.approx(0.2))
    # labels given as 0 / 1 integers mean the same
    out = getattr(v, fn)(list(_VER_DIST), [int(x) for x in _VER_SAME], 0.5, thresholds=np.array([0.0, 0.6, 1.25, 2.0]))
    assert out == dict(val_mean=pytest.approx(0.5), val_std=pytest.approx(0.5), far_mean=pytest.approx(0.2))
    # a target no training fold reaches: threshold 0, nothing accepted
    out = getattr(v, fn)(_VER_DIST, _VER_SAME, 1.5, thresholds=np.array([0.0, 0.6, 1.25, 2.0]))
    assert out == dict(val_mean=0.0, val_std=0.0, far_mean=0.0)
    # Two folds of two pairs, each training fold with a single different pair. Fold 0 = (0.5 same, 2.5 different)
    # trains on fold 1 = (1.0 same, 2.0 different): FAR over thresholds [0, 1, 2, 3] is [0, 0, 0, 1/1], target
    # 0.5 -> threshold 2 + 0.5 = 2.5; the different pair at exactly 2.5 is not accepted (dist < threshold), so
    # FAR 0 and TAR 1. Fold 1 trains on fold 0: FAR [0, 0, 0, 1] again, threshold 2.5 accepts both of its pairs:
    # TAR 1, FAR 1. Means: TAR 1 (std 0), FAR 0.5.
    out = getattr(v, fn)([0.5, 2.5, 1.0, 2.0], [True, False, True, False], 0.5,
                         thresholds=np.array([0.0, 1.0, 2.0, 3.0]), n_folds=2)
    assert out == dict(val_mean=1.0, val_std=0.0, far_mean=0.5)


def test_verification_threshold_interpolation_by_hand():
    from mobilebench.face import verification as v
    thr = np.array([0.0, 1.0, 2.0, 3.0])
    far = np.array([[0.0, 0.0, 0.5, 1.0],   # 0.25: between 1 (0) and 2 (0.5): 1.5
                    [0.0, 0.5, 0.5, 1.0],   # 0.5 is first reached at 1: between 0 (0) and 1 (0.5): 1.0
                    [0.6, 0.8, 0.9, 1.0],   # reached at the first threshold already: 0
                    [0.0, 0.1, 0.2, 0.2]])  # never reached: 0
    for target, expected in ((0.25, [1.5, 0.5, 0.0, 0.0]), (0.5, [2.0, 1.0, 0.0, 0.0])):
        assert v._thresholds_for_far(far, thr, target).tolist() == pytest.approx(expected)
        assert [v._threshold_for_far_loop(row, thr, target) for row in far] == pytest.approx(expected)
    # a 1-D FAR row is one fold
    assert v._thresholds_for_far(far[0], thr, 0.25).tolist() == [1.5]


def test_verification_without_both_kinds_of_pairs_is_nan():
    from mobilebench.face import verification as v
    for same in (np.ones(10, bool), np.zeros(10, bool)):
        with pytest.warns(UserWarning, match='^TAR@FAR needs both positive and negative pairs; reporting NaN$'):
            out = v.calculate_val(_VER_DIST, same)
        assert all(np.isnan(x) for x in out.values()) and set(out) == {'val_mean', 'val_std', 'far_mean'}
        out = v.calculate_val_loop(_VER_DIST, same)
        assert all(np.isnan(x) for x in out.values()) and set(out) == {'val_mean', 'val_std', 'far_mean'}


def test_leaderboard_flags_ranks_intervals_and_published_rows(monkeypatch):
    from scipy import stats

    from mobilebench.benchmark import table as T
    assert T.competition_ranks([0.5, 0.7, 0.7, 0.1]) == [3, 1, 1, 4]
    assert T.competition_ranks([0.5, 0.7, 0.7, 0.1], higher_is_better=False) == [2, 3, 3, 1]
    assert T.competition_ranks([]) == []
    for comp, conf in ((None, 0.95), (dict(confidence=0.9), 0.9), (dict(confidence=1.0), 0.95),
                       (dict(confidence=0.0), 0.95), (dict(confidence='x'), 0.95),
                       (dict(confidence=float('nan')), 0.95),
                       ('0.9', 0.95)):
        assert T.confidence_of(dict(comparisons=comp)) == conf
    # flags: "no better" counts v <= u (higher is better) or v >= u (lower is better); degenerate from 0.5 up
    recs = [dict(metrics={'m': 0.5, 'lfw/degenerate': 0.5, 'agedb/degenerate': 1.0}, untrained_metrics={'m': 0.5}),
            dict(metrics={'m': 0.6, 'cfp/degenerate': 0.49, 'agedb/degenerate': 1.0, 'x/degenerate': float('nan')},
                 untrained_metrics={'m': 0.1}),
            dict(metrics={'m': 0.7})]
    degenerate = ['degenerate outputs: agedb/degenerate (2 of 3 runs)',
                  'degenerate outputs: lfw/degenerate (1 of 3 runs)']
    assert T.run_flags(recs, 'm', True) == ['no better than untrained (1 of 3 runs)'] + degenerate
    assert T.run_flags(recs, 'm', False) == ['no better than untrained (2 of 3 runs)'] + degenerate
    assert T.run_flags(recs[2:], 'm', True) == []

    def published_rows(key):
        assert key == 'k'
        return [dict(backbone='P1', source='paper Table 3', dataset='VOC', metrics={'m': 0.7}, madds_m=100.0,
                     params_m=2.0, convention='mxnet'),
                dict(backbone='P2', source='published', dataset='VOC', metrics={'m': 0.8}, madds_m=None, params_m=None,
                     convention=None),
                dict(backbone='P3', source='upstream mmdet', dataset='COCO', metrics={'other': 1.0}, madds_m=1.0,
                     params_m=1.0, convention=None)]

    monkeypatch.setattr(T, 'published_rows', published_rows)
    tdef = dict(metric='m', higher_is_better=True, published_key='k')
    shown, left = T.published_for_task(tdef)
    assert [p['backbone'] for p in shown] == ['P1', 'P2'] and [p['backbone'] for p in left] == ['P3']
    cx = lambda madds, by: dict(madds=madds, params=1e6, by_convention=by)  # noqa: E731
    runs = [dict(task='t', backbone='a', metrics={'m': v}, complexity=cx(300e6, {'mxnet': dict(madds=310e6)}))
            for v in (0.5, 0.6, 0.7)]
    runs += [dict(task='t', backbone='b', metrics={'m': 0.9}, complexity=cx(200e6, {'mxnet': dict(madds=210e6)})),
             dict(task='t', backbone='c', metrics={}), dict(task='u', backbone='a', metrics={'m': 1.0})]
    data = dict(tasks=dict(t=tdef), runs=runs, comparisons=dict(confidence=0.9))
    rows = T.task_rows(data, 't')
    assert [(r['backbone'], r['source'], r['rank']) for r in rows] == [
        ('b', 'reproduced', 1), ('a', 'reproduced', 2), ('c', 'reproduced', None),
        ('P1', 'published: paper Table 3 (VOC)', None), ('P2', 'published (VOC)', None)]
    b, a = rows[0], rows[1]
    half = stats.t.ppf(0.95, 2) * 0.1 / np.sqrt(3)  # Student t, 90 %, 3 seeds of std 0.1
    assert a['value'] == pytest.approx(0.6) and a['value_half'] == pytest.approx(half)
    assert (a['value_low'], a['value_high']) == pytest.approx((0.6 - half, 0.6 + half))
    assert (a['seeds'], a['value_n'], a['confidence'], a['test'], a['test_note']) == (3, 3, 0.9, None, 'not analysed')
    assert (b['value_half'], b['value_low'], b['value_high'], b['value_n']) == (None, None, None, 1)
    assert (rows[2]['value'], rows[2]['value_n'], rows[2]['seeds']) == (None, 0, 1)
    p1 = rows[3]
    assert (p1['value'], p1['test_note'], p1['flags'], p1['seeds'], p1['madds_m'], p1['confidence']) == \
        (0.7, 'single published value', [], None, 100.0, 0.9)
    # plotted in the published convention when every reproduced row was counted in it too
    convention, mine, pub, _ = T.plot_points(data, 't')
    assert convention == 'mxnet' and [p['backbone'] for p in pub] == ['P1']
    assert [(r['backbone'], r['madds_m']) for r in mine] == [('b', pytest.approx(210.0)), ('a', pytest.approx(310.0))]
    data['runs'][3]['complexity'] = cx(200e6, {})  # b was not counted in mxnet: true MAdds, P1 left out
    convention, mine, pub, _ = T.plot_points(data, 't')
    assert convention == 'true' and pub == [] and [r['madds_m'] for r in mine] == pytest.approx([200.0, 300.0])


def test_voc_object_fields_difficult_and_messages(tmp_path):
    # difficult: absent or empty -> 0, "1" -> 1 (ignored in evaluation)
    objects = (_voc_object('person', (1, 1, 10, 10)) + _voc_object('car', (2, 2, 12, 12), difficult='')
               + _voc_object('dog', (3, 3, 13, 13), difficult='1') + _voc_object('cat', (4, 4, 14, 14), difficult='0'))
    root, base = _voc_tree(tmp_path, objects=objects)
    inst = _voc_dataset(root).get_data_info(0)['instances']
    assert [(i['bbox'], i['ignore_flag']) for i in inst] == [([0, 0, 9, 9], 0), ([1, 1, 11, 11], 0),
                                                            ([2, 2, 12, 12], 1), ([3, 3, 13, 13], 0)]
    xml = f"'{base}/Annotations/000001.xml'"
    bad_name = ('<object><name>{}</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox>'
                '</object>')
    for obj, message in (
            (bad_name.format('  '), f'VOCDataset: {xml}: <object> #0 has no <name> (class).'),
            (bad_name.replace('<name>{}</name>', '<name/>'), f'VOCDataset: {xml}: <object> #0 has no <name> (class).'),
            (_voc_object('person', ('  ', 1, 5, 5)),
             f'VOCDataset: {xml}: <object> #0 (person) has no <xmin>; every object needs <bndbox> with <xmin>, '
             f'<ymin>, <xmax>, <ymax>.'),
            (_voc_object('person', ('abc', 1, 5, 5)), f"VOCDataset: {xml}: <object> #0 (person) <xmin> is 'abc', not a "
                                                      f'number.')):
        root, base = _voc_tree(tmp_path, objects=obj)
        with pytest.raises(ValueError) as err:
            _voc_dataset(root)
        assert str(err.value) == message


def test_voc_min_box_size_ignores_small_boxes_in_training_only(tmp_path):
    """filter_cfg bbox_min_size 5: mmdet's legacy boxes are the 1-based pixel coordinates minus 1; a box is ignored
    when its width x2 - x1 or its height y2 - y1 is below 5."""
    boxes = [((1, 1, 6, 20), 0),    # [0, 0, 5, 19]: w 5, h 19
             ((1, 1, 5, 20), 1),    # w 4
             ((1, 1, 20, 6), 0),    # h 5
             ((1, 1, 20, 5), 1),    # h 4
             ((10, 1, 14, 20), 1),  # [9, 0, 13, 19]: w 4 (not 13 + 9, not 19 - 9, not 13 - 0)
             ((1, 10, 20, 14), 1)]  # [0, 9, 19, 13]: h 4
    root, base = _voc_tree(tmp_path, objects=''.join(_voc_object('person', b) for b, _ in boxes))
    train = _voc_dataset(root, test_mode=False, filter_cfg=dict(bbox_min_size=5, filter_empty_gt=False))
    assert [i['ignore_flag'] for i in train.get_data_info(0)['instances']] == [f for _, f in boxes]
    test = _voc_dataset(root, test_mode=True, filter_cfg=dict(bbox_min_size=5))
    assert [i['ignore_flag'] for i in test.get_data_info(0)['instances']] == [0] * 6
    root, base = _voc_tree(tmp_path, objects='<object><name>person</name></object>')
    with pytest.raises(ValueError) as err:
        _voc_dataset(root)
    assert str(err.value) == f"VOCDataset: '{base}/Annotations/000001.xml': <object> #0 (person) has no <bndbox>."


def _table_run(backbone, value, untrained=None, seed=0, **sections):
    rec = dict(task='t', backbone=backbone, status='ok', seed=seed, metrics=dict(m=value),
               untrained_metrics=None if untrained is None else dict(m=untrained), meta={})
    for k, v in sections.items():
        rec[k] = v
    return rec


@pytest.mark.parametrize('direction', ['default_higher', 'lower'])
def test_task_rows_every_field_by_hand(direction):
    """task_rows on hand-made records: order and ranks in both directions (a 0.0 value sorts as 0, ties by name),
    flags against the untrained value in the task's direction, the verdict analysis per backbone, the counting
    convention (default 'true', None without a complexity section), latency and wall time means over seeds."""
    from mobilebench.benchmark.table import task_rows
    tdef = dict(metric='m') if direction == 'default_higher' else dict(metric='m', higher_is_better=False)
    runs = [
        _table_run('a', 0.4, untrained=0.5, complexity=dict(madds=2e6, params=1e6, convention='paper'),
                   latency=dict(median_ms=3.0), meta=dict(wall_time_s=10.0)),
        _table_run('a', 0.6, untrained=0.1, seed=1, latency=dict(median_ms=5.0), meta=dict(wall_time_s=20.0)),
        _table_run('b', 0.7),
        _table_run('c', 0.5, complexity=dict(madds=1e6)),
        _table_run('d', 0.0, untrained=0.2),
    ]
    runs[0]['metrics']['x/degenerate'] = 1.0
    data = dict(tasks=dict(t=tdef), runs=runs, analysis=dict(rows=dict(t=dict(
        a=dict(test=dict(low=0.3, high=0.7), note=''), b=dict(note='no samples file')))))
    rows = {r['backbone']: r for r in task_rows(data, 't')}
    order = [r['backbone'] for r in task_rows(data, 't')]
    if direction == 'default_higher':
        assert order == ['b', 'a', 'c', 'd']
        assert [rows[b]['rank'] for b in order] == [1, 2, 2, 4]
        # a: seed 0 (0.4) is no better than untrained 0.5; seed 1 (0.6 > 0.1) is; d: 0.0 <= 0.2
        assert rows['a']['flags'] == ['no better than untrained (1 of 2 runs)',
                                      'degenerate outputs: x/degenerate (1 of 2 runs)']
        assert rows['d']['flags'] == ['no better than untrained (1 of 1 runs)']
    else:
        assert order == ['d', 'a', 'c', 'b']
        assert [rows[b]['rank'] for b in order] == [1, 2, 2, 4]
        # lower is better: a's seed 1 (0.6 >= 0.1) is no better; d (0.0 < 0.2) is better
        assert rows['a']['flags'] == ['no better than untrained (1 of 2 runs)',
                                      'degenerate outputs: x/degenerate (1 of 2 runs)']
        assert rows['d']['flags'] == []
    assert rows['b']['flags'] == [] and rows['c']['flags'] == []
    assert rows['a']['value'] == pytest.approx(0.5) and rows['a']['untrained'] == pytest.approx(0.3)
    assert rows['a']['test'] == dict(low=0.3, high=0.7) and rows['a']['test_note'] == ''
    assert rows['b']['test'] is None and rows['b']['test_note'] == 'no samples file'
    assert rows['c']['test'] is None and rows['c']['test_note'] == 'not analysed'
    assert rows['a']['convention'] == 'paper' and rows['c']['convention'] == 'true' and rows['b']['convention'] is None
    assert rows['a']['madds_m'] == 2.0 and rows['a']['params_m'] == 1.0 and rows['c']['madds_m'] == 1.0
    # latency of the first record's section decides whether there is one; the mean is over every seed
    assert rows['a']['latency_ms'] == 4.0 and rows['b']['latency_ms'] is None
    assert rows['a']['wall_s'] == 15.0 and rows['b']['wall_s'] is None


def test_leaderboard_gather_keeps_the_plan_and_explains_bare_records(tmp_path):
    """gather: the plan's comparisons and the folder are handed on; a failed or blocked record without an error
    still says what it is; every problem of a corrupt record is listed, joined by '; '; a bad `comparisons`."""
    import json

    from mobilebench.benchmark import table as T
    runs = tmp_path / 'runs'
    runs.mkdir()
    (runs / 'f.json').write_text(json.dumps(dict(status='failed', task='t', backbone='a')))
    (runs / 'b.json').write_text(json.dumps(dict(status='blocked', task='t', backbone='b', blocked_by='pre__b')))
    (runs / 'c.json').write_text(json.dumps(dict(status='ok', task='t', backbone='c', metric=1, metrics=[1])))
    comparisons = dict(pairs=[['a', 'b']], confidence=0.9)
    (tmp_path / 'benchmark.json').write_text(json.dumps(dict(name='n', comparisons=comparisons)))
    data = T.gather(str(tmp_path))
    assert data['comparisons'] == comparisons and data['results_dir'] == str(tmp_path)
    problems = {p['run_id']: p['detail'] for p in data['problems']}
    assert problems == {'f': 'no error recorded', 'b': 'blocked by pre__b: ',
                        'c': f'{runs}/c.json: `metric` = 1 is not a string; `metrics` is list, expected an object'}
    for bad in ([['a', 'b']], dict(pairs='a,b')):
        (tmp_path / 'benchmark.json').write_text(json.dumps(dict(comparisons=bad)))
        data = T.gather(str(tmp_path))
        assert data['problems'][0] == dict(run_id='benchmark.json', kind='corrupt', detail=(
            f'{tmp_path}/benchmark.json: `comparisons` is not an object with a list of `pairs`'))
        assert data['comparisons'] is None
    (tmp_path / 'benchmark.json').write_text(json.dumps(dict(comparisons=dict(confidence=0.9))))  # pairs optional
    assert [p['run_id'] for p in T.gather(str(tmp_path))['problems']] == ['b', 'c', 'f']  # sorted by file


def test_ranks_summary_pareto_and_convention_edges():
    from mobilebench.benchmark import table as T
    assert T.competition_ranks([5.0, 5.0, 5.0, 1.0]) == [1, 1, 1, 4]  # a three-way tie shares rank 1, not 2
    assert T.competition_ranks([5.0, 5.0, 5.0, 1.0], higher_is_better=False) == [2, 2, 2, 1]
    # more tasks first, then the lower mean rank: b (2 tasks, 2nd on both: mean 2) before a and c (1 task, 1st)
    data = dict(tasks=dict(t1=dict(metric='m'), t2=dict(metric='m')), runs=[
        dict(task='t1', backbone='a', metrics=dict(m=0.9)), dict(task='t1', backbone='b', metrics=dict(m=0.1)),
        dict(task='t2', backbone='b', metrics=dict(m=0.5)), dict(task='t2', backbone='c', metrics=dict(m=0.6))])
    assert [(s['backbone'], s['tasks'], s['mean_rank']) for s in T.summary(data)] == [
        ('b', 2, 2.0), ('a', 1, 1.0), ('c', 1, 1.0)]
    # lower is better: at equal cost the lower value dominates; equal points never dominate each other
    assert T.pareto_front([(1, 0.5), (1, 0.4)], higher_is_better=False) == [1]
    assert T.pareto_front([(2, 0.4), (1, 0.4)], higher_is_better=False) == [1]
    assert T.pareto_front([(1, 0.4), (1, 0.4)], higher_is_better=False) == [0, 1]
    assert T.convention_of(dict(convention='paper', madds_m=1.0, params_m=1.0)) == 'paper'


def test_seed_difference_is_welchs_t_interval_by_hand():
    """mean(A) - mean(B) over seeds with Welch's interval: A = [1, 2, 3] (variance 1), B = [0, 0, 1] (variance 1/3):
    difference 5/3, standard error sqrt(1/3 + 1/9) = 2/3, Welch-Satterthwaite df = (4/9)^2 / ((1/3)^2 / 2 +
    (1/9)^2 / 2) = 3.2; the interval is 5/3 -+ t(0.975, 3.2) * 2/3 (t quantile from SciPy's Student t)."""
    from scipy import stats

    from mobilebench.significance import seed_difference
    half = stats.t.ppf(0.975, 3.2) * 2 / 3
    res = seed_difference([1, 2, 3], [0, 0, 1])
    assert res == dict(diff=pytest.approx(5 / 3), low=pytest.approx(5 / 3 - half), high=pytest.approx(5 / 3 + half),
                       verdict='no significant difference', confidence=0.95, n_a=3, n_b=3)
    assert 5 / 3 - half < 0  # (t = 3.0: the interval reaches below 0)
    half80 = stats.t.ppf(0.9, 3.2) * 2 / 3
    res = seed_difference([1, 2, 3], [0, 0, 1], confidence=0.8)
    assert (res['low'], res['high'], res['confidence']) == (pytest.approx(5 / 3 - half80), pytest.approx(5 / 3 + half80), 0.8)
    assert res['verdict'] == 'better' and 5 / 3 - half80 > 0
    assert seed_difference([1, 2, 3], [0, 0, 1], confidence=0.8, higher_is_better=False)['verdict'] == 'worse'
    # no spread on either side: the interval is the difference itself
    res = seed_difference([1.0, 1.0, 1.0], [0.5, 0.5])
    assert (res['diff'], res['low'], res['high'], res['verdict'], res['n_a'], res['n_b']) == (0.5, 0.5, 0.5, 'better', 3, 2)
    assert seed_difference([0.5, 0.5], [0.5, 0.5])['verdict'] == 'no significant difference'
    # spread on one side only: standard error sqrt(0 + 0.5 / 2) = 0.5 and df = 1, the interval 0.5 -+ t(0.975, 1)
    # * 0.5; SciPy's precision warning about the constant side (its variance is exactly 0) is not passed on
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        res = seed_difference([1.0, 1.0], [0.0, 1.0])
    half = stats.t.ppf(0.975, 1) * 0.5
    assert (res['diff'], res['low'], res['high']) == (0.5, pytest.approx(0.5 - half), pytest.approx(0.5 + half))
    with pytest.raises(ValueError) as err:
        seed_difference([1.0], [0.0, 1.0])
    assert str(err.value) == 'seed_difference needs at least 2 seeds on each side, got 1 and 2'
    with pytest.raises(ValueError) as err:
        seed_difference([1.0, 2.0], [0.0])
    assert str(err.value) == 'seed_difference needs at least 2 seeds on each side, got 2 and 1'
    for a, b in (([1.0, float('nan')], [0.0, 1.0]), ([1.0, 2.0], [float('nan'), 1.0])):
        with pytest.raises(ValueError) as err:
            seed_difference(a, b)
        assert str(err.value) == 'seed_difference: NaN among the values; drop failed runs explicitly'
