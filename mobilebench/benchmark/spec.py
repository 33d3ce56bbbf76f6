"""Benchmark configs: which (task, backbone[, width]) runs a sweep contains.

A benchmark config is a plain mmengine config::

    backbones = [
        'configs/_base_/backbones/mobilenetv2_x1.0.py',                      # a backbone file
        dict(file='configs/_base_/backbones/asymmnet_small_x1.0.py',         # ... or a file plus
             name='asymmnet_small_x0.5', widen_factor=0.5),                  # backbone overrides
    ]
    tasks = dict(
        voc_yolov3=dict(
            template='configs/_base_/tasks/yolov3_416_voc.py',
            overrides=dict(data_root='data/demo/VOCdevkit/', train_cfg=dict(max_iters=60)),
            metric='pascal_voc/mAP',           # the headline metric (leaderboard sort key)
            metrics=['pascal_voc/mAP'],        # optional: every metric shown in the table
            input_shape=(3, 416, 416),         # MAdds/params/latency input (no batch dim)
            higher_is_better=True,
            backbones=['mobilenetv2_x1.0'],    # optional: only these backbone names (default: all)
            # applied to the composed config after the overrides, through the whole tree:
            rewrite=[dict(prefix='data/VOCdevkit/', new='data/demo/VOCdevkit/'),   # path prefixes
                     dict(key='scale', old=(416, 416), new=(128, 128)),          # key with that value
                     dict(key='num_workers', new=0)]),                           # key, any value
    )
    seed = 0
    latency = dict(warmup=3, repeats=10, threads=1)
    checkpoints = dict()    # optional 'task/backbone_name' -> checkpoint: test it, do not train

Paths are relative to the repository root (the working directory of ``tools/benchmark.py``).
"""
from __future__ import annotations

import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

_NAME_OK = re.compile(r'^[A-Za-z0-9_.\-]+$')


@dataclass
class RunSpec:
    """One (task, backbone) run of a sweep.

    Args:
        task: task key in the benchmark config's ``tasks``.
        backbone: backbone display name (``backbone_name`` of the file, or the entry's ``name``).
        template: path of the task template.
        backbone_file: path of the backbone file.
        backbone_overrides: extra keys merged into ``model.backbone`` (e.g. ``widen_factor``).
        overrides: config overrides of the task (schedule, data roots, ...).
        metric: headline metric key.
        metrics: every metric key the leaderboard shows.
        input_shape: model input shape without the batch dimension.
        checkpoint: test this checkpoint instead of training.
        rewrite: tree-wide edits of the composed config (see :func:`apply_rewrites`).
    """
    task: str
    backbone: str
    template: str
    backbone_file: str
    backbone_overrides: Dict = field(default_factory=dict)
    overrides: Dict = field(default_factory=dict)
    metric: Optional[str] = None
    metrics: List[str] = field(default_factory=list)
    input_shape: Optional[Sequence[int]] = None
    higher_is_better: bool = True
    checkpoint: Optional[str] = None
    rewrite: List[Dict] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return f'{self.task}__{self.backbone}'


def _backbone_entries(bench: Config, path: str) -> List[Dict]:
    entries = bench.get('backbones')
    if not entries:
        raise ValueError(f'{path}: `backbones` is missing or empty; list backbone files, e.g. '
                         f"backbones = ['configs/_base_/backbones/mobilenetv2_x1.0.py']")
    out = []
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = dict(file=entry)
        else:
            entry = dict(entry)
        if 'file' not in entry:
            raise ValueError(f'{path}: backbones[{i}] has no `file`; write the backbone file path as a '
                             f'string or dict(file=..., name=..., widen_factor=...)')
        if not osp.isfile(entry['file']):
            raise FileNotFoundError(f'{path}: backbones[{i}] file not found: {entry["file"]} '
                                    f'(paths are relative to the repository root)')
        name = entry.pop('name', None)
        if name is None:
            bb = Config.fromfile(entry['file'])
            name = bb.get('backbone_name') or osp.splitext(osp.basename(entry['file']))[0]
        if not _NAME_OK.match(name):
            raise ValueError(f'{path}: backbones[{i}] name {name!r} may only hold letters, digits, '
                             f'"_", "-" and "."')
        out.append(dict(name=name, file=entry.pop('file'), overrides=entry))
    names = [e['name'] for e in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f'{path}: duplicate backbone names {dup}; give each entry a distinct `name`')
    return out


def load_benchmark(path: str) -> Config:
    """Read and validate a benchmark config."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'benchmark config not found: {path}')
    bench = Config.fromfile(path)
    tasks = bench.get('tasks')
    if not tasks:
        raise ValueError(f'{path}: `tasks` is missing or empty; write tasks = dict(name=dict('
                         f'template=..., metric=..., input_shape=(3, H, W)))')
    for name, task in tasks.items():
        if not _NAME_OK.match(name):
            raise ValueError(f'{path}: task name {name!r} may only hold letters, digits, "_", "-", "."')
        for key in ('template', 'metric', 'input_shape'):
            if key not in task:
                raise ValueError(f'{path}: tasks.{name} has no `{key}`')
        if not osp.isfile(task['template']):
            raise FileNotFoundError(f'{path}: tasks.{name}.template not found: {task["template"]}')
    _backbone_entries(bench, path)
    return bench


def plan_runs(bench: Config, path: str = 'benchmark config', only: Optional[Sequence[str]] = None) -> List[RunSpec]:
    """Expand a benchmark config into its runs (tasks outer, backbones inner).

    Args:
        bench: the loaded benchmark config.
        path: its path (for error messages).
        only: names to keep; a run is kept when its task or backbone name is listed
            (``'task/backbone'`` selects one run).
    """
    checkpoints = dict(bench.get('checkpoints') or {})
    runs = []
    entries = _backbone_entries(bench, path)
    for task_name, task in bench.tasks.items():
        subset = task.get('backbones')  # optional: the backbone names this task runs (default: all)
        if subset is not None:
            unknown = sorted(set(subset) - {bb['name'] for bb in entries})
            if unknown:
                raise ValueError(f'{path}: tasks.{task_name}.backbones names {unknown}, which are not in '
                                 f'`backbones`; known: {sorted(bb["name"] for bb in entries)}')
        for bb in entries:
            if subset is not None and bb['name'] not in subset:
                continue
            spec = RunSpec(
                task=task_name, backbone=bb['name'], template=task['template'], backbone_file=bb['file'],
                backbone_overrides=dict(bb['overrides']),
                overrides=_to_plain(task.get('overrides', {})), metric=task['metric'],
                metrics=list(task.get('metrics') or [task['metric']]),
                input_shape=tuple(task['input_shape']),
                higher_is_better=bool(task.get('higher_is_better', True)),
                checkpoint=checkpoints.get(f'{task_name}/{bb["name"]}'),
                rewrite=[dict(r) for r in task.get('rewrite', [])])
            runs.append(spec)
    if only:
        wanted = set(only)
        known = {r.task for r in runs} | {r.backbone for r in runs} | {f'{r.task}/{r.backbone}' for r in runs}
        unknown = sorted(wanted - known)
        if unknown:
            raise ValueError(f'--only {unknown} matches no task or backbone of {path}; known: {sorted(known)}')
        runs = [r for r in runs if r.task in wanted or r.backbone in wanted or f'{r.task}/{r.backbone}' in wanted]
    return runs


def _norm(value):
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    return value


def apply_rewrites(node, rules: Sequence[Dict], where: str = 'rewrite'):
    """Edit a plain config tree everywhere at once (nested dataset wrappers, pipelines, evaluators).

    Each rule is one of:

    - ``dict(prefix=OLD, new=NEW)``: every string starting with ``OLD`` gets ``NEW`` instead (data roots);
    - ``dict(key=K, old=V, new=NEW)``: every dict entry ``K`` whose value equals ``V`` (lists and tuples
      compare equal) becomes ``NEW``;
    - ``dict(key=K, new=NEW)``: every dict entry ``K`` becomes ``NEW``;
    - ``dict(match=dict(type='Flip'), new=dict(...))``: every dict holding all of ``match``'s items
      (e.g. one pipeline step) is replaced by ``NEW``.

    Args:
        node: the config as plain dicts/lists.
        rules: the rules, applied in order.
        where: name used in error messages.
    """
    for i, rule in enumerate(rules):
        if 'new' not in rule or not ('prefix' in rule or 'key' in rule or 'match' in rule):
            raise ValueError(f'{where}[{i}] = {rule}: write dict(prefix=..., new=...) or dict(key=..., '
                             f'[old=...,] new=...)')
    def walk(obj):
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                v = walk(v)
                for rule in rules:
                    if rule.get('key') == k and ('old' not in rule or _norm(v) == _norm(rule['old'])):
                        v = rule['new']
                out[k] = v
            for rule in rules:
                match = rule.get('match')
                if match and all(k in out and _norm(out[k]) == _norm(v) for k, v in match.items()):
                    out = dict(rule['new'])
            return out
        if isinstance(obj, (list, tuple)):
            return type(obj)(walk(v) for v in obj)
        if isinstance(obj, str):
            for rule in rules:
                if 'prefix' in rule and obj.startswith(rule['prefix']):
                    obj = rule['new'] + obj[len(rule['prefix']):]
            return obj
        return obj
    return walk(node)


def _to_plain(obj):
    if hasattr(obj, 'to_dict'):
        return obj.to_dict()
    return dict(obj)
