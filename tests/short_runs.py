"""Test helpers for short end-to-end runs: train a few iterations, then test."""
from __future__ import annotations

import copy
from typing import Dict, List, Optional

from mmengine.config import Config


def shorten_schedule(cfg: Config, work_dir: str, max_iters: int = 2, batch_size: Optional[int] = None,
                     seed: int = 0) -> Config:
    """Return a copy of ``cfg`` that trains ``max_iters`` iterations with no validation, no
    num_workers, no LR schedule, a checkpoint at the end, and the given seed.

    Validation is removed altogether (``val_cfg=None``): mmengine's IterBasedTrainLoop validates after
    the last iteration even when ``val_interval > max_iters``, which doubles a short run."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters + 1)
    cfg.val_cfg = None
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    cfg.param_scheduler = []
    cfg.randomness = dict(seed=seed)
    cfg.launcher = 'none'
    cfg.pop('auto_scale_lr', None)
    cfg.setdefault('default_hooks', {})
    cfg.default_hooks['checkpoint'] = dict(type='CheckpointHook', interval=max_iters, by_epoch=False)
    cfg.default_hooks['logger'] = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.pop('visualization', None)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader is None:
            continue
        loader['num_workers'] = 0
        loader['persistent_workers'] = False
        if batch_size is not None:
            loader['batch_size'] = batch_size
    return cfg


def run_train_test(cfg: Config, work_dir: str, max_iters: int = 2, batch_size: Optional[int] = None,
                   seed: int = 0, predictions: Optional[List] = None) -> Dict:
    """Train ``max_iters`` iterations, then run the test loop on the trained weights; return the metrics.

    ``predictions``: a list that receives every data sample the test loop predicted (what the evaluator
    saw), so that a test can recompute the metric from them outside the suite's code."""
    from mmengine.hooks import Hook

    from mobilebench.runner_utils import build_runner
    cfg = shorten_schedule(cfg, work_dir, max_iters=max_iters, batch_size=batch_size, seed=seed)
    runner = build_runner(cfg)
    if predictions is not None:
        class _Capture(Hook):
            def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
                predictions.extend(outputs)
        runner.register_hook(_Capture(), priority='LOWEST')
    runner.train()
    return runner.test()
