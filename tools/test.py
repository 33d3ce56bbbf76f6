#!/usr/bin/env python
"""Test a checkpoint of any config of the suite and write the metrics as JSON next to the logs.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out-json FILE] [--samples FILE.npz]
                                           [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

Writes ``<work_dir>/<timestamp>/metrics.json`` (and ``--out-json`` if given) atomically; ``--samples`` also
writes the per-sample results a paired significance test needs (``mobilebench.benchmark.samples``).
``--cfg-options NAME=VALUE`` with a setting of the config (``data_root``, ``val_ann_file``, ``classes``,
``num_classes``, ``max_epochs``, ...: docs/settings.md) moves every field that uses it; a name that nothing
uses is an error listing the settings.
Checkpoints load with ``torch.load(weights_only=True)``; mmengine's own checkpoint contents are
allow-listed in ``mobilebench.compat``. The checkpoint must fit the config's model exactly: a missing,
unexpected or mis-shaped tensor is an error listing them (``mobilebench.checkpoint``), never the
metrics of a partly random model; a config's ``partial_load`` is ignored here.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a model of the mobile-backbone suite')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out-json', help='also write the metrics to this JSON file')
    parser.add_argument('--samples', help='also write the per-sample results (.npz) to this file')
    parser.add_argument('--seed', type=int, default=None)
    parser.add_argument('--deterministic', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    from mobilebench.config import load_config
    from mobilebench.runner_utils import apply_common_args, build_runner, write_metrics_json
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = load_config(args.config, args.cfg_options)
    apply_common_args(cfg, args, default_work_dir_root='work_dirs')
    cfg.load_from = args.checkpoint
    cfg.partial_load = False  # testing a checkpoint that does not fit the model would report a random model
    runner = build_runner(cfg)
    if args.samples:
        from mmengine.dist import is_main_process

        from mobilebench.benchmark.sample_dump import capture_metric_inputs, dump_samples
        with capture_metric_inputs(runner) as captured:
            metrics = runner.test()
        if is_main_process():
            dump_samples(args.samples, captured, runner.test_dataloader.dataset,
                         source=dict(config=args.config, checkpoint=args.checkpoint))
            print(f'per-sample results written to {args.samples}')
    else:
        metrics = runner.test()
    paths = write_metrics_json(metrics, runner, args.checkpoint, args.config, args.out_json)
    for path in paths:
        print(f'metrics written to {path}')
    return metrics


if __name__ == '__main__':
    main()
