#!/usr/bin/env python
"""Leaderboard of a benchmark results folder: Markdown, CSV and a self-contained HTML page with plots.

    python tools/leaderboard.py RESULTS_DIR [--out DIR] [--resamples N]

Writes leaderboard.md, leaderboard.csv, leaderboard_comparisons.csv (block vs baseline: differences, intervals,
verdicts) and leaderboard.html. Missing, failed, interrupted and corrupt run records, and samples files that
cannot be used, are listed (here and in the pages), never fatal.
"""
import argparse
import os.path as osp
import sys



def main(argv=None):
    parser = argparse.ArgumentParser(description='Render the leaderboard of a benchmark results folder')
    parser.add_argument('results', help='results folder written by tools/benchmark.py')
    parser.add_argument('--out', help='output folder (default: the results folder)')
    parser.add_argument('--resamples', type=int, help="bootstrap resamples (default: the benchmark config's "
                        "comparisons.resamples, else 1000)")
    parser.add_argument('--no-progress', action='store_true', help='no progress bar over the bootstraps')
    args = parser.parse_args(argv)
    import mobilebench.compat  # noqa: F401  (per-sample metrics import mmpretrain / mmaction2: the shims first)
    from mobilebench.benchmark.console import print_leaderboard_summary
    from mobilebench.benchmark.leaderboard import write_leaderboard
    paths = write_leaderboard(args.results, args.out, progress=not args.no_progress, resamples=args.resamples)
    problems, summary, tasks = paths.pop('problems'), paths.pop('summary'), paths.pop('tasks')
    verdicts = paths.pop('verdicts')
    print_leaderboard_summary(summary, tasks, problems, paths, verdicts=verdicts)
    return 0


if __name__ == '__main__':
    sys.exit(main())
