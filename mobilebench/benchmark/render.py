"""Rendering the leaderboard's table model (:mod:`.table`): Markdown, CSV and a self-contained HTML page.

Plots (headline metric vs MAdds per task, Pareto front highlighted) are embedded into the HTML as base64
PNG, so the page is one file. Every file is written atomically (``mobilebench.fileio``).
"""
from __future__ import annotations

import base64
import csv
import html
import io
from typing import Dict, List, Optional

from mobilebench.fileio import atomic_write_text

from .deploy_table import deploy_html, deploy_markdown, published_deploy_lines
from .table import convention_of, metric_columns, pareto_front, plot_points, summary, task_rows


# --------------------------------------------------------------------------------------------------
# rendering
def _fmt(value, digits=4):
    if value is None:
        return 'n/a'
    if isinstance(value, float):
        return f'{value:.{digits}g}' if abs(value) < 1e4 else f'{value:.0f}'
    return str(value)


def _metric_cell(row: Dict, metric: str, headline: str) -> str:
    """A metric cell; the headline of a row over several seeds reads ``mean ± std (n=seeds)``."""
    text = _fmt(row['metrics'].get(metric))
    if metric == headline and (row.get('seeds') or 0) > 1 and row.get('value_std') is not None:
        text += f' ± {_fmt(row["value_std"], 2)} (n={row["seeds"]})'
    return text


def render_markdown(data: Dict) -> str:
    lines = [f'# Leaderboard: {data["name"]}', '']
    lines.append('MAdds/params of the whole model at the task input size (one frame for video), in the counting '
                 'convention named in "counted as" (`true`: the suite\'s count; `mxnet-summary`: the MXNet tool the '
                 'AsymmNet authors used; see `mobilebench/complexity.py`); latency: backbone only, CPU, batch 1, '
                 'median. "untrained" is the '
                 'same model tested before training. Published rows are marked and come from '
                 '`mobilebench/benchmark/published.py`; n/a = not given there.')
    lines.append('')
    for task in data['tasks']:
        metrics = metric_columns(data, task)
        tdef = data['tasks'][task]
        lines += [f'## {tdef.get("title", task)}', '',
                  f'headline metric: `{tdef.get("metric")}`' + ('' if tdef.get('higher_is_better', True)
                                                                else ' (lower is better)'), '']
        header = ['backbone', *metrics, 'untrained', 'MAdds (M)', 'params (M)', 'counted as', 'latency (ms)',
                  'source']
        lines.append('| ' + ' | '.join(header) + ' |')
        lines.append('|' + '---|' * len(header))
        for row in task_rows(data, task):
            cells = [row['backbone'], *[_metric_cell(row, m, tdef.get('metric')) for m in metrics],
                     _fmt(row['untrained']),
                     _fmt(row['madds_m']), _fmt(row['params_m']), convention_of(row), _fmt(row['latency_ms'], 3),
                     row['source']]
            lines.append('| ' + ' | '.join(cells) + ' |')
        lines.append('')
        lines += deploy_markdown(data, task)
    if any(r.get('deploy') for r in data['runs']):
        lines += ['## Published deployment figures', ''] + published_deploy_lines()
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
        for m in metric_columns(data, task):
            if m not in all_metrics:
                all_metrics.append(m)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(['task', 'backbone', 'source', 'headline', 'value', 'value_std', 'seeds', 'untrained', 'madds_m',
                     'params_m', 'convention', 'backbone_latency_ms', 'wall_time_s', *all_metrics])
    for task in data['tasks']:
        for row in task_rows(data, task):
            writer.writerow([task, row['backbone'], row['source'], data['tasks'][task].get('metric'),
                             row['value'], row['value_std'], row['seeds'], row['untrained'], row['madds_m'],
                             row['params_m'], convention_of(row), row['latency_ms'], row['wall_s'],
                             *[row['metrics'].get(m) for m in all_metrics]])
    atomic_write_text(path, buf.getvalue())


def plot_task(data: Dict, task: str) -> Optional[str]:
    """Headline metric vs MAdds for a task as a base64 PNG (None when nothing can be plotted)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    tdef = data['tasks'][task]
    convention, mine, pub = plot_points(data, task)
    if not mine and not pub:
        return None
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
    ax.set_xlabel(f'MAdds (M) at the task input size, counted as {convention}')
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
             '<p class="note">MAdds/params: whole model at the task input size (one frame for video), in the '
             'counting convention of the "counted as" column (true: the suite\'s count; mxnet-summary: the MXNet '
             'tool the AsymmNet authors used); plots compare MAdds within one convention only. '
             'Latency: backbone only, CPU, batch 1, median. "untrained": the same model tested before training. '
             'Rows in <i>italics</i> are published figures (not reproduced here); n/a = not given.</p>']
    if data['problems']:
        parts.append(f'<p><b>{len(data["problems"])} run(s) not in the tables</b> (see the end of the page).</p>')
    for task in data['tasks']:
        tdef = data['tasks'][task]
        metrics = metric_columns(data, task)
        parts.append(f'<h2>{html.escape(tdef.get("title", task))}</h2>')
        header = ['backbone', *metrics, 'untrained', 'MAdds (M)', 'params (M)', 'counted as', 'latency (ms)',
                  'source']
        rows = task_rows(data, task)
        cells = [[r['backbone'], *[_metric_cell(r, m, tdef.get('metric')) for m in metrics], _fmt(r['untrained']),
                  _fmt(r['madds_m']), _fmt(r['params_m']), convention_of(r), _fmt(r['latency_ms'], 3), r['source']]
                 for r in rows]
        parts.append(_table_html(header, cells, ['reproduced' if r['source'] == 'reproduced' else 'published'
                                                 for r in rows]))
        parts.append(deploy_html(data, task))
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
