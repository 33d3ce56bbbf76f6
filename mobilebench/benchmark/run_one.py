"""One benchmark run, executed in its own process by :mod:`mobilebench.benchmark.runner`.

    python -m mobilebench.benchmark.run_one --config CFG.py --work-dir DIR --out RESULT.json
        --input-shape 3 416 416 [--checkpoint CKPT] [--no-untrained] [--progress FILE]
        [--latency-warmup 3 --latency-repeats 10 --latency-threads 1] [--launcher none|pytorch|slurm]

Phases: build the Runner; test the freshly initialised model (the "untrained" reference); train
(or load ``--checkpoint``); test; count MAdds/params at the input shape; time the backbone on CPU.
The result (metrics and measurements only; the sweep adds the metadata) is written atomically to
``--out`` by rank 0. Any exception propagates: a non-zero exit is how the sweep learns of a failure.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Run one (task, backbone) benchmark run')
    parser.add_argument('--config', required=True, help='composed config file (placeholders resolved)')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--out', required=True, help='result JSON written at the end (rank 0)')
    parser.add_argument('--input-shape', type=int, nargs='+', required=True,
                        help='model input shape without batch, e.g. 3 416 416')
    parser.add_argument('--checkpoint', default=None, help='test this checkpoint instead of training')
    parser.add_argument('--no-untrained', action='store_true', help='skip the untrained reference test')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--progress', default=None, help='file where progress is reported (JSON)')
    parser.add_argument('--latency-warmup', type=int, default=3)
    parser.add_argument('--latency-repeats', type=int, default=10)
    parser.add_argument('--latency-threads', type=int, default=1)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


class Progress:
    """Reports ``{phase, done, total}`` to a JSON file the parent sweep polls (rank 0 only)."""

    def __init__(self, path):
        self.path = path
        self.state = dict(phase='start', done=0, total=0)

    def update(self, **kwargs):
        self.state.update(kwargs)
        if not self.path:
            return
        import json
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.state, f)
        os.replace(tmp, self.path)


def _progress_hook(progress: Progress):
    from mmengine.hooks import Hook

    class ProgressHook(Hook):
        """Forwards training iterations and evaluation batches to :class:`Progress`."""
        priority = 'VERY_LOW'

        def before_train(self, runner):
            progress.update(phase='train', done=runner.iter, total=runner.max_iters)

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            progress.update(phase='train', done=runner.iter + 1, total=runner.max_iters)

        def before_val_epoch(self, runner):
            progress.update(phase='val', done=0, total=len(runner.val_dataloader))

        def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            progress.update(done=batch_idx + 1)

        def before_test_epoch(self, runner):
            progress.update(done=0, total=len(runner.test_dataloader))

        def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            progress.update(done=batch_idx + 1)

    return ProgressHook()


def _clean(metrics):
    out = {}
    for key, value in dict(metrics or {}).items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            out[key] = value if isinstance(value, (str, int, list, dict)) else str(value)
    return out


def main(argv=None):
    args = parse_args(argv)
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    if repo not in sys.path:
        sys.path.insert(0, repo)
    import mobilebench  # noqa: F401  (compat shims + registries)
    import backbones  # noqa: F401
    from mmengine.dist import get_rank

    from mobilebench.benchmark.measure import backbone_latency, model_complexity
    from mobilebench.config import load_config
    from mobilebench.fileio import atomic_write_json
    from mobilebench.runner_utils import build_runner

    progress = Progress(args.progress)
    timings = {}
    t0 = time.perf_counter()
    cfg = load_config(args.config)
    cfg.work_dir = args.work_dir
    cfg.launcher = args.launcher
    cfg.setdefault('randomness', {})
    cfg.randomness['seed'] = args.seed
    if args.checkpoint:
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
        cfg.load_from = args.checkpoint
    progress.update(phase='build')
    runner = build_runner(cfg)
    runner.register_hook(_progress_hook(progress))
    timings['build_s'] = time.perf_counter() - t0
    is_main = get_rank() == 0

    result = dict(untrained_metrics=None)
    # pretrain -> downstream chain: which backbone tensors the Pretrained init_cfg loaded (by value)
    from mobilebench.benchmark.chain import pretrained_report
    result['pretrained'] = None if args.checkpoint else pretrained_report(runner, cfg)
    if not args.no_untrained and not args.checkpoint:
        t = time.perf_counter()
        progress.update(phase='test untrained', done=0, total=0)
        # the weights a training run starts from (init_weights is idempotent, train() keeps them)
        runner._init_model_weights()
        result['untrained_metrics'] = _clean(runner.test())
        timings['untrained_test_s'] = time.perf_counter() - t
    if not args.checkpoint:
        t = time.perf_counter()
        runner.train()
        timings['train_s'] = time.perf_counter() - t
        result['train_iters'] = int(runner.iter)
    t = time.perf_counter()
    progress.update(phase='test', done=0, total=0)
    result['metrics'] = _clean(runner.test())
    timings['test_s'] = time.perf_counter() - t

    if is_main:
        t = time.perf_counter()
        progress.update(phase='complexity', done=0, total=0)
        result['complexity'] = model_complexity(runner.model, args.input_shape)
        timings['complexity_s'] = time.perf_counter() - t
        t = time.perf_counter()
        progress.update(phase='latency', done=0, total=args.latency_repeats)
        result['latency'] = backbone_latency(runner.model, args.input_shape, args.latency_warmup,
                                             args.latency_repeats, args.latency_threads)
        timings['latency_s'] = time.perf_counter() - t
        timings['total_s'] = time.perf_counter() - t0
        result['timings'] = timings
        result['log_dir'] = runner.log_dir
        atomic_write_json(args.out, result)
        progress.update(phase='done')


if __name__ == '__main__':
    main()
