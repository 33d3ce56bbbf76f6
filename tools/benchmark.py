#!/usr/bin/env python
"""Run a benchmark sweep: every (task, backbone) of a benchmark config, one subprocess per run.

    python tools/benchmark.py BENCH_CONFIG [--results DIR] [--only task,backbone,task/backbone]
                              [--launcher none|pytorch|slurm] [--gpus N] [--retry-failed] [--no-progress]

Resumable: run it again after an interruption (even ``kill -9``); finished runs (ok or failed) are
kept, interrupted ones are redone. Multi-GPU: ``--launcher pytorch --gpus 8`` runs each run with
``torch.distributed.run`` (NNODES/NODE_RANK/MASTER_ADDR/PORT as in tools/dist_train.sh);
``--launcher slurm`` with ``srun`` (PARTITION/GPUS_PER_NODE/SRUN_ARGS as in tools/slurm_train.sh).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark backbones across downstream tasks')
    parser.add_argument('config', help='benchmark config, e.g. configs/benchmark/demo.py')
    parser.add_argument('--results', help='results folder (default: results/<config name>)')
    parser.add_argument('--only', help='comma-separated task / backbone / task/backbone names to run')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--gpus', type=int, default=1, help='processes (GPUs) per run with a launcher')
    parser.add_argument('--jobs', type=int, default=None,
                        help='runs side by side on this machine (default: the config\'s `jobs`, else 1); '
                             'launcher none only: keep jobs x threads <= CPU cores')
    parser.add_argument('--retry-failed', action='store_true', help='run failed runs again')
    parser.add_argument('--no-progress', action='store_true', help='no progress bars')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mobilebench.benchmark import Sweep
    results = args.results or osp.join('results', osp.splitext(osp.basename(args.config))[0])
    only = [s.strip() for s in args.only.split(',') if s.strip()] if args.only else None
    sweep = Sweep(args.config, results, only=only, launcher=args.launcher, gpus=args.gpus,
                  retry_failed=args.retry_failed, progress=not args.no_progress, jobs=args.jobs)
    statuses = sweep.run()
    ok = sum(s == 'ok' for s in statuses.values())
    failed = [k for k, s in statuses.items() if s != 'ok']
    print(f'{ok}/{len(statuses)} runs ok; records in {osp.join(results, "runs")}')
    for run_id in failed:
        print(f'  not ok: {run_id} ({statuses[run_id]}); see {osp.join(results, "runs", run_id + ".json")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
