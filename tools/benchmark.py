#!/usr/bin/env python
"""Run a benchmark sweep: every (task, backbone[, seed]) of a benchmark config, one process per run.

    python tools/benchmark.py BENCH_CONFIG [--results DIR] [--only NAME ...] [--cfg-options KEY=VALUE ...]
        [--executor local|slurm|submitit-local] [--jobs N] [--launcher none|pytorch|slurm] [--gpus N]
        [--retry-failed] [--rerun-changed] [--status] [--wait] [--dry-run] [--no-progress]

Resumable: run it again after an interruption (even ``kill -9``); finished runs are kept, interrupted ones
are redone (from their last checkpoint); a finished run whose config changed is refused (``--rerun-changed``
reruns it). Several sweeps (or users) may share one results folder: every run is claimed before it runs
or is submitted, so nothing runs twice.

Executors: ``local`` (default) runs here, ``--jobs N`` at a time; ``slurm`` submits every pending run as a
Slurm job through submitit (resources from the config's ``slurm`` dict); ``submitit-local`` uses
submitit's local executor (jobs are processes here). ``--status`` shows done / failed / running / queued /
pending per run without starting anything.

Exit status: 0 when every run is ok (``--status``: done; a submission without ``--wait``: none failed),
1 when some run is not, 2 for a bad benchmark config or refused changed runs.
"""
import argparse
import os.path as osp
import sys


from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark backbones across downstream tasks')
    parser.add_argument('config', help='benchmark config, e.g. configs/benchmark/demo.py')
    parser.add_argument('--results', help='results folder (default: results/<config name>)')
    parser.add_argument('--only', nargs='+', metavar='NAME',
                        help='run only these tasks / backbones / task/backbone (commas also separate names)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override benchmark config keys, e.g. jobs=2 slurm.partition=gpu '
                             'tasks.voc_yolov3.overrides.train_cfg.max_epochs=1 (checked like the file)')
    parser.add_argument('--executor', choices=['local', 'slurm', 'submitit-local'], default='local',
                        help='local: run here; slurm: one Slurm job per run (submitit); submitit-local: '
                             'submitit jobs on this machine')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                        help='local executor: how one run spreads over GPUs (torchrun / srun)')
    parser.add_argument('--gpus', type=int, default=1, help='processes (GPUs) per run with a launcher')
    parser.add_argument('--jobs', type=int, default=None,
                        help='runs side by side on this machine (default: the config\'s `jobs`, else 1); '
                             'launcher none only: keep jobs x threads <= CPU cores')
    parser.add_argument('--retry-failed', action='store_true', help='run failed runs again')
    parser.add_argument('--rerun-changed', action='store_true',
                        help='run finished runs whose config or settings changed again (default: refuse)')
    parser.add_argument('--status', action='store_true', help='show the state of every run and exit')
    parser.add_argument('--wait', action='store_true', help='slurm / submitit-local: wait until no run is '
                        'queued or running, then report')
    parser.add_argument('--dry-run', action='store_true', help='check the config and list the runs; run nothing')
    parser.add_argument('--no-progress', action='store_true', help='no progress bars')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mobilebench.benchmark import BenchmarkConfigError, ChangedRunsError, Sweep
    from mobilebench.benchmark.console import plain_line, print_run_states
    from mobilebench.benchmark.slurm import run_states, submit_pending, wait_for
    results = args.results or osp.join('results', osp.splitext(osp.basename(args.config))[0])
    only = [s.strip() for item in args.only for s in item.split(',') if s.strip()] if args.only else None
    try:
        sweep = Sweep(args.config, results, only=only, launcher=args.launcher, gpus=args.gpus,
                      retry_failed=args.retry_failed, rerun_changed=args.rerun_changed,
                      progress=not args.no_progress, jobs=args.jobs, cfg_options=args.cfg_options,
                      executor=args.executor)
        if args.dry_run:
            for run in sweep.runs:
                sweep.spec_hash(run)  # composes the run's config: a broken one shows here
            changed = [r.run_id for r in sweep.runs if sweep.changed(r)]
            print_run_states(run_states(sweep, args.executor), title=f'{args.config} -> {results} (dry run)')
            plain_line(f'{len(sweep.runs)} runs planned; {len(sweep.pending())} to run'
                       + (f'; changed since they ran: {", ".join(changed)}' if changed else ''))
            return 0
        if args.status:
            states = run_states(sweep, args.executor)
            counts = print_run_states(states, title=f'{args.config} -> {results}')
            return 0 if counts.get('done', 0) == len(states) else 1
        if args.executor == 'local':
            statuses = sweep.run()
            ok = sum(s == 'ok' for s in statuses.values())
            plain_line(f'{ok}/{len(statuses)} runs ok; records in {osp.join(results, "runs")}')
            for run_id, status in statuses.items():
                if status != 'ok':
                    plain_line(f'  not ok: {run_id} ({status}); see {osp.join(results, "runs", run_id + ".json")}')
            return 0 if ok == len(statuses) else 1
        submitted = submit_pending(sweep, args.executor)
        for run_id, job_id in submitted:
            plain_line(f'submitted {run_id}: job {job_id}')
        plain_line(f'{len(submitted)} run(s) submitted; logs in {osp.join(results, "submitit")}')
        if args.wait:
            states = wait_for(sweep, args.executor, poll_s=2.0,
                              on_change=lambda s: plain_line(', '.join(
                                  f'{n} {k}' for k, n in sorted(_count(s).items()))))
        else:
            states = run_states(sweep, args.executor)
        counts = print_run_states(states, title=f'{args.config} -> {results}')
        if args.wait:
            return 0 if counts.get('done', 0) == len(states) else 1
        return 1 if counts.get('failed') or counts.get('changed') else 0
    except (BenchmarkConfigError, ChangedRunsError, FileNotFoundError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2


def _count(states):
    counts = {}
    for s in states:
        counts[s['state']] = counts.get(s['state'], 0) + 1
    return counts


if __name__ == '__main__':
    sys.exit(main())
