"""Leaderboard: gather a results folder's run records into per-task tables, Markdown, CSV and HTML.

One table per task (rows: backbones; columns: the task's metrics, the untrained reference, MAdds,
params, backbone CPU latency, wall time), published rows beside the reproduced ones, an overall
summary (rank of each backbone per task) and the list of missing, failed, blocked, interrupted and corrupt
records. Plots (headline metric vs MAdds per task, Pareto front highlighted) are embedded into the
HTML as base64 PNG, so the page is one self-contained file.
"""
from __future__ import annotations

import base64
import csv
import glob
import html
import io
import json
import os
import os.path as osp
from typing import Dict, List, Optional

from mobilebench.fileio import atomic_write_json  # noqa: F401  (re-exported for tools)

from .published import published_rows


# --------------------------------------------------------------------------------------------------
# gathering
def gather(results_dir: str) -> Dict:
    """Read ``benchmark.json`` and every ``runs/*.json`` of ``results_dir``; never raises on a bad file.

    Returns:
        dict with ``tasks`` (task -> definition), ``runs`` (ok records), ``problems`` (list of dicts with
        ``run_id``, ``kind`` in missing/failed/blocked/running/corrupt, ``detail``) and ``name``.
    """
    if not osp.isdir(results_dir):
        raise FileNotFoundError(f'results folder not found: {results_dir} (run tools/benchmark.py first)')
    plan, problems = {}, []
    plan_path = osp.join(results_dir, 'benchmark.json')
    if osp.exists(plan_path):
        try:
            with open(plan_path) as f:
                plan = json.load(f)
        except ValueError as exc:
            problems.append(dict(run_id='benchmark.json', kind='corrupt', detail=f'{plan_path}: {exc}'))
    tasks = dict(plan.get('tasks') or {})
    runs, seen = [], set()
    for path in sorted(glob.glob(osp.join(results_dir, 'runs', '*.json'))):
        run_id = osp.splitext(osp.basename(path))[0]
        seen.add(run_id)
        try:
            with open(path) as f:
                rec = json.load(f)
            if not isinstance(rec, dict) or 'status' not in rec or 'task' not in rec:
                raise ValueError('not a run record (no status/task)')
        except (OSError, ValueError) as exc:
            problems.append(dict(run_id=run_id, kind='corrupt', detail=f'{path}: {exc}'))
            continue
        if rec['status'] == 'ok':
            runs.append(rec)
            if rec['task'] not in tasks:
                tasks[rec['task']] = dict(metric=rec.get('metric'), metrics=rec.get('metrics_shown') or
                                          [rec.get('metric')], higher_is_better=rec.get('higher_is_better', True))
        elif rec['status'] == 'failed':
            problems.append(dict(run_id=run_id, kind='failed', detail=str(rec.get('error', 'no error recorded'))))
        elif rec['status'] == 'blocked':  # its pretraining run is not usable (mobilebench.benchmark.chain)
            problems.append(dict(run_id=run_id, kind='blocked',
                                 detail=f'blocked by {rec.get("blocked_by")}: {rec.get("error", "")}'))
        else:
            problems.append(dict(run_id=run_id, kind='running',
                                 detail='interrupted (status running); re-run tools/benchmark.py to redo it'))
    for run_id in plan.get('runs', []):
        if run_id not in seen:
            problems.append(dict(run_id=run_id, kind='missing', detail='planned but no record yet'))
    return dict(name=plan.get('name', osp.basename(osp.normpath(results_dir))), tasks=tasks, runs=runs,
                problems=problems)


def _m(value, scale=1e-6):
    return None if value is None else value * scale


def task_rows(data: Dict, task: str) -> List[Dict]:
    """Rows of one task: reproduced runs sorted best first, then the published rows."""
    tdef = data['tasks'][task]
    metric = tdef.get('metric')
    rows = []
    for rec in data['runs']:
        if rec['task'] != task:
            continue
        cx = rec.get('complexity') or {}
        lat = rec.get('latency') or {}
        rows.append(dict(backbone=rec['backbone'], source='reproduced', metrics=rec.get('metrics') or {},
                         value=(rec.get('metrics') or {}).get(metric),
                         untrained=(rec.get('untrained_metrics') or {}).get(metric),
                         madds_m=_m(cx.get('madds')), params_m=_m(cx.get('params')),
                         backbone_madds_m=_m(cx.get('backbone_madds')),
                         latency_ms=lat.get('median_ms'), wall_s=(rec.get('meta') or {}).get('wall_time_s')))
    sign = 1 if tdef.get('higher_is_better', True) else -1
    rows.sort(key=lambda r: (r['value'] is None, -sign * (r['value'] or 0)))
    for pub in published_rows(tdef.get('published_key')):
        rows.append(dict(backbone=pub['backbone'], source=f'published: {pub["source"]} ({pub["dataset"]})',
                         metrics=pub['metrics'], value=pub['metrics'].get(metric), untrained=None,
                         madds_m=pub['madds_m'], params_m=pub['params_m'], backbone_madds_m=None,
                         latency_ms=None, wall_s=None))
    return rows


def pareto_front(points: List[tuple], higher_is_better: bool = True) -> List[int]:
    """Indices of the points (cost, value) not dominated by another (lower cost and better value)."""
    front = []
    for i, (c, v) in enumerate(points):
        dominated = False
        for j, (c2, v2) in enumerate(points):
            better = v2 >= v if higher_is_better else v2 <= v
            strictly = (c2 < c or (v2 > v if higher_is_better else v2 < v))
            if j != i and c2 <= c and better and strictly:
                dominated = True
                break
        if not dominated:
            front.append(i)
    return front


def summary(data: Dict) -> List[Dict]:
    """Per backbone: rank on each task's headline metric and the mean rank (lower is better)."""
    ranks: Dict[str, Dict[str, int]] = {}
    for task in data['tasks']:
        rows = [r for r in task_rows(data, task) if r['source'] == 'reproduced' and r['value'] is not None]
        for i, row in enumerate(rows):
            ranks.setdefault(row['backbone'], {})[task] = i + 1
    out = []
    for bb, per_task in ranks.items():
        out.append(dict(backbone=bb, ranks=per_task, mean_rank=sum(per_task.values()) / len(per_task),
                        tasks=len(per_task)))
    out.sort(key=lambda r: (-r['tasks'], r['mean_rank']))
    return out


# --------------------------------------------------------------------------------------------------
# rendering
def _fmt(value, digits=4):
    if value is None:
        return 'n/a'
    if isinstance(value, float):
        return f'{value:.{digits}g}' if abs(value) < 1e4 else f'{value:.0f}'
    return str(value)


def _columns(data, task):
    tdef = data['tasks'][task]
    metrics = [m for m in (tdef.get('metrics') or [tdef.get('metric')]) if m]
    return metrics


def render_markdown(data: Dict) -> str:
    lines = [f'# Leaderboard: {data["name"]}', '']
    lines.append('MAdds/params of the whole model at the task input size (MAdds: one multiply-add counted '
                 'once, mmengine "flops"); latency: backbone only, CPU, batch 1, median. "untrained" is the '
                 'same model tested before training. Published rows are marked and come from '
                 '`mobilebench/benchmark/published.py`; n/a = not given there.')
    lines.append('')
    for task in data['tasks']:
        metrics = _columns(data, task)
        tdef = data['tasks'][task]
        lines += [f'## {tdef.get("title", task)}', '',
                  f'headline metric: `{tdef.get("metric")}`' + ('' if tdef.get('higher_is_better', True)
                                                                else ' (lower is better)'), '']
        header = ['backbone', *metrics, 'untrained', 'MAdds (M)', 'params (M)', 'latency (ms)', 'source']
        lines.append('| ' + ' | '.join(header) + ' |')
        lines.append('|' + '---|' * len(header))
        for row in task_rows(data, task):
            cells = [row['backbone'], *[_fmt(row['metrics'].get(m)) for m in metrics], _fmt(row['untrained']),
                     _fmt(row['madds_m']), _fmt(row['params_m']), _fmt(row['latency_ms'], 3), row['source']]
            lines.append('| ' + ' | '.join(cells) + ' |')
        lines.append('')
    lines += ['## Summary (rank per task on the headline metric)', '']
    tasks = list(data['tasks'])
    lines.append('| backbone | ' + ' | '.join(tasks) + ' | mean rank |')
    lines.append('|' + '---|' * (len(tasks) + 2))
    for row in summary(data):
        lines.append(f'| {row["backbone"]} | ' + ' | '.join(str(row['ranks'].get(t, 'n/a')) for t in tasks)
                     + f' | {row["mean_rank"]:.2f} |')
    lines.append('')
    lines += render_problems_md(data)
    return '\n'.join(lines) + '\n'


def render_problems_md(data: Dict) -> List[str]:
    if not data['problems']:
        return ['All planned runs finished ok.', '']
    lines = ['## Runs not in the tables', '', '| run | problem | detail |', '|---|---|---|']
    for p in data['problems']:
        lines.append(f'| {p["run_id"]} | {p["kind"]} | {p["detail"].replace("|", "/")[:300]} |')
    return lines + ['']


def write_csv(data: Dict, path: str):
    all_metrics = []
    for task in data['tasks']:
        for m in _columns(data, task):
            if m not in all_metrics:
                all_metrics.append(m)
    tmp = path + '.tmp'
    with open(tmp, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['task', 'backbone', 'source', 'headline', 'value', 'untrained', 'madds_m', 'params_m',
                         'backbone_latency_ms', 'wall_time_s', *all_metrics])
        for task in data['tasks']:
            for row in task_rows(data, task):
                writer.writerow([task, row['backbone'], row['source'], data['tasks'][task].get('metric'),
                                 row['value'], row['untrained'], row['madds_m'], row['params_m'], row['latency_ms'],
                                 row['wall_s'], *[row['metrics'].get(m) for m in all_metrics]])
    os.replace(tmp, path)


def plot_task(data: Dict, task: str) -> Optional[str]:
    """Headline metric vs MAdds for a task as a base64 PNG (None when nothing can be plotted)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    tdef = data['tasks'][task]
    rows = [r for r in task_rows(data, task) if r['value'] is not None and r['madds_m'] is not None]
    if not rows:
        return None
    mine = [r for r in rows if r['source'] == 'reproduced']
    pub = [r for r in rows if r['source'] != 'reproduced']
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    if mine:
        pts = [(r['madds_m'], r['value']) for r in mine]
        front = sorted(pareto_front(pts, tdef.get('higher_is_better', True)), key=lambda i: pts[i][0])
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=40, color='#4c72b0', label='reproduced', zorder=3)
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], '-o', color='#dd5555', lw=2, ms=9,
                mfc='none', label='Pareto front', zorder=4)
        for r in mine:
            ax.annotate(r['backbone'], (r['madds_m'], r['value']), fontsize=8, xytext=(4, 4),
                        textcoords='offset points')
    if pub:
        ax.scatter([r['madds_m'] for r in pub], [r['value'] for r in pub], marker='*', s=120, color='#55a868',
                   label='published', zorder=3)
    ax.set_xlabel('MAdds (M) at the task input size')
    ax.set_ylabel(tdef.get('metric'))
    ax.set_title(tdef.get('title', task))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc='best')
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _table_html(header, rows_cells, classes):
    out = ['<table><thead><tr>' + ''.join(f'<th>{html.escape(h)}</th>' for h in header) + '</tr></thead><tbody>']
    for cells, cls in zip(rows_cells, classes):
        out.append(f'<tr class="{cls}">' + ''.join(f'<td>{html.escape(str(c))}</td>' for c in cells) + '</tr>')
    out.append('</tbody></table>')
    return '\n'.join(out)


def render_html(data: Dict) -> str:
    parts = [f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Leaderboard: {html.escape(data["name"])}'
             '</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}'
             'table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;'
             'font-size:13px}th{background:#f0f0f0}tr.published td{color:#555;font-style:italic;'
             'background:#f7fbf4}tr.problem td{background:#fff3f0}img{max-width:100%;border:1px solid #ddd}'
             '.note{color:#555;font-size:13px}</style></head><body>',
             f'<h1>Leaderboard: {html.escape(data["name"])}</h1>',
             '<p class="note">MAdds/params: whole model at the task input size (one multiply-add counted once). '
             'Latency: backbone only, CPU, batch 1, median. "untrained": the same model tested before training. '
             'Rows in <i>italics</i> are published figures (not reproduced here); n/a = not given.</p>']
    if data['problems']:
        parts.append(f'<p><b>{len(data["problems"])} run(s) not in the tables</b> (see the end of the page).</p>')
    for task in data['tasks']:
        tdef = data['tasks'][task]
        metrics = _columns(data, task)
        parts.append(f'<h2>{html.escape(tdef.get("title", task))}</h2>')
        header = ['backbone', *metrics, 'untrained', 'MAdds (M)', 'params (M)', 'latency (ms)', 'source']
        rows = task_rows(data, task)
        cells = [[r['backbone'], *[_fmt(r['metrics'].get(m)) for m in metrics], _fmt(r['untrained']),
                  _fmt(r['madds_m']), _fmt(r['params_m']), _fmt(r['latency_ms'], 3), r['source']] for r in rows]
        parts.append(_table_html(header, cells, ['reproduced' if r['source'] == 'reproduced' else 'published'
                                                 for r in rows]))
        png = plot_task(data, task)
        if png:
            parts.append(f'<img alt="{html.escape(tdef.get("metric") or task)} vs MAdds" '
                         f'src="data:image/png;base64,{png}">')
        else:
            parts.append('<p class="note">no finished run with a metric and MAdds to plot</p>')
    tasks = list(data['tasks'])
    parts.append('<h2>Summary (rank per task on the headline metric)</h2>')
    summ = summary(data)
    parts.append(_table_html(['backbone', *tasks, 'mean rank'],
                             [[s['backbone'], *[s['ranks'].get(t, 'n/a') for t in tasks], f'{s["mean_rank"]:.2f}']
                              for s in summ], ['reproduced'] * len(summ)))
    parts.append('<h2>Runs not in the tables</h2>')
    if data['problems']:
        parts.append(_table_html(['run', 'problem', 'detail'],
                                 [[p['run_id'], p['kind'], p['detail'][:500]] for p in data['problems']],
                                 ['problem'] * len(data['problems'])))
    else:
        parts.append('<p>All planned runs finished ok.</p>')
    parts.append('</body></html>')
    return '\n'.join(parts)


def _write_text(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def write_leaderboard(results_dir: str, out_dir: Optional[str] = None) -> Dict[str, str]:
    """Write ``leaderboard.{md,csv,html}`` into ``out_dir`` (default: the results folder).

    Returns:
        dict of the written paths (``markdown``, ``csv``, ``html``) plus ``problems`` (their count).
    """
    data = gather(results_dir)
    out_dir = out_dir or results_dir
    os.makedirs(out_dir, exist_ok=True)
    paths = dict(markdown=osp.join(out_dir, 'leaderboard.md'), csv=osp.join(out_dir, 'leaderboard.csv'),
                 html=osp.join(out_dir, 'leaderboard.html'))
    _write_text(paths['markdown'], render_markdown(data))
    write_csv(data, paths['csv'])
    _write_text(paths['html'], render_html(data))
    paths['problems'] = data['problems']
    return paths
