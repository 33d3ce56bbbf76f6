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
from .table import (confidence_of, convention_of, metric_columns, pareto_front, plot_points, published_for_task,
                    summary, task_rows)
from .verdicts import analyse, pair_summary


# --------------------------------------------------------------------------------------------------
# cells
def _fmt(value, digits=4):
    if value is None:
        return 'n/a'
    if isinstance(value, float):
        return f'{value:.{digits}g}' if abs(value) < 1e4 else f'{value:.0f}'
    return str(value)


def _pct(confidence: float) -> str:
    return f'{100 * confidence:g}%'


def _seeds(n) -> str:
    return f'{n} seed' + ('' if n == 1 else 's')


def _metric_cell(row: Dict, metric: str, headline: str) -> str:
    """A metric cell. The headline of a reproduced row reads ``mean ± half-interval (n seeds)`` (Student t over
    seeds; one seed: ``value (1 seed)``); a published row's is ``value (published)``, a single value."""
    text = _fmt(row['metrics'].get(metric))
    if metric != headline or row['metrics'].get(metric) is None:
        return text
    if row['source'] != 'reproduced':
        return f'{text} (published)'
    if row.get('value_half') is not None:
        half = row['value_half'] if row['value_half'] > 1e-9 * max(abs(row['value']), 1.0) else 0.0  # float noise
        return f'{_fmt(row["value"])} ± {_fmt(half, 2)} ({_seeds(row["value_n"])})'
    return f'{text} ({_seeds(row.get("value_n") or 1)})'


def _test_cell(row: Dict) -> str:
    """The test-set bootstrap interval ``[low, high]``, or why there is none."""
    test = row.get('test')
    if test:
        return f'[{_fmt(test["low"])}, {_fmt(test["high"])}]'
    return row.get('test_note') or 'n/a'


def _diff_cell(p: Dict) -> str:
    return 'n/a' if p['diff'] is None else f'{p["diff"]:+.4g}'


def _interval_cell(p: Dict) -> str:
    return 'n/a' if p['low'] is None else f'[{p["low"]:+.4g}, {p["high"]:+.4g}]'


def hw_text(hw) -> str:
    """``(416, 416)`` -> ``'416x416'``; ``'n/a'`` when unknown."""
    return f'{hw[0]}x{hw[1]}' if hw else 'n/a'


def _task_table(data: Dict, task: str):
    """(header, rows, cells) of a task's main table."""
    tdef = data['tasks'][task]
    metrics = metric_columns(data, task)
    conf = confidence_of(data)
    header = ['rank', 'backbone', *metrics, f'test-set {_pct(conf)} CI', 'untrained', 'flags', 'MAdds (M)',
              'params (M)', 'counted as', 'at input', 'latency (ms)', 'source']
    rows = task_rows(data, task)
    cells = [[_fmt(r.get('rank')) if r['source'] == 'reproduced' else '',
              r['backbone'], *[_metric_cell(r, m, tdef.get('metric')) for m in metrics], _test_cell(r),
              _fmt(r['untrained']), '; '.join(r.get('flags') or []), _fmt(r['madds_m']), _fmt(r['params_m']),
              convention_of(r), hw_text(r.get('input_hw')), _fmt(r['latency_ms'], 3), r['source']] for r in rows]
    return header, rows, cells


def _pairs_table(data: Dict, task: str):
    conf = analyse(data)['settings']['confidence']
    header = ['block', 'baseline', 'difference', f'{_pct(conf)} interval', 'verdict', 'method']
    pairs = analyse(data)['pairs'].get(task, [])
    return header, pairs, [[p['block'], p['baseline'], _diff_cell(p), _interval_cell(p), p['verdict'], p['method']]
                           for p in pairs]


def _left_out_note(data: Dict, task: str) -> str:
    left = published_for_task(data['tasks'][task])[1]
    if not left:
        return ''
    names = '; '.join(f'{r["backbone"]} ({r["dataset"]})' for r in left)
    return (f'{len(left)} published row(s) of another dataset (without `{data["tasks"][task].get("metric")}`) '
            f'not shown: {names}.')


def _md_table(header, cells) -> List[str]:
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    return lines + ['| ' + ' | '.join(str(c).replace('|', '/') for c in row) + ' |' for row in cells]


INTRO = ('Headline cells: mean ± half-width of the {pct} Student-t interval over seeds (n seeds); '
         '"test-set {pct} CI": percentile bootstrap over the test items (images, instances, clips, pairs), '
         'recomputing the task metric, averaged over seeds (only for runs with a samples file; otherwise the seed '
         'interval is the only one, as the cell says). "vs baseline": block - baseline with a paired bootstrap '
         'interval (the same resampled items for both, pooled over seeds; {resamples} resamples) and the verdict at '
         '{pct}. Equal values share a rank. Flags: a run no better than the same model untrained, or outputs that '
         'collapsed (`*/degenerate` metrics). Published rows are single published values (no interval), shown only '
         'under a task of their dataset.')


# --------------------------------------------------------------------------------------------------
# Markdown / CSV
def render_markdown(data: Dict) -> str:
    settings = analyse(data)['settings']
    pct = _pct(settings['confidence'])
    lines = [f'# Leaderboard: {data["name"]}', '']
    lines.append('MAdds/params of the whole model at the task input size (one frame for video), in the counting '
                 'convention named in "counted as" (`true`: the suite\'s count; `mxnet-summary`: the MXNet tool the '
                 'AsymmNet authors used; see `mobilebench/complexity.py`), at the input size of "at input" (height x '
                 'width; a published row at another size than the runs is not comparable); latency: backbone only, '
                 'CPU, batch 1, '
                 'median. "untrained" is the '
                 'same model tested before training. Published rows are marked and come from '
                 '`mobilebench/benchmark/published.py`; n/a = not given there.')
    lines += ['', INTRO.format(pct=pct, resamples=settings['resamples']), '']
    pair_lines = [f'- {s["text"]}' for s in pair_summary(data)]
    if pair_lines:
        lines += [f'## Block vs baseline ({pct}, pairs from the {settings["pairs_from"]})', ''] + pair_lines + ['']
    for task in data['tasks']:
        tdef = data['tasks'][task]
        lines += [f'## {tdef.get("title", task)}', '',
                  f'headline metric: `{tdef.get("metric")}`' + ('' if tdef.get('higher_is_better', True)
                                                                else ' (lower is better)'), '']
        header, _, cells = _task_table(data, task)
        lines += _md_table(header, cells) + ['']
        note = _left_out_note(data, task)
        if note:
            lines += [note, '']
        header, pairs, cells = _pairs_table(data, task)
        if pairs:
            lines += ['vs baseline:', ''] + _md_table(header, cells) + ['']
        lines += deploy_markdown(data, task)
    if any(r.get('deploy') for r in data['runs']):
        lines += ['## Published deployment figures', ''] + published_deploy_lines()
    lines += ['## Summary (rank per task on the headline metric; ties share a rank)', '']
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
    analyse(data)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(['task', 'backbone', 'source', 'headline', 'value', 'value_std', 'seeds', 'untrained', 'madds_m',
                     'params_m', 'convention', 'backbone_latency_ms', 'wall_time_s', *all_metrics,
                     'rank', 'confidence', 'value_half', 'value_low', 'value_high', 'test_low', 'test_high',
                     'interval_note', 'flags', 'input_hw'])
    for task in data['tasks']:
        for row in task_rows(data, task):
            test = row.get('test') or {}
            writer.writerow([task, row['backbone'], row['source'], data['tasks'][task].get('metric'),
                             row['value'], row['value_std'], row['seeds'], row['untrained'], row['madds_m'],
                             row['params_m'], convention_of(row), row['latency_ms'], row['wall_s'],
                             *[row['metrics'].get(m) for m in all_metrics],
                             row.get('rank'), row['confidence'], row['value_half'], row['value_low'],
                             row['value_high'], test.get('low'), test.get('high'),
                             '' if test else row.get('test_note'), '; '.join(row.get('flags') or []),
                             hw_text(row.get('input_hw')) if row.get('input_hw') else ''])
    atomic_write_text(path, buf.getvalue())


def write_comparisons_csv(data: Dict, path: str):
    """One row per (task, block, baseline): the difference, its interval and the verdict."""
    analysis = analyse(data)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(['task', 'headline', 'higher_is_better', 'block', 'baseline', 'diff', 'low', 'high',
                     'confidence', 'verdict', 'method'])
    for task, pairs in analysis['pairs'].items():
        tdef = data['tasks'][task]
        for p in pairs:
            writer.writerow([task, tdef.get('metric'), bool(tdef.get('higher_is_better', True)), p['block'],
                             p['baseline'], p['diff'], p['low'], p['high'], analysis['settings']['confidence'],
                             p['verdict'], p['method']])
    atomic_write_text(path, buf.getvalue())


def _seed_bar(row: Dict):
    """(below, above) of a point's seed interval (Student t), None with one seed."""
    if row.get('value_half') is None:
        return None
    return row['value_half'], row['value_half']


def _test_bar(row: Dict):
    """(below, above) of a point's test-set bootstrap interval, None without samples files."""
    test = row.get('test')
    if not test:
        return None
    return max(row['value'] - test['low'], 0.0), max(test['high'] - row['value'], 0.0)


def _png(fig) -> str:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_task(data: Dict, task: str) -> Optional[str]:
    """Headline metric vs MAdds for a task as a base64 PNG (None when nothing can be plotted), with error bars
    (the seed interval, or with one seed the test-set interval) on every reproduced point."""
    plt = _pyplot()
    tdef = data['tasks'][task]
    convention, mine, pub, _ = plot_points(data, task)
    if not mine and not pub:
        return None
    pct = _pct(confidence_of(data))
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    if mine:
        pts = [(r['madds_m'], r['value']) for r in mine]
        front = sorted(pareto_front(pts, tdef.get('higher_is_better', True)), key=lambda i: pts[i][0])
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=36, color='#4c72b0', label='reproduced', zorder=3)
        for bar_of, style in ((_seed_bar, dict(ecolor='#9bb3d6', elinewidth=1, capsize=3,
                                                label=f'{pct} interval over seeds (t)')),
                              (_test_bar, dict(ecolor='#1f3f73', elinewidth=3, capsize=0,
                                               label=f'{pct} interval over test items (bootstrap)'))):
            sel = [(p, bar_of(r)) for p, r in zip(pts, mine) if bar_of(r) is not None]
            if sel:
                ax.errorbar([p[0] for p, _ in sel], [p[1] for p, _ in sel],
                            yerr=[[b[0] for _, b in sel], [b[1] for _, b in sel]], fmt='none', zorder=2, **style)
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], '-o', color='#dd5555', lw=2, ms=9,
                mfc='none', label='Pareto front', zorder=4)
        for r in mine:
            ax.annotate(r['backbone'], (r['madds_m'], r['value']), fontsize=8, xytext=(5, 4),
                        textcoords='offset points')
    if pub:
        ax.scatter([r['madds_m'] for r in pub], [r['value'] for r in pub], marker='*', s=120, color='#55a868',
                   label='published (single values, no interval)', zorder=3)
    _limit_y(ax, mine, pub)
    ax.set_xlabel(f'MAdds (M) at the task input size, counted as {convention}')
    ax.set_ylabel(tdef.get('metric'))
    ax.set_title(tdef.get('title', task))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc='best')
    fig.tight_layout()
    return _png(fig)


def plot_note(data: Dict, task: str) -> str:
    """What the task's plot leaves out: published rows counted at another input size than the runs."""
    _, mine, _, other = plot_points(data, task)
    if not other:
        return ''
    theirs = ', '.join(sorted({hw_text(r['input_hw']) for r in other}))
    ours = ', '.join(sorted({hw_text(r['input_hw']) for r in mine if r['input_hw'] is not None}))
    return (f'Not plotted: {len(other)} published row(s) counted at {theirs}, while these runs are at {ours}; '
            f'MAdds grow with the input area, so the points would not be comparable.')


def _limit_y(ax, mine: List[Dict], pub: List[Dict]) -> None:
    """Keep the points readable: the y range covers every point and test-set interval with a margin; a seed
    interval wider than that (2 seeds: t = 12.7) runs off the plot edge instead of squashing the points."""
    ys = [r['value'] for r in mine + pub]
    ys += [v for r in mine if r.get('test') for v in (r['test']['low'], r['test']['high'])]
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or max(abs(hi) * 0.1, 1e-3)
    limits = (lo - 0.6 * span, hi + 0.6 * span)
    seed_lo = min([r['value'] - r['value_half'] for r in mine if r.get('value_half') is not None] or [lo])
    seed_hi = max([r['value'] + r['value_half'] for r in mine if r.get('value_half') is not None] or [hi])
    if seed_lo < limits[0] or seed_hi > limits[1]:
        ax.set_ylim(*limits)
        ax.text(0.99, 0.01, 'seed intervals run off the edge', transform=ax.transAxes, fontsize=7, ha='right',
                va='bottom', color='#6b83a6')


VERDICT_COLOURS = {'better': '#2e8b57', 'worse': '#c0392b', 'no significant difference': '#7f8c8d',
                   'not tested': '#bbbbbb'}


def plot_pairs(data: Dict, task: str) -> Optional[str]:
    """The task's block - baseline differences with their intervals (a forest plot) as a base64 PNG."""
    pairs = [p for p in analyse(data)['pairs'].get(task, []) if p['diff'] is not None]
    if not pairs:
        return None
    plt = _pyplot()
    tdef = data['tasks'][task]
    fig, ax = plt.subplots(figsize=(7.4, 1.0 + 0.55 * len(pairs)), dpi=100)
    for i, p in enumerate(pairs):
        colour = VERDICT_COLOURS.get(p['verdict'], '#555555')
        low, high = (p['low'], p['high']) if p['low'] is not None else (p['diff'], p['diff'])
        ax.errorbar([p['diff']], [i], xerr=[[p['diff'] - low], [high - p['diff']]], fmt='o', color=colour,
                    capsize=4, elinewidth=2)
        ax.annotate(p['verdict'], xy=(1.02, i), xycoords=('axes fraction', 'data'), fontsize=8, color=colour,
                    va='center', annotation_clip=False)
    ax.axvline(0.0, color='#333333', lw=1)
    ax.set_yticks(range(len(pairs)), [f'{p["block"]}\n- {p["baseline"]}' for p in pairs], fontsize=7)
    ax.set_ylim(-0.7, len(pairs) - 0.3)
    ax.invert_yaxis()
    better = 'higher' if tdef.get('higher_is_better', True) else 'lower'
    ax.set_xlabel(f'difference in {tdef.get("metric")} ({better} is better), '
                  f'{_pct(analyse(data)["settings"]["confidence"])} interval')
    ax.margins(x=0.1)
    ax.grid(alpha=0.3, axis='x')
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    return _png(fig)


def _table_html(header, rows_cells, classes, cell_classes=None):
    """An HTML table; ``cell_classes``: row index -> column index -> CSS class of that cell."""
    out = ['<table><thead><tr>' + ''.join(f'<th>{html.escape(h)}</th>' for h in header) + '</tr></thead><tbody>']
    for i, (cells, cls) in enumerate(zip(rows_cells, classes)):
        ccls = (cell_classes or {}).get(i, {})
        out.append(f'<tr class="{cls}">' + ''.join(
            (f'<td class="{ccls[j]}">' if j in ccls else '<td>') + f'{html.escape(str(c))}</td>'
            for j, c in enumerate(cells)) + '</tr>')
    out.append('</tbody></table>')
    return '\n'.join(out)


def _img(png: Optional[str], alt: str, missing: str) -> str:
    if png:
        return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">'
    return f'<p class="note">{html.escape(missing)}</p>'


STYLE = ('body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}'
         'table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;'
         'font-size:13px}th{background:#f0f0f0}tr.published td{color:#555;font-style:italic;'
         'background:#f7fbf4}tr.problem td{background:#fff3f0}img{max-width:100%;border:1px solid #ddd;'
         'margin:0.3em 0}.note{color:#555;font-size:13px}td.flag{color:#b03a2e;font-weight:bold}'
         'td.better{background:#e3f4e8;font-weight:bold}td.worse{background:#fbe3e0;font-weight:bold}'
         'td.tie{color:#555}ul.verdicts li{margin:0.2em 0}')


def render_html(data: Dict) -> str:
    settings = analyse(data)['settings']
    pct = _pct(settings['confidence'])
    parts = [f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Leaderboard: {html.escape(data["name"])}'
             f'</title><style>{STYLE}</style></head><body>',
             f'<h1>Leaderboard: {html.escape(data["name"])}</h1>',
             '<p class="note">MAdds/params: whole model at the task input size (one frame for video), in the '
             'counting convention of the "counted as" column (true: the suite\'s count; mxnet-summary: the MXNet '
             'tool the AsymmNet authors used), at the input size of the "at input" column (height x width); plots '
             'compare MAdds within one convention and one input size only. '
             'Latency: backbone only, CPU, batch 1, median. "untrained": the same model tested before training. '
             'Rows in <i>italics</i> are published figures (not reproduced here); n/a = not given.</p>',
             f'<p class="note">{html.escape(INTRO.format(pct=pct, resamples=settings["resamples"]))}</p>']
    if data['problems']:
        parts.append(f'<p><b>{len(data["problems"])} run(s) or file(s) not in the tables</b> (see the end of the '
                     f'page).</p>')
    summ_pairs = pair_summary(data)
    if summ_pairs:
        parts.append(f'<h2>Block vs baseline ({pct}, pairs from the {html.escape(settings["pairs_from"])})</h2>'
                     '<ul class="verdicts">' + ''.join(f'<li>{html.escape(s["text"])}</li>' for s in summ_pairs)
                     + '</ul>')
    for task in data['tasks']:
        tdef = data['tasks'][task]
        parts.append(f'<h2>{html.escape(tdef.get("title", task))}</h2>')
        parts.append(f'<p class="note">headline metric: <code>{html.escape(str(tdef.get("metric")))}</code>'
                     + ('' if tdef.get('higher_is_better', True) else ' (lower is better)') + '</p>')
        header, rows, cells = _task_table(data, task)
        flag_col = header.index('flags')
        parts.append(_table_html(header, cells, ['reproduced' if r['source'] == 'reproduced' else 'published'
                                                 for r in rows],
                                 {i: {flag_col: 'flag'} for i, r in enumerate(rows) if r.get('flags')}))
        note = _left_out_note(data, task)
        if note:
            parts.append(f'<p class="note">{html.escape(note)}</p>')
        header, pairs, cells = _pairs_table(data, task)
        if pairs:
            vcol = header.index('verdict')
            kinds = {'better': 'better', 'worse': 'worse'}
            parts.append('<h3>vs baseline</h3>')
            parts.append(_table_html(header, cells, ['reproduced'] * len(pairs),
                                     {i: {vcol: kinds.get(p['verdict'], 'tie')} for i, p in enumerate(pairs)}))
        parts.append(deploy_html(data, task))
        parts.append(_img(plot_task(data, task), f'{tdef.get("metric") or task} vs MAdds',
                          'no finished run with a metric and MAdds to plot'))
        note = plot_note(data, task)
        if note:
            parts.append(f'<p class="note">{html.escape(note)}</p>')
        if pairs:
            parts.append(_img(plot_pairs(data, task), f'{task}: block - baseline differences',
                              'no difference to plot'))
    tasks = list(data['tasks'])
    parts.append('<h2>Summary (rank per task on the headline metric; ties share a rank)</h2>')
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
