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

Paths are relative to the repository root (the working directory of ``tools/benchmark.py``). Every key is
checked against :mod:`mobilebench.benchmark.schema` when the config is loaded.
"""
from __future__ import annotations

import os.path as osp
import re
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from .schema import BenchmarkConfigError, validate_benchmark

_NAME_OK = re.compile(r'^[A-Za-z0-9_.\-]+$')


@dataclass
class RunSpec:
    """One (task, backbone, seed) run of a sweep.

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
        seed: ``randomness.seed`` of the run.
        seed_in_id: the sweep has several seeds: the run id ends with ``__s<seed>``.
        slurm: Slurm resources of the run (the config's ``slurm`` updated by the task's ``slurm``).
        memory_format: ``'channels_last'`` / ``'contiguous'``: the composed config gets a
            ``mobilebench.MemoryFormatHook`` that puts the model in that layout (None: no hook, PyTorch's default).
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
    seed: int = 0
    seed_in_id: bool = False
    slurm: Dict = field(default_factory=dict)
    memory_format: Optional[str] = None

    @property
    def run_id(self) -> str:
        base = f'{self.task}__{self.backbone}'
        return f'{base}__s{self.seed}' if self.seed_in_id else base

    @property
    def selectors(self) -> set:
        """The ``--only`` names that select this run."""
        names = {self.task, self.backbone, f'{self.task}/{self.backbone}'}
        if self.seed_in_id:
            names |= {f's{self.seed}', f'{self.task}/{self.backbone}/s{self.seed}'}
        return names


def _backbone_entries(bench: Config, path: str) -> List[Dict]:
    entries = bench.get('backbones')
    if not entries:
        raise BenchmarkConfigError(f'{path}: `backbones` is missing or empty; list backbone files, e.g. '
                         f"backbones = ['configs/_base_/backbones/mobilenetv2_x1.0.py']")
    out = []
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = dict(file=entry)
        elif isinstance(entry, dict):
            entry = dict(entry)
        else:
            raise BenchmarkConfigError(f'{path}: backbones[{i}] = {entry!r}: write a backbone file path or '
                                       f'dict(file=..., name=..., widen_factor=...)')
        if 'file' not in entry:
            raise BenchmarkConfigError(f'{path}: backbones[{i}] has no `file`; write the backbone file path as a '
                             f'string or dict(file=..., name=..., widen_factor=...)')
        if not osp.isfile(entry['file']):
            raise FileNotFoundError(f'{path}: backbones[{i}] file not found: {entry["file"]} '
                                    f'(paths are relative to the repository root)')
        name = entry.pop('name', None)
        if name is None:
            bb = Config.fromfile(entry['file'])
            name = bb.get('backbone_name') or osp.splitext(osp.basename(entry['file']))[0]
        if not _NAME_OK.match(name):
            raise BenchmarkConfigError(f'{path}: backbones[{i}] name {name!r} may only hold letters, digits, '
                             f'"_", "-" and "."')
        out.append(dict(name=name, file=entry.pop('file'), overrides=entry))
    names = [e['name'] for e in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise BenchmarkConfigError(f'{path}: duplicate backbone names {dup}; give each entry a distinct `name`')
    return out


def load_benchmark(path: str, cfg_options: Optional[Dict] = None) -> Config:
    """Read a benchmark config and check it against the schema (:mod:`.schema`).

    Args:
        path: the config file.
        cfg_options: ``--cfg-options`` overrides (``key=value``, dotted keys), merged before the check.

    Raises:
        FileNotFoundError: the config, a template or a backbone file does not exist.
        BenchmarkConfigError: an unknown key, a wrong type or a value out of range (named).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'benchmark config not found: {path}')
    bench = Config.fromfile(path)
    if cfg_options:
        bench.merge_from_dict(cfg_options)
    from .published import PUBLISHED
    validate_benchmark(bench.to_dict(), path, published_keys=list(PUBLISHED))
    for name, task in bench.tasks.items():
        if not _NAME_OK.match(name):
            raise BenchmarkConfigError(f'{path}: task name {name!r} may only hold letters, digits, "_", "-", "."')
        if not osp.isfile(task['template']):
            raise FileNotFoundError(f'{path}: tasks.{name}.template not found: {task["template"]} '
                                    f'(paths are relative to the repository root)')
    entries = _backbone_entries(bench, path)
    from .comparisons import resolve_comparisons
    try:  # pairs naming no backbone of the sweep fail here, before anything runs
        resolve_comparisons(bench.get('comparisons'), [e['name'] for e in entries], f'{path}: comparisons')
    except ValueError as exc:
        raise BenchmarkConfigError(str(exc)) from None
    return bench


def bench_seeds(bench: Config) -> List[int]:
    """The seeds of a sweep: ``seeds`` if given, else ``[seed]`` (default 0)."""
    return [int(s) for s in bench['seeds']] if bench.get('seeds') else [int(bench.get('seed', 0))]


def plan_runs(bench: Config, path: str = 'benchmark config', only: Optional[Sequence[str]] = None) -> List[RunSpec]:
    """Expand a benchmark config into its runs (tasks outer, then backbones, then seeds).

    Args:
        bench: the loaded benchmark config.
        path: its path (for error messages).
        only: names to keep; a run is kept when its task or backbone name is listed
            (``'task/backbone'`` selects one run; with several seeds ``s<seed>`` selects a seed and
            ``'task/backbone/s<seed>'`` one run).
    """
    checkpoints = dict(bench.get('checkpoints') or {})
    seeds = bench_seeds(bench)
    slurm_all = _to_plain(bench.get('slurm') or {})
    runs = []
    entries = _backbone_entries(bench, path)
    for task_name, task in bench.tasks.items():
        slurm = dict(slurm_all, **_to_plain(task.get('slurm') or {}))
        subset = task.get('backbones')  # optional: the backbone names this task runs (default: all)
        if subset is not None:
            unknown = sorted(set(subset) - {bb['name'] for bb in entries})
            if unknown:
                raise BenchmarkConfigError(f'{path}: tasks.{task_name}.backbones names {unknown}, which are not '
                                           f'in `backbones`; known: {sorted(bb["name"] for bb in entries)}')
        for bb in entries:
            if subset is not None and bb['name'] not in subset:
                continue
            for seed in seeds:
                runs.append(RunSpec(
                    task=task_name, backbone=bb['name'], template=task['template'], backbone_file=bb['file'],
                    backbone_overrides=dict(bb['overrides']),
                    overrides=_to_plain(task.get('overrides', {})), metric=task['metric'],
                    metrics=list(task.get('metrics') or [task['metric']]),
                    input_shape=tuple(task['input_shape']),
                    higher_is_better=bool(task.get('higher_is_better', True)),
                    checkpoint=checkpoints.get(f'{task_name}/{bb["name"]}'),
                    rewrite=[dict(r) for r in task.get('rewrite', [])], seed=seed,
                    seed_in_id=len(seeds) > 1, slurm=slurm,
                    memory_format=task.get('memory_format', bench.get('memory_format'))))
    unknown = sorted(set(checkpoints) - {f'{r.task}/{r.backbone}' for r in runs})
    if unknown:
        raise BenchmarkConfigError(f'{path}: checkpoints {unknown} name no planned run; keys are '
                                   f"'task/backbone_name', e.g. {runs[0].task + '/' + runs[0].backbone!r}")
    if only:
        wanted = set(only)
        known = set().union(*(r.selectors for r in runs))
        unknown = sorted(wanted - known)
        if unknown:
            raise BenchmarkConfigError(f'--only {unknown} matches no task or backbone of {path}; '
                                       f'known: {sorted(known)}')
        runs = [r for r in runs if r.selectors & wanted]
    return runs


#: mmengine resolves ``mmdet::`` bases through pkg_resources, which is not thread-safe: the sweep's worker threads
#: (``jobs`` > 1) composed side by side failed now and then with "TypeError: ('Expected str, Requirement, or
#: Distribution', mmdet 3.3.0 ...)"; composing takes well under a second, so one at a time costs nothing
_COMPOSE_LOCK = threading.Lock()


def compose_run(run: RunSpec) -> Config:
    """The full mmengine config of a run: template + backbone file + overrides, then the rewrites."""
    from mobilebench.config import compose_config
    overrides = dict(run.overrides)
    if run.backbone_overrides:
        overrides.update({f'model.backbone.{k}': v for k, v in run.backbone_overrides.items()})
    with _COMPOSE_LOCK:
        cfg = compose_config(run.template, run.backbone_file, overrides)
    if run.rewrite:
        cfg = Config(apply_rewrites(cfg.to_dict(), run.rewrite, f'tasks.{run.task}.rewrite'), filename=cfg.filename)
    if run.memory_format:
        hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') != 'mobilebench.MemoryFormatHook']
        cfg.custom_hooks = hooks + [dict(type='mobilebench.MemoryFormatHook', memory_format=run.memory_format)]
    return cfg


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
