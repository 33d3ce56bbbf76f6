"""Leaderboard of a results folder: Markdown, CSV and a self-contained HTML page with plots.

The table model is :mod:`.table` (gathering and checking the records, rows per task, ranks, Pareto
front), the intervals and block-vs-baseline verdicts are :mod:`.verdicts`; the pages are rendered by
:mod:`.render`; this module writes them.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, Optional

from .render import render_html, render_markdown, write_comparisons_csv, write_csv  # noqa: F401
from .table import gather, pareto_front, summary, task_rows  # noqa: F401
from .verdicts import analyse, pair_summary

from mobilebench.fileio import atomic_write_text


def write_leaderboard(results_dir: str, out_dir: Optional[str] = None, progress: bool = False,
                      resamples: Optional[int] = None) -> Dict:
    """Write ``leaderboard.{md,csv,html}`` and ``leaderboard_comparisons.csv`` into ``out_dir`` (default: the
    results folder).

    Args:
        results_dir: the results folder.
        out_dir: where to write (default: the results folder).
        progress: show a progress bar over the bootstraps.
        resamples: bootstrap resamples instead of the plan's ``comparisons.resamples``.

    Returns:
        dict of the written paths (``markdown``, ``csv``, ``comparisons_csv``, ``html``) plus ``problems`` (the
        runs and files not in the tables), ``summary`` (ranks), ``verdicts`` (per block/baseline) and ``tasks``.
    """
    data = gather(results_dir)
    if resamples is not None:
        if int(resamples) < 2:
            raise ValueError(f'--resamples {resamples}: give 2 or more (1000 for a stable interval)')
        data['comparisons'] = dict(data.get('comparisons') or {}, resamples=int(resamples))
    analyse(data, progress=progress)
    out_dir = out_dir or results_dir
    os.makedirs(out_dir, exist_ok=True)
    paths = dict(markdown=osp.join(out_dir, 'leaderboard.md'), csv=osp.join(out_dir, 'leaderboard.csv'),
                 comparisons_csv=osp.join(out_dir, 'leaderboard_comparisons.csv'),
                 html=osp.join(out_dir, 'leaderboard.html'))
    atomic_write_text(paths['markdown'], render_markdown(data))
    write_csv(data, paths['csv'])
    write_comparisons_csv(data, paths['comparisons_csv'])
    atomic_write_text(paths['html'], render_html(data))
    paths['problems'] = data['problems']
    paths['summary'] = summary(data)
    paths['verdicts'] = pair_summary(data)
    paths['tasks'] = list(data['tasks'])
    return paths
