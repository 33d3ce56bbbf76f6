#!/usr/bin/env python
"""Train any config of the suite (classification, detection, pose, action, face) with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--amp] [--resume [CKPT]] [--seed N] [--partial-load]
                                 [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

The toolbox is chosen by the config's ``default_scope`` (mmpretrain, mmdet, mmpose, mmaction or mobilebench);
backbone-dependent widths (``'@backbone.out_channels'``) are resolved by ``mobilebench.config``.
``--cfg-options NAME=VALUE`` with a setting of the config (``data_root``, ``val_ann_file``, ``classes``,
``num_classes``, ``max_epochs``, ...: docs/settings.md) moves every field that uses it; a name that nothing
uses is an error listing the settings.
A ``load_from`` checkpoint must fit the model (``mobilebench.checkpoint``); ``--partial-load`` (or
``partial_load = True`` in the config) loads only the matching tensors, for fine-tuning from a related
model. Backbone-only weights via ``init_cfg=dict(type='Pretrained', prefix='backbone.')`` need no flag.
"""
import argparse
import os

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model of the mobile-backbone suite')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision training')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the LR with the total batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or from the latest one in work_dir')
    parser.add_argument('--seed', type=int, default=None, help='random seed (overrides randomness.seed)')
    parser.add_argument('--deterministic', action='store_true', help='cudnn deterministic mode')
    parser.add_argument('--partial-load', action='store_true',
                        help='fine-tuning: load only the tensors of load_from that match the model (by name and '
                             'shape) and report the others, instead of failing on a checkpoint that does not fit')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value (e.g. data_root=/data/VOCdevkit/; '
                             'the settings of each task: docs/settings.md)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_train_cfg(args):
    from mobilebench.config import load_config
    from mobilebench.runner_utils import apply_common_args
    cfg = load_config(args.config, args.cfg_options)
    apply_common_args(cfg, args, default_work_dir_root='work_dirs')
    if args.partial_load:
        cfg.partial_load = True
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ValueError(f'{args.config}: --auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=N)` '
                             f'in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main(argv=None):
    args = parse_args(argv)
    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    from mobilebench.runner_utils import build_runner
    cfg = build_train_cfg(args)
    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
