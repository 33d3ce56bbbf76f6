"""Leaderboard columns for deployment figures (``record['deploy']``, see
:func:`mobilebench.deploy_figures.deployment_figures`) and the papers' published deployment rows.

Per task, one extra table: each backbone's batch-1 latency per engine (ms and the ratio to its paper
baseline: AsymmNet -> MobileNetV3 of the same size and width, MobileNeXt / HBONet -> MobileNetV2 of the
same width, or the task's ``baseline`` backbone), and the FP32 ONNX metric, the INT8 metric and the drop.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional

ENGINE_ORDER = ('torch', 'onnxruntime', 'mnn')

#: AsymmNet Table 5: ImageNet models, MNN, Snapdragon 855 CPU, single thread, mean of 1000 runs (ms)
PUBLISHED_LATENCY = [
    dict(width=w, arch=a, asymmnet=x, mbv3=y) for w, a, x, y in (
        (0.35, 'large', 7.2, 6.3), (0.5, 'large', 10.2, 8.8), (0.75, 'large', 19.4, 16.2),
        (1.0, 'large', 27.1, 23.3), (1.25, 'large', 38.8, 34.9),
        (0.35, 'small', 3.3, 3.0), (0.5, 'small', 4.2, 3.7), (0.75, 'small', 6.9, 6.3),
        (1.0, 'small', 8.9, 8.17), (1.25, 'small', 12.7, 11.7))]
PUBLISHED_LATENCY_SOURCE = ('AsymmNet Table 5 (MNN, Snapdragon 855 CPU, 1 thread, mean of 1000 runs, '
                            'ImageNet models at 224)')
#: MobileNeXt Table 4: ImageNet top-1 (%) after INT8 post-training quantization (weights and activations)
PUBLISHED_INT8 = [dict(model='MobileNetV2 x1.0', fp32=72.25, int8=65.07),
                  dict(model='MobileNeXt x1.0', fp32=74.02, int8=68.62)]
PUBLISHED_INT8_SOURCE = 'MobileNeXt Table 4 (ImageNet top-1 %, linear 8-bit PTQ of weights and activations)'


def baseline_of(backbone: str, available: List[str], explicit: Optional[str] = None) -> Optional[str]:
    """The backbone a row's latency ratio is taken against (None if that baseline was not run)."""
    if explicit:
        return explicit if explicit in available else None
    m = re.fullmatch(r'asymmnet_(large|small)_x([0-9.]+)', backbone)
    if m:
        cand = f'mobilenetv3_{m.group(1)}_x{m.group(2)}'
        return cand if cand in available else None
    m = re.fullmatch(r'(mobilenext|hbonet)_x([0-9.]+)', backbone)
    if m:
        cand = f'mobilenetv2_x{m.group(2)}'
        return cand if cand in available else None
    return None


def _fmt(v, digits=3):
    return 'n/a' if v is None else (f'{v:.{digits}g}' if isinstance(v, float) else str(v))


def deploy_rows(data: Dict, task: str) -> List[Dict]:
    """One row per reproduced run of ``task`` that has deployment figures."""
    recs = [r for r in data['runs'] if r['task'] == task and r.get('deploy')]
    by_bb = {r['backbone']: r['deploy'] for r in recs}
    explicit = (data['tasks'].get(task) or {}).get('baseline')
    rows = []
    for bb, dep in by_bb.items():
        lat = (dep.get('latency') or {}).get('engines') or {}
        base = baseline_of(bb, list(by_bb), explicit)
        base_lat = ((by_bb.get(base) or {}).get('latency') or {}).get('engines') or {}
        engines = {}
        for e in ENGINE_ORDER:
            ms = (lat.get(e) or {}).get('median_ms')
            bms = (base_lat.get(e) or {}).get('median_ms')
            engines[e] = dict(ms=ms, ratio=None if ms is None or not bms else ms / bms,
                              error=(lat.get(e) or {}).get('error'))
        q = dep.get('int8') or {}
        rows.append(dict(backbone=bb, baseline=base, engines=engines, fp32=q.get('fp32'), int8=q.get('int8'),
                         drop=q.get('drop'), int8_error=q.get('error'),
                         scope=(dep.get('latency') or {}).get('scope')))
    return rows


def deploy_header() -> List[str]:
    cols = ['backbone']
    for e in ENGINE_ORDER:
        cols += [f'{e} ms', f'{e} ratio']
    return cols + ['baseline', 'FP32 (ONNX)', 'INT8', 'INT8 drop']


def deploy_cells(row: Dict) -> List[str]:
    cells = [row['backbone']]
    for e in ENGINE_ORDER:
        info = row['engines'][e]
        cells += ['unsupported' if info['error'] else _fmt(info['ms']), _fmt(info['ratio'])]
    return cells + [row['baseline'] or 'n/a', _fmt(row['fp32'], 4), _fmt(row['int8'], 4), _fmt(row['drop'], 3)]


def published_deploy_lines() -> List[str]:
    """Markdown of the papers' latency ratios and INT8 rows (context: other hardware, ImageNet)."""
    lines = [f'Published latency, {PUBLISHED_LATENCY_SOURCE}:', '',
             '| model | width | AsymmNet ms | MobileNetV3 ms | ratio |', '|---|---|---|---|---|']
    for r in PUBLISHED_LATENCY:
        lines.append(f'| {r["arch"]} | {r["width"]} | {r["asymmnet"]} | {r["mbv3"]} | '
                     f'{r["asymmnet"] / r["mbv3"]:.3f} |')
    lines += ['', f'Published INT8, {PUBLISHED_INT8_SOURCE}:', '', '| model | FP32 | INT8 | drop |',
              '|---|---|---|---|']
    for r in PUBLISHED_INT8:
        lines.append(f'| {r["model"]} | {r["fp32"]} | {r["int8"]} | {r["fp32"] - r["int8"]:.2f} |')
    return lines + ['']


def deploy_markdown(data: Dict, task: str) -> List[str]:
    """The deployment table of one task as Markdown lines (empty when no run has deployment figures)."""
    rows = deploy_rows(data, task)
    if not rows:
        return []
    header = deploy_header()
    lines = ['Deployment (batch 1, task network, conv+BN folded; ratio = latency / the baseline\'s on the same '
             'engine; INT8 = ONNX Runtime static post-training quantization):', '',
             '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in rows:
        lines.append('| ' + ' | '.join(deploy_cells(row)) + ' |')
    return lines + ['']


def deploy_html(data: Dict, task: str) -> str:
    """The same table as HTML ('' when no run has deployment figures)."""
    import html
    rows = deploy_rows(data, task)
    if not rows:
        return ''
    out = ['<p class="note">Deployment: batch-1 latency of the task network per engine (ratio to the '
           'baseline backbone) and INT8 post-training quantization.</p><table><thead><tr>'
           + ''.join(f'<th>{html.escape(h)}</th>' for h in deploy_header()) + '</tr></thead><tbody>']
    for row in rows:
        out.append('<tr>' + ''.join(f'<td>{html.escape(c)}</td>' for c in deploy_cells(row)) + '</tr>')
    out.append('</tbody></table>')
    return '\n'.join(out)
