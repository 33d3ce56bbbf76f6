"""``mobilebench.ClassifierWarmupHook``: train only the new classifier for the first epochs.

HBONet's re-ID protocol trains "the adapted fully-connected classifier ... for 10 epochs in advance", with
"all the other layers ... fixed" (torchreid's ``fixbase_epoch=10, open_layers=['classifier']``). During the
warm-up every parameter outside ``open_layers`` has ``requires_grad=False`` (so the optimizer neither
updates nor decays it) and every module outside them is in eval mode (BatchNorm statistics stay fixed too).
The frozen parameters are released when the warm-up ends; parameters that were frozen for another reason
(a backbone's ``frozen_stages``) stay frozen.
"""
from __future__ import annotations

from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..registry import HOOKS


@HOOKS.register_module()
class ClassifierWarmupHook(Hook):
    """Freeze everything but ``open_layers`` for the first ``warmup`` epochs (or iterations).

    Args:
        warmup: warm-up length (0 disables the hook).
        by_epoch: count ``warmup`` in epochs (``runner.epoch``) or in iterations (``runner.iter``).
        open_layers: names of the model's submodules that train during the warm-up (dotted paths allowed,
            e.g. ``'head.classifier'``).
    """

    priority = 'NORMAL'

    def __init__(self, warmup: int = 10, by_epoch: bool = True, open_layers: Sequence[str] = ('head', )):
        if warmup < 0:
            raise ValueError(f'ClassifierWarmupHook: warmup must be >= 0, got {warmup}')
        self.warmup = int(warmup)
        self.by_epoch = by_epoch
        self.open_layers = (open_layers, ) if isinstance(open_layers, str) else tuple(open_layers)
        self._frozen = set()

    def _open(self, name: str) -> bool:
        return any(name == o or name.startswith(o + '.') for o in self.open_layers)

    def _ancestor(self, name: str) -> bool:
        return name == '' or any(o.startswith(name + '.') for o in self.open_layers)

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_train(self, runner) -> None:
        model = self._model(runner)
        names = dict(model.named_modules())
        missing = [o for o in self.open_layers if o not in names]
        if missing:
            raise ValueError(f'ClassifierWarmupHook: open_layers {missing} are not submodules of '
                             f'{type(model).__name__}; top-level modules: {[n for n, _ in model.named_children()]}')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        # checked every iteration: the loops call model.train() at each epoch start, and a resumed run starts
        # anywhere in the schedule
        model = self._model(runner)
        if (runner.epoch if self.by_epoch else runner.iter) < self.warmup:
            if not self._frozen:
                for name, p in model.named_parameters():
                    if not self._open(name) and p.requires_grad:
                        p.requires_grad_(False)
                        self._frozen.add(name)
                unit = 'epochs' if self.by_epoch else 'iterations'
                runner.logger.info(f'ClassifierWarmupHook: warm-up ({self.warmup} {unit}), training only '
                                   f'{list(self.open_layers)}')
            for name, module in model.named_modules():
                if not (name.startswith('data_preprocessor') or self._open(name) or self._ancestor(name)):
                    module.eval()
        elif self._frozen:
            for name, p in model.named_parameters():
                if name in self._frozen:
                    p.requires_grad_(True)
            self._frozen.clear()
            model.train()
            runner.logger.info('ClassifierWarmupHook: warm-up done, all layers train')
