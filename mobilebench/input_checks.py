"""Start-up checks of every input, before the first iteration (``InputCheckHook``, registered by
:func:`mobilebench.runner_utils.build_runner`, so by ``tools/train.py``, ``tools/test.py`` and the benchmark
runner).

At ``before_run`` (``runner.train()`` runs it after building the train *and* validation loaders, before any
training step; ``runner.test()`` after building the test loader), for every data set of every loop,
inside Concat / Repeat wrappers:

- **files exist** (all of them; a ``stat`` each): ``img_path`` (images: mmdet, mmpose, mmpretrain, face
  folders, re-ID), ``filename`` (mmaction videos), ``frame_dir`` with its first and last frame (mmaction
  rawframes). A missing file otherwise surfaces as a data-loader worker traceback at the first iteration
  (or, for validation, after the first training epoch);
- **files decode** (an evenly spaced sample of ``decode_samples`` per data set, default 16; images with
  mmcv, videos with OpenCV, ``.bin`` faces from their bytes); the log says how many were checked;
- **face pair counts**: every verification ``.bin`` has at least ``n_folds`` (10) pairs, or the 10-fold
  protocol fails after training;
- **``save_best``**: the key of ``default_hooks.checkpoint.save_best`` is among the keys the validation
  metrics will produce (e.g. ``'lfw/accuracy'`` with only ``mine.bin`` as validation file).

Every failure raises :class:`InputCheckError` naming the data set (config path), the annotation file,
the field and the fix. Set ``input_checks = dict(decode_samples=0)`` in a config to skip decoding,
``input_checks = None`` to skip all checks.
"""
from __future__ import annotations

import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from mmengine.hooks import Hook

from .metric_checks import evaluator_keys, leaf_datasets


class InputCheckError(ValueError):
    """An input of the run is unusable; raised before training."""


def _describe(path: str, ds) -> str:
    ann = getattr(ds, 'ann_file', None)
    return f'{path} ({type(ds).__name__}{f", ann_file {ann!r}" if ann else ""})'


def _data_list(ds) -> Optional[List[dict]]:
    """The annotation entries of an mmengine ``BaseDataset`` (also when ``serialize_data`` packed them into
    bytes, as mmpose / mmpretrain do), without the subclass's ``get_data_info`` (which may read files)."""
    from mmengine.dataset import BaseDataset
    if not isinstance(ds, BaseDataset):
        return None
    if not getattr(ds, '_fully_initialized', True):
        ds.full_init()
    if ds.data_list:
        return ds.data_list
    return [BaseDataset.get_data_info(ds, i) for i in range(len(ds))]


def _fix_paths_hint(ds) -> str:
    root, prefix = getattr(ds, 'data_root', None), getattr(ds, 'data_prefix', None)
    return (f'the files are looked up under the data set\'s data_prefix {prefix!r} (the config\'s data_prefix joined '
            f'to data_root {root!r}) + the name in the annotation file: correct `data_root` / `data_prefix` of this '
            f'data set in the config (or with `--cfg-options`), put the files there, or remove those entries from '
            f'the annotation file')


def _frame_paths(ds, info) -> List[str]:
    """First and last frame of a rawframe folder (``filename_tmpl``, ``start_index``, ``total_frames``)."""
    tmpl = getattr(ds, 'filename_tmpl', 'img_{:05}.jpg')
    start = int(getattr(ds, 'start_index', 1))
    total = int(info.get('total_frames', 1) or 1)
    try:
        names = [tmpl.format(start), tmpl.format(start + total - 1)]
    except (IndexError, KeyError):  # flow templates ('{}_{:05d}.jpg' for x / y): not checked frame by frame
        return []
    return [osp.join(info['frame_dir'], n) for n in names]


def _decode_file(path: str, kind: str) -> Optional[str]:
    """``None`` when ``path`` decodes, else why not."""
    if kind == 'video':
        import cv2
        cap = cv2.VideoCapture(path)
        try:
            ok, frame = cap.read()
        finally:
            cap.release()
        return None if ok and frame is not None else 'OpenCV cannot read a frame from it'
    import mmcv
    with open(path, 'rb') as f:
        data = f.read()
    if not data:
        return 'the file is empty (0 bytes)'
    try:
        img = mmcv.imfrombytes(data)
    except Exception as exc:  # noqa: BLE001  (any decoder error is the answer)
        return f'{type(exc).__name__}: {exc}'
    return None if img is not None else f'not a decodable image ({len(data)} bytes)'


def check_dataset_files(ds, path: str, decode_samples: int = 16, logger=None) -> Dict[str, int]:
    """Check that every file ``ds`` refers to exists, and that a sample decodes (see module docstring).

    Returns:
        ``{'files': n, 'decoded': k}``.
    """
    data = _data_list(ds)
    if not data:
        return dict(files=0, decoded=0)
    files: Dict[str, tuple] = {}  # path -> (kind, field, where); one entry per file (pose: one per person)
    blobs = []
    for n, info in enumerate(data):
        i = f'entry {n}' + (f', img_id {info["img_id"]}' if 'img_id' in info else '')
        if isinstance(info.get('img_path'), str):
            files.setdefault(info['img_path'], ('image', 'img_path', i))
        if isinstance(info.get('filename'), str):
            files.setdefault(info['filename'], ('video', 'filename', i))
        if isinstance(info.get('frame_dir'), str):
            if not osp.isdir(info['frame_dir']):
                files.setdefault(info['frame_dir'], ('frames', 'frame_dir', i))
            for p in _frame_paths(ds, info):
                files.setdefault(p, ('image', 'frame_dir', i))
        if info.get('img_bytes') is not None:
            blobs.append((i, info['img_bytes'], info.get('source', i)))
    missing = [(p, field, i) for p, (kind, field, i) in files.items()
               if not (osp.isdir(p) if kind == 'frames' else osp.isfile(p))]
    if missing:
        examples = '; '.join(f'{p!r} (field {field!r} of annotation {i})' for p, field, i in missing[:3])
        raise InputCheckError(f'{_describe(path, ds)}: {len(missing)} of the {len(files)} files referenced by the '
                              f'annotations do not exist, e.g. {examples}. Fix: {_fix_paths_hint(ds)}.')
    decoded = 0
    if decode_samples > 0:
        entries = [e for e in files.items() if e[1][0] != 'frames']
        for j in sorted(set(np.linspace(0, len(entries) - 1, min(decode_samples, len(entries))).astype(int))
                        if entries else []):
            p, (kind, field, i) = entries[j]
            why = _decode_file(p, kind)
            if why:
                raise InputCheckError(f'{_describe(path, ds)}: {p!r} (field {field!r} of annotation {i}) exists '
                                      f'but cannot be decoded: {why}. Fix: replace the file (re-download or '
                                      f're-encode it), or remove it from the annotations.')
            decoded += 1
        for j in sorted(set(np.linspace(0, len(blobs) - 1, min(decode_samples, len(blobs))).astype(int))
                        if blobs else []):
            i, blob, source = blobs[j]
            import mmcv
            if not len(blob) or mmcv.imfrombytes(bytes(blob)) is None:
                raise InputCheckError(f'{_describe(path, ds)}: image {source} cannot be decoded ({len(blob)} bytes). '
                                      f'Fix: rebuild the file (tools/data/build_face_bin.py or '
                                      f'tools/data/pack_face_recordio.py).')
            decoded += 1
    if logger is not None:
        what = [f'{len(files)} referenced files exist (all checked)'] if files else []
        what += [f'{len(blobs)} embedded images'] if blobs else []
        logger.info(f'input check {_describe(path, ds)}: {", ".join(what)}; {decoded} of '
                    f'{len(files) + len(blobs)} decoded (an evenly spaced sample)')
    return dict(files=len(files), decoded=decoded)


def check_face_pairs(ds_root, path: str, evaluator) -> None:
    """Every verification ``.bin`` must have at least the metric's ``n_folds`` pairs."""
    n_folds = 10
    for metric in getattr(evaluator, 'metrics', []) or []:
        if type(metric).__name__ == 'FaceVerificationMetric':
            n_folds = metric.n_folds
    for lpath, ds in leaf_datasets(ds_root, path):
        if type(ds).__name__ != 'FaceVerificationBin':
            continue
        n_pairs = len(_data_list(ds) or []) // 2
        if n_pairs < n_folds:
            raise InputCheckError(f'{_describe(lpath, ds)}: {n_pairs} pairs, but the {n_folds}-fold verification '
                                  f'protocol (FaceVerificationMetric n_folds={n_folds}) needs at least {n_folds}; the '
                                  f'evaluation would fail after training. Fix: add pairs to the file '
                                  f'(tools/data/build_face_bin.py), or lower `val_evaluator.n_folds` / '
                                  f'`test_evaluator.n_folds` (the published protocol uses 10).')


def check_save_best(runner) -> None:
    """``default_hooks.checkpoint.save_best`` must name a key the validation metrics will produce."""
    from mmengine.hooks import CheckpointHook
    from mmengine.runner import BaseLoop
    hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
    val_loop = runner._val_loop
    if hook is None or not getattr(hook, 'save_best', None) or not isinstance(val_loop, BaseLoop):
        return
    wanted = list(getattr(hook, 'key_indicators', None) or
                  ([hook.save_best] if isinstance(hook.save_best, str) else hook.save_best))
    wanted = [k for k in wanted if k != 'auto']
    if not wanted:
        return
    keys = evaluator_keys(val_loop.evaluator, val_loop.dataloader.dataset)
    if keys is None:
        runner.logger.info(f'input check: save_best {wanted} not verified (the validation metric is not one whose '
                           f'keys are known in advance)')
        return
    bad = [k for k in wanted if k not in keys]
    if bad:
        raise InputCheckError(f'default_hooks.checkpoint.save_best = {bad[0]!r}, but the validation metrics will be '
                              f'{keys}: the best-checkpoint hook would fail with a KeyError after the first '
                              f'validation. Fix: `--cfg-options default_hooks.checkpoint.save_best={keys[0]}` (or '
                              f'another key of that list), or add the evaluation data that produces {bad[0]!r}.')


class InputCheckHook(Hook):
    """Run the start-up checks of this module at ``before_run`` (each data set once).

    Args:
        decode_samples: files decoded per data set (an evenly spaced sample); 0 = existence only.
    """

    priority = 'VERY_HIGH'

    def __init__(self, decode_samples: int = 16):
        self.decode_samples = int(decode_samples)
        self._checked = set()

    def before_run(self, runner) -> None:
        from mmengine.runner import BaseLoop
        for name in ('train', 'val', 'test'):
            loop = getattr(runner, f'_{name}_loop', None)
            if not isinstance(loop, BaseLoop):
                continue
            dataset = loop.dataloader.dataset
            if id(dataset) in self._checked:
                continue
            root = f'{name}_dataloader.dataset'
            for lpath, ds in leaf_datasets(dataset, root):
                check_dataset_files(ds, lpath, self.decode_samples, runner.logger)
            check_face_pairs(dataset, root, getattr(loop, 'evaluator', None))
            self._checked.add(id(dataset))
        if isinstance(runner._train_loop, BaseLoop):
            check_save_best(runner)
