#!/usr/bin/env python
"""Leaderboard of a benchmark results folder: Markdown, CSV and a self-contained HTML page with plots.

    python tools/leaderboard.py RESULTS_DIR [--out DIR]

Missing, failed, interrupted and corrupt run records are listed (here and in the pages), never fatal.
"""
import argparse
import os.path as osp
import sys



def main(argv=None):
    parser = argparse.ArgumentParser(description='Render the leaderboard of a benchmark results folder')
    parser.add_argument('results', help='results folder written by tools/benchmark.py')
    parser.add_argument('--out', help='output folder (default: the results folder)')
    args = parser.parse_args(argv)
    from mobilebench.benchmark.console import print_leaderboard_summary
    from mobilebench.benchmark.leaderboard import write_leaderboard
    paths = write_leaderboard(args.results, args.out)
    problems, summary, tasks = paths.pop('problems'), paths.pop('summary'), paths.pop('tasks')
    print_leaderboard_summary(summary, tasks, problems, paths)
    return 0


if __name__ == '__main__':
    sys.exit(main())
