"""Leaderboard of a results folder: Markdown, CSV and a self-contained HTML page with plots.

The table model is :mod:`.table` (gathering and checking the records, rows per task, ranks, Pareto
front); the pages are rendered by :mod:`.render`; this module writes them.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, Optional

from .render import render_html, render_markdown, write_csv  # noqa: F401
from .table import gather, pareto_front, summary, task_rows  # noqa: F401

from mobilebench.fileio import atomic_write_text


def write_leaderboard(results_dir: str, out_dir: Optional[str] = None) -> Dict:
    """Write ``leaderboard.{md,csv,html}`` into ``out_dir`` (default: the results folder).

    Returns:
        dict of the written paths (``markdown``, ``csv``, ``html``) plus ``problems`` (the runs not in the
        tables), ``summary`` (ranks) and ``tasks``.
    """
    data = gather(results_dir)
    out_dir = out_dir or results_dir
    os.makedirs(out_dir, exist_ok=True)
    paths = dict(markdown=osp.join(out_dir, 'leaderboard.md'), csv=osp.join(out_dir, 'leaderboard.csv'),
                 html=osp.join(out_dir, 'leaderboard.html'))
    atomic_write_text(paths['markdown'], render_markdown(data))
    write_csv(data, paths['csv'])
    atomic_write_text(paths['html'], render_html(data))
    paths['problems'] = data['problems']
    paths['summary'] = summary(data)
    paths['tasks'] = list(data['tasks'])
    return paths
