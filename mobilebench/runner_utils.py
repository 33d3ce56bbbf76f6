"""What tools/train.py, tools/test.py and the benchmark runner share: work_dir/seed/launcher handling,
building the right Runner for the config's toolbox (with the checkpoint-fit, start-up input and metric
sanity hooks), and writing metrics JSON."""
from __future__ import annotations

import os.path as osp
import time
from typing import Dict, List, Optional

from mmengine.config import Config

from .fileio import atomic_write_json

#: default_scope -> module whose import registers that toolbox's components
TOOLBOX_MODULES = {
    'mmdet': 'mmdet.utils',
    'mmpose': 'mmpose.utils',
    'mmaction': 'mmaction.utils',
    'mmpretrain': 'mmpretrain.registry',
    'mobilebench': 'mobilebench',
}


def apply_common_args(cfg: Config, args, default_work_dir_root: str = 'work_dirs') -> Config:
    """Apply --work-dir, --launcher, --seed and --deterministic to ``cfg`` in the OpenMMLab way."""
    cfg.launcher = args.launcher
    if getattr(args, 'work_dir', None):
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(default_work_dir_root, osp.splitext(osp.basename(args.config))[0])
    if getattr(args, 'seed', None) is not None:
        cfg.setdefault('randomness', {})
        cfg.randomness['seed'] = args.seed
    if getattr(args, 'deterministic', False):
        cfg.setdefault('randomness', {})
        cfg.randomness['deterministic'] = True
    return cfg


def build_runner(cfg: Config):
    """Build the Runner (or the config's ``runner_type``) inside the config's default scope."""
    import importlib

    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    scope = cfg.get('default_scope', 'mmengine')
    if scope not in TOOLBOX_MODULES and scope != 'mmengine':
        raise ValueError(f'{cfg.filename}: unknown default_scope {scope!r}; expected one of '
                         f'{sorted(TOOLBOX_MODULES)}')
    if scope in TOOLBOX_MODULES:
        importlib.import_module(TOOLBOX_MODULES[scope])
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    register_checkpoint_fit_check(runner, cfg)
    register_input_and_metric_checks(runner, cfg)
    return runner


def register_input_and_metric_checks(runner, cfg: Config) -> None:
    """Start-up checks of every input before the first iteration (:mod:`mobilebench.input_checks`; the
    config's ``input_checks = dict(decode_samples=N)`` tunes them, ``input_checks = None`` turns them off)
    and no quiet nonsense in the metrics: an empty evaluation reports 0.0 with a warning, constant class
    predictions add ``<prefix>/degenerate`` (:mod:`mobilebench.metric_checks`)."""
    from .input_checks import InputCheckHook
    from .metric_checks import MetricSanityHook
    options = cfg.get('input_checks', {})
    if options is not None:
        runner.register_hook(InputCheckHook(**dict(options)))
    runner.register_hook(MetricSanityHook())


def register_checkpoint_fit_check(runner, cfg: Config) -> None:
    """A ``load_from`` / ``resume`` checkpoint that does not fit the model is an error (listing the missing,
    unexpected and mis-shaped keys) unless the config sets ``partial_load = True`` (fine-tuning);
    see :mod:`mobilebench.checkpoint`."""
    from .checkpoint import CheckpointFitHook
    runner.register_hook(CheckpointFitHook(partial=cfg.get('partial_load', False)))


def write_metrics_json(metrics: Dict, runner, checkpoint: str, config: str,
                       extra_path: Optional[str] = None) -> List[str]:
    """Write the test metrics next to the run's logs (``<log_dir>/metrics.json``) and optionally to
    ``extra_path``. Returns the written paths."""
    payload = dict(config=config, checkpoint=checkpoint, metrics=dict(metrics or {}),
                   time=time.strftime('%Y-%m-%dT%H:%M:%S'))
    paths = [atomic_write_json(osp.join(runner.log_dir, 'metrics.json'), payload)]
    if extra_path:
        paths.append(atomic_write_json(extra_path, payload))
    return paths
