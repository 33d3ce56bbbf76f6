#!/usr/bin/env python
"""Every published complexity figure the suite can build, beside the suite's count in both conventions.

For each row of AsymmNet Tables 5-10, MobileNeXt Tables 3 and 8 and HBONet Table 2 that the suite builds
(ImageNet models from ``backbones``; task models from the ``*_paper`` configs), the published params / MAdds
are put beside the suite's count under ``true`` and ``mxnet-summary`` (``mobilebench/complexity.py``), each
rounded the way the paper printed it (AsymmNet: the MXNet tool's 2-decimal value, then half up to the printed
digits; MobileNeXt / HBONet: half up once). A figure *matches* when the rounded count equals the printed
value in the paper's own convention (AsymmNet: ``mxnet-summary``; MobileNeXt and HBONet, PyTorch papers:
``true``); every other figure has a one-sentence residual.

    python tools/analysis/paper_check.py                       # print the markdown
    python tools/analysis/paper_check.py --out docs/paper_check.md
    python tools/analysis/paper_check.py --check docs/paper_check.md   # exit 1 if it is stale
    python tools/analysis/paper_check.py --tables "AsymmNet Table 9" --json rows.json
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import torch
import torch.nn as nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: the convention each paper's figures were counted in
PAPER_CONVENTION = {'AsymmNet': 'mxnet-summary', 'MobileNeXt': 'true', 'HBONet': 'true'}
#: TSV metric names of the complexity columns
PARAM_METRICS = ('Params', )
MADD_METRICS = ('MAdds', 'MFLOPs (Multiply-Adds)')
UNIT_SCALE = {'M': 1e6, 'G': 1e9, 'B': 1e9}


@dataclass
class Row:
    """One published row and how the suite builds it.

    ``build`` is ``('imagenet', backbone cfg)`` (backbone + its family's ImageNet head, 224x224) or
    ``('config', path)`` (a task config at its test input size, one frame for video).
    """
    paper: str
    table: str
    model: str
    width: str
    build: tuple
    residual: Dict[str, str] = field(default_factory=dict)  # 'params' / 'madds' -> sentence
    note: str = ''


def _bb(family: str, **kwargs) -> dict:
    return dict(type=f'backbones.{family}', **kwargs)


# ------------------------------------------------------------------------------------------------- residuals
MBV3_PAPER = ("Table 5's MBV3 rows are not a count of this model: they equal the MobileNetV3 paper's own published "
              'figures (TensorFlow counting, 1024-ch head for Small), which Table 5 copies; Table 6 prints this '
              "model's tool count (r = 0 rows)")
PRUNED = ("the 'pruned' block has no official code; this build follows the paper's words (first pointwise conv "
          'pruned to E - r*C_in outputs, no feature reuse) and is 10-15 % below every printed MAdds figure (170.3 '
          'vs 193.6 M at Large 1.0) and mostly below the params, so the printed model prunes less than this '
          'reading; not resolved')
T10_MADDS = ("every Table 10 MAdds figure (GluonCV's own MobileNetV1 row included) is 2.3-2.5 % below the count "
             'of a model whose params match to the printed digit; the printed values are within 0.01 G of '
             'count / 1.024, an unconfirmed 1000-vs-1024 unit slip in the reporting, not a model difference')
T8_SSD = ('MobileNeXt Table 8 prints 4.3 M / 0.8 B for both SSDLite320 rows: these are COCO-sized (81-class) '
          "MobileNetV2 SSDLite figures (the MobileNetV2 paper's SSDLite row); no 21-class VOC SSDLite320 has them "
          "(the MobileNeXt authors' own VOC models count 3.43-3.48 M / 0.68-0.71 B)")

#: per-row residuals, (paper, table, model, width) -> {'params' | 'madds': sentence}
RESIDUALS: Dict[tuple, Dict[str, str]] = {
    ('AsymmNet', 'Table 6', 'Large r=1', '-'): dict(
        params='the same model is 5,991,776 by the tool, printed 5.99 in Table 5; Table 6 prints 5.9 (truncated '
               'where every other figure is rounded)'),
    ('AsymmNet', 'Table 7', 'MBV3-L', '-'): dict(
        params='0.90 M by the tool (0.94 M true) against the printed 1.0 M; no head width reproduces this row '
               'without breaking the three others (a 256-d embedding fixes it but moves AsymmNet-s to 0.37 M), '
               'possibly a typo'),
    ('MobileNeXt', 'Table 3', 'MobileNetV2-1.40', '1.40'): dict(
        params="6.9 M is the MobileNetV2 paper's figure for its 1.4 model; that model counts 6.1 M here (TF-slim's "
               'released mobilenet_v2_1.4 has 6.06 M)',
        madds="690 M is not this model's count (582 M here; the MobileNetV2 paper prints 585 M): apparently a "
              'typo'),
    ('MobileNeXt', 'Table 3', 'MobileNetV2-1.00', '1.00'): dict(
        madds="300.8 M counted; the table prints the MobileNetV2 paper's nominal 300 M"),
    ('MobileNeXt', 'Table 3', 'MobileNetV2-0.75', '0.75'): dict(
        madds='150 M is not MobileNetV2-0.75 at 224x224 (209 M here and in HBONet Table 2); it is near the '
              "0.75 model at 192x192 (153 M in HBONet Table 3's TensorFlow figures), a likely row mix-up"),
    ('MobileNeXt', 'Table 3', 'MobileNeXt-1.40', '1.40'): dict(
        madds='588.3 M counted; the MobileNeXt rows of Table 3 appear rounded to tens of M (590)'),
    ('MobileNeXt', 'Table 3', 'MobileNeXt-1.00', '1.00'): dict(
        params="3,535,416 params, i.e. 3.5 M as MobileNeXt's own Table 5 prints for this model; Tables 3, 6 and "
               '7 print 3.4',
        madds='311.3 M counted (the official widths and rounding); the paper prints the nominal 300 M'),
    ('MobileNeXt', 'Table 3', 'MobileNeXt-0.75', '0.75'): dict(
        params='2.77 M counted for the official 0.75 widths (the 1280-ch last block is kept below width 1, as in '
               'the official code); the printed 2.5 M is not reproduced',
        madds='207.9 M counted; the MobileNeXt rows of Table 3 appear rounded to tens of M (210)'),
    ('MobileNeXt', 'Table 3', 'MobileNeXt-0.50', '0.50'): dict(
        params='2.15 M counted for the official 0.5 widths (rounds to 2.2); printed 2.1',
        madds='103.3 M counted for the official 0.5 widths; the printed 110 M is not reproduced'),
    ('MobileNeXt', 'Table 3', 'MobileNeXt-0.35', '0.35'): dict(
        params='1.91 M counted for the official 0.35 widths; printed 1.8',
        madds='75.1 M counted; the MobileNeXt rows of Table 3 appear rounded to tens of M (80)'),
    ('HBONet', 'Table 2', 'MobileNetV2 (1.0)', '1.0'): dict(
        madds="300.8 M counted; the table prints the MobileNetV2 paper's nominal 300 M"),
    ('HBONet', 'Table 2', 'MobileNetV2 (0.1)', '0.1'): dict(
        madds="the authors' MobileNetV2 (0.1) rounds channels to multiples of 4 (the paper's text); the suite's "
              'baseline is mmdet\'s MobileNetV2, which rounds to multiples of 8 (at least 8), doubling the narrow '
              'early layers (26.7 M)'),
    ('HBONet', 'Table 2', 'HBONet (1.0)', '1.0'): dict(
        madds='305.57 M counted with the official widths; the paper (and the official README) print 305, rounded '
              'down where the other five HBONet rows round to nearest'),
}


def rows() -> List[Row]:
    out: List[Row] = []
    # AsymmNet Table 5: ImageNet, 5 widths x {Large, Small} x {AsymmNet, Pruned, MBV3}
    for w in ('0.35', '0.5', '0.75', '1.0', '1.25'):
        for scale in ('Large', 'Small'):
            arch = scale.lower()
            out.append(Row('AsymmNet', 'Table 5', f'AsymmNet ({scale})', w,
                           ('imagenet', _bb('AsymmNet', arch=arch, widen_factor=float(w), asymmetry_rate=1))))
            out.append(Row('AsymmNet', 'Table 5', f'Pruned ({scale})', w,
                           ('imagenet', _bb('AsymmNet', arch=arch, widen_factor=float(w), asymmetry_rate=1,
                                            pruned=True)),
                           note='pruned bottleneck built from the paper\'s words (pw1 pruned to E - r*C_in, no '
                                'feature reuse); not in the official code'))
            out.append(Row('AsymmNet', 'Table 5', f'MBV3 ({scale})', w,
                           ('imagenet', _bb('AsymmNet', arch=arch, widen_factor=float(w), asymmetry_rate=0))))
    # AsymmNet Table 6: asymmetry-rate ablation at x1.0
    for scale in ('Large', 'Small'):
        for r in (0, 1, 2):
            out.append(Row('AsymmNet', 'Table 6', f'{scale} r={r}', '-',
                           ('imagenet', _bb('AsymmNet', arch=scale.lower(), widen_factor=1.0, asymmetry_rate=r))))
    # AsymmNet Tables 7-10: the paper task models
    names = {'asymmnet_small_x1.0': ('AsymmNet-s', 'MBV3-s'), 'asymmnet_large_x1.0': ('AsymmNet-L', 'MBV3-L')}
    for table, path, suffix in (('Table 10', 'configs/detection/yolov3_416_{}_voc_paper.py', ''),
                                ('Table 9', 'configs/pose/simplebaseline_{}_coco-256x192_paper.py', '[12]'),
                                ('Table 8', 'configs/action/tsn_{}_hmdb51-video_paper.py', ''),
                                ('Table 7', 'configs/face/arcface_{}_ms1m-112_paper.py', '')):
        for bb, (asymm, mbv3) in names.items():
            out.append(Row('AsymmNet', table, asymm, '-', ('config', path.format(bb))))
            out.append(Row('AsymmNet', table, mbv3 + (suffix if table == 'Table 9' else ''), '-',
                           ('config', path.format(bb.replace('asymmnet', 'mobilenetv3')))))
    out.append(Row('AsymmNet', 'Table 10', 'MobileNetV1[12]', '-',
                   ('config', 'configs/detection/yolov3_416_mobilenetv1_x1.0_voc_paper.py')))
    out.append(Row('AsymmNet', 'Table 8', 'ResNet50_v1b [12]', '-',
                   ('config', 'configs/action/tsn_resnet50-v1b_hmdb51-video_paper.py')))
    # MobileNeXt Table 3: ImageNet, MobileNetV2 vs MobileNeXt
    for w in ('1.40', '1.00', '0.75', '0.50', '0.35'):
        out.append(Row('MobileNeXt', 'Table 3', f'MobileNetV2-{w}', w,
                       ('imagenet', _bb('MobileNetV2', widen_factor=float(w)))))
        out.append(Row('MobileNeXt', 'Table 3', f'MobileNeXt-{w}', w,
                       ('imagenet', _bb('MobileNeXt', widen_factor=1.4 if w == '1.40' else float(w)))))
    # MobileNeXt Table 8: SSDLite320 on VOC
    out.append(Row('MobileNeXt', 'Table 8', 'MobileNetV2 [31]', '1.0',
                   ('config', 'configs/detection/ssdlite_320_mobilenetv2_x1.0_voc.py')))
    out.append(Row('MobileNeXt', 'Table 8', 'MobileNeXt', '1.0',
                   ('config', 'configs/detection/ssdlite_320_mobilenext_x1.0_voc.py')))
    # HBONet Table 2: ImageNet MFLOPs
    for w in ('1.0', '0.75', '0.5', '0.35', '0.25', '0.1'):
        out.append(Row('HBONet', 'Table 2', f'MobileNetV2 ({w})', w,
                       ('imagenet', _bb('MobileNetV2', widen_factor=float(w)))))
    for w in ('1.0', '0.8', '0.5', '0.35', '0.25', '0.1'):
        out.append(Row('HBONet', 'Table 2', f'HBONet ({w})', w, ('imagenet', _bb('HBONet', widen_factor=float(w)))))
    _attach_residuals(out)
    return out


def _attach_residuals(out: List[Row]):
    """The reason of every figure that does not match (filled in from the measured results; see the doc)."""
    for row in out:
        key = (row.paper, row.table)
        if key == ('AsymmNet', 'Table 5') and row.model.startswith('MBV3'):
            row.residual.setdefault('params', MBV3_PAPER)
            row.residual.setdefault('madds', MBV3_PAPER)
        if key == ('AsymmNet', 'Table 5') and row.model.startswith('Pruned'):
            row.residual.setdefault('params', PRUNED)
            row.residual.setdefault('madds', PRUNED)
        if key == ('AsymmNet', 'Table 10'):
            row.residual.setdefault('madds', T10_MADDS)
        if key == ('MobileNeXt', 'Table 8'):
            row.residual.setdefault('params', T8_SSD)
            row.residual.setdefault('madds', T8_SSD)
    for row in out:
        for metric, text in RESIDUALS.get((row.paper, row.table, row.model, row.width), {}).items():
            row.residual[metric] = text


# ------------------------------------------------------------------------------------------------- counting
class ConvOutput(nn.Module):
    """A classifier ``Linear`` as the biased 1x1 conv of the official AsymmNet / GluonCV MobileNetV3 output
    layer (same weights and outputs; the MXNet tool counts a conv's MACs without the ``+ out`` of a
    FullyConnected)."""

    def __init__(self, fc: nn.Linear):
        super().__init__()
        self.conv = nn.Conv2d(fc.in_features, fc.out_features, 1, bias=fc.bias is not None)
        with torch.no_grad():
            self.conv.weight.copy_(fc.weight[:, :, None, None])
            if fc.bias is not None:
                self.conv.bias.copy_(fc.bias)

    def forward(self, x):
        return self.conv(x[:, :, None, None]).flatten(1)


def _build(row: Row):
    """(module taking one tensor, (C, H, W))."""
    kind, spec = row.build
    if kind == 'imagenet':
        from backbones.classifiers import build_imagenet_model
        model = build_imagenet_model(dict(spec, init_cfg=None))
        if spec['type'].endswith('AsymmNet'):  # the official output layer is a 1x1 conv
            model.head.fc = ConvOutput(model.head.fc)
        return model, (3, 224, 224)
    from mobilebench.complexity import TaskForward, build_config_model, task_input_shape
    from mobilebench.config import load_config
    cfg = load_config(osp.join(REPO, spec))
    model, scope = build_config_model(cfg)
    return TaskForward(model, scope), (3, *task_input_shape(cfg))


def published(row: Row) -> Dict[str, object]:
    """{'params': PaperValue | None, 'madds': PaperValue | None}."""
    from mobilebench.benchmark.paper_results import paper_values
    found = dict(params=None, madds=None)
    for v in paper_values(row.paper, row.table, row.model):
        if row.width not in ('-', v.width) and v.width != '-':
            continue
        if v.metric in PARAM_METRICS:
            found['params'] = v
        elif v.metric in MADD_METRICS:
            found['madds'] = v
    return found


def rounded(count: int, pub, convention_paper: str) -> float:
    """``count`` rounded the way the paper printed ``pub``."""
    from mobilebench.benchmark.paper_results import printed_digits
    from mobilebench.complexity import paper_round
    return paper_round(count, printed_digits(pub.value), scale=UNIT_SCALE[pub.unit],
                       twice=convention_paper == 'AsymmNet')


def check_row(row: Row) -> Dict:
    from mobilebench.complexity import measure
    model, shape = _build(row)
    counts = {conv: measure(model, shape, conv) for conv in ('true', 'mxnet-summary')}
    pubs = published(row)
    paper_conv = PAPER_CONVENTION[row.paper]
    result = dict(paper=row.paper, table=row.table, model=row.model, width=row.width, input=list(shape),
                  build=list(row.build[:1]) + [row.build[1] if isinstance(row.build[1], str) else
                                               dict(row.build[1])],
                  paper_convention=paper_conv, note=row.note)
    for metric in ('params', 'madds'):
        pub = pubs[metric]
        entry = dict(published=None if pub is None else f'{pub.value} {pub.unit}')
        for conv, res in counts.items():
            entry[conv] = res[metric]
            if pub is not None:
                entry[f'{conv}_rounded'] = rounded(res[metric], pub, row.paper)
        if pub is not None:
            entry['match'] = entry[f'{paper_conv}_rounded'] == pub.number
            entry['residual'] = '' if entry['match'] else row.residual.get(
                metric, 'no explanation recorded (see tools/analysis/paper_check.py RESIDUALS)')
        result[metric] = entry
    return result


# ------------------------------------------------------------------------------------------------- output
def _fmt_count(entry: Dict, conv: str) -> str:
    """The count rounded as the paper printed it (as many decimals), then the exact integer."""
    if f'{conv}_rounded' in entry:
        value = entry['published'].split()[0]
        digits = len(value.split('.', 1)[1]) if '.' in value else 0
        return f'{entry[f"{conv}_rounded"]:.{digits}f} ({entry[conv]:,})'
    return f'{entry[conv]:,}'


def render(results: Sequence[Dict]) -> str:
    lines = ['# Published complexity figures vs the suite', '',
             'Generated by `python tools/analysis/paper_check.py --out docs/paper_check.md` (CPU, one forward pass '
             'per model; `tests/test_paper_check.py` fails if a matching row stops matching). Conventions '
             '(`mobilebench/complexity.py`):', '',
             '- `true`: params of every module that runs (BN affine included); MAdds of conv, transposed conv and '
             'linear layers on the real input (one frame for video), counted by mmengine\'s FlopAnalyzer.',
             '- `mxnet-summary`: the rules of the MXNet summary tool in the official AsymmNet repository '
             '(`utils/visualization.py`, `print_summary_ops`): conv params count the kernel size once, conv MACs '
             'assume a square map of the input height, BN counts 2C, FC counts (in+1)*out, deconvolution and '
             'PReLU count 0. Every AsymmNet params figure is this tool\'s output.', '',
             'Each count is shown rounded the way the paper printed it (AsymmNet: the tool\'s 2-decimal value, '
             'then half up to the printed digits, e.g. 1.546 -> 1.55 -> 1.6; MobileNeXt / HBONet: half up once), '
             'with the exact integer in parentheses. "match" compares the count in the paper\'s own convention '
             '(AsymmNet: `mxnet-summary`; MobileNeXt, HBONet: `true`) with the printed value. ImageNet models are '
             'counted at 224x224 with the family\'s official ImageNet head (AsymmNet\'s output layer as its '
             'official biased 1x1 conv); task models with the configs named in `build`, at their test input size '
             '(one frame for video). A row the suite cannot build is not listed (AsymmNet Table 7\'s MobileFaceNet '
             'row quotes the MobileFaceNet paper; MobileNeXt Table 8\'s VGG SSD300 row).', '']
    tables = []
    for r in results:
        if (r['paper'], r['table']) not in tables:
            tables.append((r['paper'], r['table']))
    summary = ['## Summary', '', '| table | paper convention | params match | MAdds match |', '|---|---|---|---|']
    body = []
    for paper, table in tables:
        rs = [r for r in results if (r['paper'], r['table']) == (paper, table)]
        conv = PAPER_CONVENTION[paper]

        def tally(metric):
            have = [r for r in rs if 'match' in r[metric]]
            return f'{sum(r[metric]["match"] for r in have)}/{len(have)}' if have else 'not published'
        summary.append(f'| {paper} {table} | `{conv}` | {tally("params")} | {tally("madds")} |')
        body += [f'## {paper} {table}', '', f'Paper convention: `{conv}`.', '',
                 '| row | width | build | input | params: paper | `true` | `mxnet-summary` | match | '
                 'MAdds: paper | `true` | `mxnet-summary` | match |',
                 '|---|---|---|---|---|---|---|---|---|---|---|---|']
        residuals = []
        for r in rs:
            kind, spec = r['build']
            build = f'`{osp.basename(spec)}`' if kind == 'config' else 'ImageNet: ' + ', '.join(
                f'{k}={v}' for k, v in spec.items() if k != 'type').replace('widen_factor', 'w')
            cells = [r['model'], r['width'], build, f'{r["input"][1]}x{r["input"][2]}']
            for metric in ('params', 'madds'):
                e = r[metric]
                cells += [e['published'] or 'n/a', _fmt_count(e, 'true'), _fmt_count(e, 'mxnet-summary'),
                          {True: 'yes', False: '**no**'}.get(e.get('match'), '-')]
                if e.get('match') is False:
                    residuals.append(f'- {r["model"]} ({r["width"]}), {metric}: {e["residual"]}')
            body.append('| ' + ' | '.join(cells) + ' |')
        notes = sorted({f'- {r["model"]}: {r["note"]}' for r in rs if r['note']})
        body += [''] + (['Residuals:', ''] + residuals + [''] if residuals else []) + \
                (['Notes:', ''] + notes + [''] if notes else [])
    return '\n'.join(lines + summary + [''] + body)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--tables', nargs='+', default=None, help='e.g. "AsymmNet Table 9" (default: all)')
    p.add_argument('--out', default=None, help='write the markdown here (atomically)')
    p.add_argument('--json', default=None, help='also write the rows as JSON')
    p.add_argument('--check', default=None, metavar='MD', help='exit 1 if MD differs from a fresh run')
    args = p.parse_args(argv)
    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    from mobilebench.fileio import atomic_write_json
    from rich.progress import track
    selected = [r for r in rows() if args.tables is None or f'{r.paper} {r.table}' in args.tables]
    if not selected:
        p.error(f'--tables {args.tables} selects no row')
    results = [check_row(r) for r in track(selected, description='counting', transient=True)]
    text = render(results)
    if args.json:
        atomic_write_json(args.json, results)
    if args.check:
        with open(args.check, encoding='utf-8') as f:
            stale = f.read() != text
        if stale:
            print(f'{args.check} is stale: run `python tools/analysis/paper_check.py --out {args.check}`',
                  file=sys.stderr)
        return 1 if stale else 0
    if args.out:
        tmp = args.out + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
        import os
        os.replace(tmp, args.out)
    else:
        print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
