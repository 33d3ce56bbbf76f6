"""The pretrain -> downstream chain of a benchmark sweep (all three papers' protocol).

A task declares the stage its backbone weights come from::

    tasks = dict(
        imagenet=dict(template='configs/_base_/tasks/imagenet_hbonet_recipe.py', ...),   # stage 1
        voc_ssdlite=dict(template='configs/_base_/tasks/ssdlite_320_voc.py', pretrain='imagenet', ...),
        face_arcface=dict(template=...),                                                   # from scratch
    )

Each run of ``voc_ssdlite`` then starts from the backbone of the ``imagenet`` run *of the same backbone
name*: its composed config gets ``model.backbone.init_cfg = dict(type='Pretrained', checkpoint=CKPT,
prefix='backbone.')``, where CKPT is that run's final checkpoint (``<work_dir>/last_checkpoint``), or the
checkpoint the benchmark config lists for it in ``checkpoints`` (e.g. an official model converted with
``tools/model_converters/``, which the stage-1 run then only tests). A downstream run whose pretraining run
failed, was blocked itself, or has not run is recorded as ``blocked`` (with ``blocked_by``), never trained
from scratch; ``blocked`` is not a finished state, so the next sweep decides again.

The run record states the weights it started from (``pretrained_from``: run, checkpoint, kind) and, from
the run process, how many backbone tensors were loaded (``pretrained``: compared *by value* with the
checkpoint after initialisation, see :func:`loaded_keys_report`).

Hooks (the whole integration with :mod:`.runner` and :mod:`.run_one`):

- :func:`check_tasks` when the sweep is planned (unknown stage names, cycles);
- :func:`stage_waves` to run the pending runs stage by stage (a stage waits for the one it starts from);
- :func:`link_pretrained` on each composed config (edit it, or return the reason it is blocked);
- :func:`pretrained_report` in the run process, after the model is built and initialised.
"""
from __future__ import annotations

import json
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence

#: state_dict prefix of the backbone in every model of the suite (classifier, detector, pose, action)
BACKBONE_PREFIX = 'backbone.'


def pretrain_task(tasks: Mapping, task: str) -> Optional[str]:
    """The task whose runs provide ``task``'s backbone weights, or None (from scratch)."""
    return (tasks.get(task) or {}).get('pretrain') or None


def check_tasks(tasks: Mapping, path: str = 'benchmark config') -> None:
    """Validate every ``pretrain`` entry: a known task, no task starting from itself, no cycle.

    Raises:
        ValueError: naming the task, the bad entry and the known task names.
    """
    for name in tasks:
        seen = [name]
        up = pretrain_task(tasks, name)
        while up is not None:
            if not isinstance(up, str) or up not in tasks:
                raise ValueError(f'{path}: tasks.{seen[-1]}.pretrain = {up!r} is not a task of this benchmark; '
                                 f'known tasks: {sorted(tasks)}')
            if up in seen:
                raise ValueError(f'{path}: tasks.{name}: the pretrain chain {" -> ".join(seen + [up])} is a cycle')
            seen.append(up)
            up = pretrain_task(tasks, up)


def stage_index(tasks: Mapping, task: str) -> int:
    """0 for a task trained from scratch, 1 for a task that starts from a stage-0 task, ..."""
    depth, up = 0, pretrain_task(tasks, task)
    while up is not None:
        depth += 1
        up = pretrain_task(tasks, up)
    return depth


def stage_waves(runs: Sequence, tasks: Mapping) -> List[List]:
    """Split runs (objects with ``.task``) into waves by stage, keeping the plan order inside a wave.

    Every run of a wave can start once the previous waves are finished; a sweep runs the waves one after
    the other (side by side within a wave when ``jobs`` > 1).
    """
    waves: Dict[int, List] = {}
    for run in runs:
        waves.setdefault(stage_index(tasks, run.task), []).append(run)
    return [waves[k] for k in sorted(waves)]


def upstream_run_id(tasks: Mapping, task: str, backbone: str) -> Optional[str]:
    """Run id of the pretraining run a (task, backbone) run starts from, or None."""
    up = pretrain_task(tasks, task)
    return f'{up}__{backbone}' if up else None


def stage1_checkpoint(record: Mapping) -> Optional[str]:
    """The backbone checkpoint an ``ok`` pretraining run record provides, or None.

    A run that tested a given checkpoint (``meta.checkpoint``: an official model converted with
    ``tools/model_converters/``) provides that file; a trained run provides the checkpoint named by
    mmengine's ``<work_dir>/last_checkpoint`` (its final checkpoint).
    """
    given = (record.get('meta') or {}).get('checkpoint')
    if given:
        return given
    work_dir = record.get('work_dir')
    marker = osp.join(work_dir, 'last_checkpoint') if work_dir else None
    if not marker or not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    if path and not osp.isabs(path):
        path = osp.join(work_dir, path)
    return path or None


@dataclass
class Link:
    """Where a run's backbone weights come from (see :func:`link_pretrained`)."""
    upstream: Optional[str] = None    # pretraining run id (None: from scratch)
    checkpoint: Optional[str] = None  # the file loaded into the backbone
    kind: Optional[str] = None        # 'trained' (the stage-1 run's own checkpoint) | 'given' (tested checkpoint)
    blocked: Optional[str] = None     # why the run cannot start (the pretraining run is not usable)
    extra: Dict = field(default_factory=dict)

    def as_record(self) -> Optional[Dict]:
        if self.upstream is None:
            return None
        return dict(run=self.upstream, checkpoint=self.checkpoint, kind=self.kind, prefix=BACKBONE_PREFIX)


def set_backbone_init(cfg, checkpoint: str, prefix: str = BACKBONE_PREFIX):
    """``cfg.model.backbone.init_cfg = Pretrained(checkpoint, prefix)`` (an mmengine Config, edited in place)."""
    model = cfg.get('model')
    if model is None or 'backbone' not in model:
        raise ValueError(f'{cfg.filename}: no model.backbone to initialise from {checkpoint}')
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=checkpoint, prefix=prefix)
    return cfg


def link_pretrained(run, cfg, tasks: Mapping, record_path: Callable[[str], str]) -> Link:
    """Decide where ``run``'s backbone starts from and edit ``cfg`` accordingly.

    Args:
        run: the run (``.task``, ``.backbone``).
        cfg: its composed config (edited in place when the run starts from a checkpoint).
        tasks: the benchmark's ``tasks``.
        record_path: run id -> path of its record (``runs/<run_id>.json``).

    Returns:
        a :class:`Link`; ``link.blocked`` is the reason when the pretraining run is not usable (then
        ``cfg`` is left as it was).
    """
    up = upstream_run_id(tasks, run.task, run.backbone)
    if up is None or getattr(run, 'checkpoint', None):  # from scratch, or a given checkpoint is only tested
        return Link()
    path = record_path(up)
    try:
        with open(path) as f:
            rec = json.load(f)
    except FileNotFoundError:
        return Link(upstream=up, blocked=f'pretraining run {up} has not run (no {path}); include it in the sweep '
                                         f'(--only {up.replace("__", "/")})')
    except (OSError, ValueError) as exc:
        return Link(upstream=up, blocked=f'pretraining run {up} has an unreadable record {path}: {exc}')
    status = rec.get('status')
    if status != 'ok':
        why = rec.get('error') or rec.get('blocked') or ''
        return Link(upstream=up, blocked=f'pretraining run {up} is {status}' + (f': {why}' if why else ''))
    ckpt = stage1_checkpoint(rec)
    if not ckpt or not osp.isfile(ckpt):
        return Link(upstream=up, blocked=f'pretraining run {up} is ok but its checkpoint {ckpt or "(none recorded)"} '
                                         f'is missing; re-run it (--retry-failed does not redo ok runs: delete '
                                         f'{path})')
    kind = 'given' if (rec.get('meta') or {}).get('checkpoint') else 'trained'
    set_backbone_init(cfg, ckpt)
    return Link(upstream=up, checkpoint=ckpt, kind=kind)


# --------------------------------------------------------------------------------------------------
# in the run process
def _checkpoint_state_dict(path: str) -> Dict:
    import torch
    obj = torch.load(path, map_location='cpu', weights_only=True)
    if isinstance(obj, Mapping) and isinstance(obj.get('state_dict'), Mapping):
        obj = obj['state_dict']
    if not isinstance(obj, Mapping):
        raise ValueError(f'{path}: not a checkpoint (a state_dict or a dict holding one under "state_dict")')
    return obj


def loaded_keys_report(backbone, checkpoint: str, prefix: str = BACKBONE_PREFIX) -> Dict:
    """Compare an initialised backbone with the ``prefix`` tensors of ``checkpoint``, key by key *by value*.

    Returns:
        dict: ``checkpoint``, ``prefix``, ``backbone_keys`` (tensors in the backbone's state_dict),
        ``loaded`` (equal to the checkpoint's tensor), ``missing`` / ``mismatched`` (first 20 keys: absent
        from the checkpoint / present but different shape or value) and ``unused`` (checkpoint tensors under
        ``prefix`` the backbone has no key for).
    """
    import torch
    src = {k[len(prefix):]: v for k, v in _checkpoint_state_dict(checkpoint).items() if k.startswith(prefix)}
    own = backbone.state_dict()
    loaded, missing, mismatched = 0, [], []
    for key, value in own.items():
        ref = src.get(key)
        if ref is None:
            missing.append(key)
        elif tuple(ref.shape) != tuple(value.shape) or not torch.equal(ref.to(value.device, value.dtype), value):
            mismatched.append(key)
        else:
            loaded += 1
    return dict(checkpoint=checkpoint, prefix=prefix, backbone_keys=len(own), loaded=loaded,
                missing=missing[:20], n_missing=len(missing), mismatched=mismatched[:20],
                n_mismatched=len(mismatched), unused=len(set(src) - set(own)))


def pretrained_report(runner, cfg) -> Optional[Dict]:
    """In a run process: if ``model.backbone.init_cfg`` is ``Pretrained``, initialise the model (idempotent;
    ``train()`` keeps these weights) and return :func:`loaded_keys_report`; else None.

    Raises:
        RuntimeError: when not a single backbone tensor came from the checkpoint (a run must never pass for
            pretrained while it trains from scratch).
    """
    init = ((cfg.get('model') or {}).get('backbone') or {}).get('init_cfg')
    if not isinstance(init, Mapping) or init.get('type') != 'Pretrained':
        return None
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    runner._init_model_weights()
    report = loaded_keys_report(model.backbone, init['checkpoint'], init.get('prefix') or '')
    if report['loaded'] == 0:
        raise RuntimeError(f'backbone init_cfg Pretrained({init["checkpoint"]!r}, prefix={init.get("prefix")!r}) '
                           f'loaded none of the {report["backbone_keys"]} backbone tensors (missing e.g. '
                           f'{report["missing"][:3]}, mismatched e.g. {report["mismatched"][:3]}): the checkpoint '
                           f'is not a checkpoint of this backbone')
    return report
