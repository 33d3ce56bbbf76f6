"""One benchmark run, executed in its own process by :mod:`mobilebench.benchmark.runner`.

    python -m mobilebench.benchmark.run_one --config CFG.py --work-dir DIR --out RESULT.json
        --input-shape 3 416 416 [--checkpoint CKPT] [--no-untrained] [--progress FILE] [--resume]
        [--latency-warmup 3 --latency-repeats 10 --latency-threads 1] [--launcher none|pytorch|slurm]
        [--samples SAMPLES.npz]

Phases: build the Runner; count MAdds/params at the input shape (first: a wrong ``input_shape`` fails in
seconds, not after training); test the freshly initialised model (the "untrained" reference); train (or
load ``--checkpoint``; ``--resume`` continues from the work dir's last mmengine checkpoint); test; time
the backbone on CPU. With ``--samples`` the final test (not the untrained one) also writes its per-sample results
(:mod:`mobilebench.benchmark.samples`: what a paired significance test recomputes the metric from). The result (metrics and measurements only; the sweep adds the metadata) is written
atomically to ``--out`` by rank 0 after every phase, ``complete: false`` until the end; if a phase
raises, the result keeps what was measured before, plus ``phase`` and ``error``, and the exception
propagates: a non-zero exit is how the sweep learns of a failure.
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import signal
import sys
import threading
import time


class SigintWins:
    """Context manager: once a SIGINT has arrived, the block ends in :class:`KeyboardInterrupt`, whatever a
    library turned the interrupt into on its way out.

    A Ctrl-C must leave the run *interrupted* (the sweep keeps its record ``running`` and resumes it), never
    *failed*. Python delivers SIGINT as a ``KeyboardInterrupt`` wherever the run happens to be, and some code of
    the stack catches everything: mmengine's ``Config.pretty_text`` (which the Runner calls while it is built,
    to log the config) wraps yapf in a bare ``except:`` and raises ``SyntaxError('Failed to format the config
    file ...')``. Inside this block a SIGINT is remembered (``seen``) before it is raised, and any exception
    that leaves the block after one is re-raised as ``KeyboardInterrupt`` (chained to it), so the process ends
    by SIGINT (exit status -2) as an interrupted Python does.

    Only in the main thread, and only where SIGINT has Python's default handler: a SIGINT the process ignores
    (a background job of a non-interactive shell) stays ignored.
    """

    def __init__(self):
        self.seen = False
        self._previous = None

    def _handler(self, signum, frame):
        self.seen = True
        raise KeyboardInterrupt

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        if exc is not None and self.seen and not isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt(f'interrupted (SIGINT), raised on as {type(exc).__name__}: {exc}'[:500]) \
                from exc
        return False


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Run one (task, backbone) benchmark run')
    parser.add_argument('--config', required=True, help='composed config file (placeholders resolved)')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--out', required=True, help='result JSON written at the end (rank 0)')
    parser.add_argument('--input-shape', type=int, nargs='+', required=True,
                        help='model input shape without batch, e.g. 3 416 416')
    parser.add_argument('--checkpoint', default=None, help='test this checkpoint instead of training')
    parser.add_argument('--no-untrained', action='store_true', help='skip the untrained reference test')
    parser.add_argument('--resume', action='store_true',
                        help='resume training from the work dir\'s last checkpoint (an interrupted attempt); '
                             'the untrained metrics of that attempt are kept')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--samples', default=None,
                        help='write the final test\'s per-sample results to this .npz (mobilebench.benchmark.samples)')
    parser.add_argument('--progress', default=None, help='file where progress is reported (JSON)')
    parser.add_argument('--latency-warmup', type=int, default=3)
    parser.add_argument('--latency-repeats', type=int, default=10)
    parser.add_argument('--latency-threads', type=int, default=1)
    parser.add_argument('--deploy', default=None,
                        help='JSON keyword arguments of mobilebench.deploy_figures.deployment_figures')
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
        from mobilebench.fileio import atomic_write_json
        atomic_write_json(self.path, self.state, indent=None)  # a unique temporary file per write


def _progress_hook(progress: Progress):
    from mmengine.hooks import Hook

    class ProgressHook(Hook):
        """Forwards training iterations and evaluation batches to :class:`Progress`."""
        priority = 'VERY_LOW'

        def before_train(self, runner):
            progress.start_iter = runner.iter  # > 0 when resumed from a checkpoint
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
    with SigintWins() as interrupt:
        _main(args, interrupt)


def _main(args, interrupt: SigintWins):
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    if repo not in sys.path:
        sys.path.insert(0, repo)
    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    import backbones  # noqa: F401
    from mmengine.dist import get_rank

    from mobilebench.benchmark.measure import backbone_latency, model_complexity
    from mobilebench.config import load_config
    from mobilebench.fileio import atomic_write_json
    from mobilebench.runner_utils import build_runner

    progress = Progress(args.progress)
    timings = {}
    t0 = time.perf_counter()
    # the composed config is already in the work dir, formatted (the sweep wrote it): the Runner's three copies
    # of its text (log, work-dir dump, visualizer dump) skip yapf, 1-4 CPU-seconds per run on the task configs
    cfg = load_config(args.config, format_python_code=False)
    cfg.work_dir = args.work_dir
    cfg.launcher = args.launcher
    cfg.setdefault('randomness', {})
    cfg.randomness['seed'] = args.seed
    if args.checkpoint:
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
        cfg.load_from = args.checkpoint
        cfg.partial_load = False  # a checkpoint that does not fit the model is an error, not a random model
    previous = {}
    if args.resume:
        cfg.resume = True
        try:  # the interrupted attempt's partial result (its untrained metrics are reused)
            with open(args.out) as f:
                previous = json.load(f)
        except (OSError, ValueError):
            previous = {}
    progress.update(phase='build')
    runner = build_runner(cfg)
    runner.register_hook(_progress_hook(progress))
    timings['build_s'] = time.perf_counter() - t0
    is_main = get_rank() == 0

    result = dict(untrained_metrics=None, complete=False, phase='build')
    # pretrain -> downstream chain: which backbone tensors the Pretrained init_cfg loaded (by value)
    from mobilebench.benchmark.chain import pretrained_report
    result['pretrained'] = None if args.checkpoint else pretrained_report(runner, cfg)

    def save(phase):
        result['phase'] = phase
        result['timings'] = timings
        if is_main:
            atomic_write_json(args.out, result)

    phase = 'complexity'
    try:
        if is_main:  # weights do not change MAdds/params: count before training, so a bad shape fails fast
            t = time.perf_counter()
            progress.update(phase=phase, done=0, total=0)
            result['complexity'] = model_complexity(runner.model, args.input_shape)
            timings['complexity_s'] = time.perf_counter() - t
            save(phase)
        if not args.no_untrained and not args.checkpoint:
            phase = 'untrained test'
            if previous.get('untrained_metrics') is not None:
                result['untrained_metrics'] = previous['untrained_metrics']
                timings['untrained_test_s'] = (previous.get('timings') or {}).get('untrained_test_s')
            else:
                t = time.perf_counter()
                progress.update(phase=phase, done=0, total=0)
                resume, runner._resume = runner._resume, False  # test the fresh weights, not the checkpoint
                # the weights a training run starts from (init_weights is idempotent, train() keeps them)
                runner._init_model_weights()
                result['untrained_metrics'] = _clean(runner.test())
                runner._resume = resume
                timings['untrained_test_s'] = time.perf_counter() - t
            save(phase)
        if not args.checkpoint:
            phase = 'train'
            t = time.perf_counter()
            runner.train()
            timings['train_s'] = time.perf_counter() - t
            result['train_iters'] = int(runner.iter)
            result['train_start_iter'] = int(getattr(progress, 'start_iter', 0))
            if args.resume:
                result['resumed'] = True
            save(phase)
        phase = 'test'
        t = time.perf_counter()
        progress.update(phase=phase, done=0, total=0)
        captured = None
        if args.samples:
            from mobilebench.benchmark.sample_dump import UnsupportedMetric, capture_metric_inputs, dump_samples
            with capture_metric_inputs(runner) as captured:
                result['metrics'] = _clean(runner.test())
        else:
            result['metrics'] = _clean(runner.test())
        timings['test_s'] = time.perf_counter() - t
        save(phase)
        if captured is not None and is_main:
            phase = 'samples'
            try:
                dump_samples(args.samples, captured, runner.test_dataloader.dataset,
                             source=dict(config=args.config, checkpoint=args.checkpoint, seed=args.seed))
                result['samples'] = args.samples
            except UnsupportedMetric as exc:  # a metric without a per-sample format: the run still counts
                result['samples_error'] = str(exc)
                print(f'warning: {exc}', file=sys.stderr)
            save(phase)
        if is_main:
            phase = 'latency'
            t = time.perf_counter()
            progress.update(phase=phase, done=0, total=args.latency_repeats)
            result['latency'] = backbone_latency(runner.model, args.input_shape, args.latency_warmup,
                                                 args.latency_repeats, args.latency_threads)
            timings['latency_s'] = time.perf_counter() - t
            save(phase)
            if args.deploy:  # task network on inference engines, INT8 (mobilebench.deploy_figures)
                from mobilebench.deploy_figures import deployment_figures
                phase = 'deploy'
                t = time.perf_counter()
                progress.update(phase=phase, done=0, total=0)
                result['deploy'] = deployment_figures(runner, args.input_shape, **json.loads(args.deploy))
                timings['deploy_s'] = time.perf_counter() - t
            timings['total_s'] = time.perf_counter() - t0
            result['log_dir'] = runner.log_dir
            result['complete'] = True
            save('done')
            progress.update(phase='done')
    except BaseException as exc:
        # a failure keeps what was measured and says where it stopped; an interrupt is no failure
        if not isinstance(exc, KeyboardInterrupt) and not interrupt.seen:
            result['error'] = f'{phase}: {type(exc).__name__}: {exc}'[:1000]
            save(phase)
        raise


if __name__ == '__main__':
    main()
