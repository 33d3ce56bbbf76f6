#!/usr/bin/env python
"""Batch-1 CPU latency of the backbones' ImageNet models on PyTorch, ONNX Runtime and MNN, interleaved.

    python tools/analysis/latency.py [MODEL ...] [--engine torch onnxruntime mnn | all] [--sweep asymmnet]
        [--part classifier|backbone] [--input-size 224] [--threads 1] [--warmup 5] [--repeats 30]
        [--official-dir DIR] [--config TASK_CONFIG ...] [--out latency.json] [--plot latency.png]

MODEL is a backbone file name from configs/_base_/backbones (``asymmnet_small_x1.0``) or such a name with
another width (``asymmnet_large_x0.35`` = the x1.0 file with ``widen_factor=0.35``). Default: every family
at width 1.0 (MobileNetV2, MobileNetV3-L/S = AsymmNet with asymmetry rate 0, AsymmNet-L/S, MobileNeXt,
HBONet). ``--sweep asymmnet`` adds AsymmNet-L/S and MobileNetV3-L/S at 0.35, 0.5, 0.75, 1.0 and 1.25
(AsymmNet Table 5).

Every model is deployed the same way: conv+BN folded, exported to ONNX (opset 17, fixed batch 1),
ONNX Runtime on that file, MNN on the file converted by MNNConvert; one intra-op thread each by default.
All (model, engine) pairs are timed in ONE interleaved loop (:func:`mobilebench.latency.time_interleaved`)
after a warm-up, and each pair's output is compared with eager PyTorch (max relative error in the JSON).

``--part classifier`` (default) times the full ImageNet model (backbone + the family's official head,
1000 classes), as AsymmNet Table 5 does; ``--part backbone`` the backbone up to its last layer.
``--official-dir`` names a folder holding the official model files, unchanged (``asymmnet.py`` from
Spark001/AsymmNet ``pytorch/``, ``mnext.py`` from zhoudaquan/rethinking_bottleneck_design
``mobilenext/codebase/models/``, ``hbonet.py`` from d-li14/HBONet ``models/imagenet/``): their ImageNet
models at width 1.0 are timed on the torch engine in the same loop, after checking that the suite's model
computes the same function (official random weights converted with the suite's checkpoint converters).
``--config`` adds task networks (detector, pose model, ...) in tensor mode on every engine that supports
their operators; an unsupported operator is reported in the JSON, not fatal.
"""
import argparse
import datetime
import os
import os.path as osp
import re
import sys
import tempfile


DEFAULT_MODELS = ['mobilenetv2_x1.0', 'mobilenetv3_large_x1.0', 'asymmnet_large_x1.0',
                  'mobilenetv3_small_x1.0', 'asymmnet_small_x1.0', 'mobilenext_x1.0', 'hbonet_x1.0']
SWEEP_WIDTHS = (0.35, 0.5, 0.75, 1.0, 1.25)
SWEEPS = {'asymmnet': [f'{fam}_{arch}_x{w}' for w in SWEEP_WIDTHS for arch in ('large', 'small')
                       for fam in ('asymmnet', 'mobilenetv3')]}
#: official model -> (file in --official-dir, constructor, kwargs, the suite's equivalent model name)
OFFICIAL = {
    'official:asymmnet_large_x1.0': ('asymmnet.py', 'AsymmNet_Large', dict(multiplier=1.0), 'asymmnet_large_x1.0'),
    'official:asymmnet_small_x1.0': ('asymmnet.py', 'AsymmNet_Small', dict(multiplier=1.0), 'asymmnet_small_x1.0'),
    'official:mobilenetv3_large_x1.0': ('asymmnet.py', 'AsymmNet', dict(cfgs_name='asymmnet_large', asymmrate=0),
                                        'mobilenetv3_large_x1.0'),
    'official:mobilenetv3_small_x1.0': ('asymmnet.py', 'AsymmNet', dict(cfgs_name='asymmnet_small', asymmrate=0),
                                        'mobilenetv3_small_x1.0'),
    'official:mobilenext_x1.0': ('mnext.py', 'mnext', dict(width_mult=1.0), 'mobilenext_x1.0'),
    'official:hbonet_x1.0': ('hbonet.py', 'hbonet', dict(width_mult=1.0), 'hbonet_x1.0'),
}
#: (AsymmNet, its MobileNetV3 baseline) pairs whose latency ratio is reported
RATIO_PAIRS = [(f'asymmnet_{a}_x{w}', f'mobilenetv3_{a}_x{w}') for a in ('large', 'small') for w in SWEEP_WIDTHS]


def parse_args(argv=None):
    from mobilebench.engines import ENGINES
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('models', nargs='*', help='backbone names (default: every family at width 1.0)')
    p.add_argument('--engine', nargs='+', default=['torch'], metavar='ENGINE',
                   help=f'one or more of {", ".join(ENGINES)}, or "all"')
    p.add_argument('--sweep', choices=sorted(SWEEPS), action='append', default=[],
                   help='add a width sweep (asymmnet: AsymmNet-L/S and MobileNetV3-L/S at 0.35-1.25)')
    p.add_argument('--part', choices=['classifier', 'backbone'], default='classifier')
    p.add_argument('--input-size', type=int, default=224)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--repeats', type=int, default=30)
    p.add_argument('--official-dir', help='folder with the official asymmnet.py, mnext.py, hbonet.py')
    p.add_argument('--config', nargs='+', default=[], help='task configs whose networks are timed too')
    p.add_argument('--work-dir', help='keep the ONNX / MNN files here (default: a temporary folder)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--note', default='', help='free text stored in the JSON (e.g. "machine shared")')
    p.add_argument('--out', help='write the figures to this JSON file')
    p.add_argument('--plot', help='write latency vs MAdds per engine to this PNG')
    p.add_argument('--markdown', help='write the tables (latency per engine, ratios beside the paper) here')
    args = p.parse_args(argv)
    engines = list(ENGINES) if args.engine == ['all'] else args.engine
    from mobilebench.engines import check_engine
    for e in engines:
        try:
            check_engine(e)
        except ValueError as exc:
            p.error(str(exc))
    args.engines = engines
    if args.threads < 1 or args.repeats < 1 or args.warmup < 0:
        p.error('--threads and --repeats must be >= 1, --warmup >= 0')
    return args


def model_names(args):
    names = list(args.models) or ([] if args.sweep else list(DEFAULT_MODELS))
    if not args.models and args.sweep:
        names = list(DEFAULT_MODELS)
    for sweep in args.sweep:
        names += SWEEPS[sweep]
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def build_model(name, part):
    """The suite's model with non-trivial BN statistics (see :func:`mobilebench.deploy.build_named_model`)."""
    from mobilebench.deploy import build_named_model
    model = build_named_model(name, part)
    randomize_bn(model)
    return model.eval()


def randomize_bn(model, seed=0):
    """Non-trivial BN statistics, so that folding and the engines' outputs are really compared."""
    import torch
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) * 0.4 - 0.2)


def load_official(official_dir, key):
    """Build an official model from its unchanged file and check that the suite's model equals it."""
    import importlib.util

    import torch

    from backbones.convert.asymmnet import convert_asymmnet
    from backbones.convert.common import max_relative_error
    from backbones.convert.hbonet import convert_hbonet
    from backbones.convert.mobilenext import convert_mobilenext
    fname, ctor, kwargs, ours = OFFICIAL[key]
    path = osp.join(official_dir, fname)
    if not osp.isfile(path):
        raise FileNotFoundError(f'--official-dir: {path} not found; put the official {fname} there unchanged '
                                f'(see the docstring of tools/analysis/latency.py)')
    spec = importlib.util.spec_from_file_location(f'official_{osp.splitext(fname)[0]}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    official = getattr(module, ctor)(**kwargs).eval()
    randomize_bn(official)
    convert = {'asymmnet.py': convert_asymmnet, 'mnext.py': convert_mobilenext, 'hbonet.py': convert_hbonet}[fname]
    suite = build_model(ours, 'classifier')
    suite.load_state_dict(convert(official.state_dict()), strict=True)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        err = max_relative_error(suite(x), official(x))
    return official, ours, float(err)


def build_task_network(config):
    """A task config's network on one NCHW image (see :class:`mobilebench.deploy.TensorNetwork`) and its
    input shape (C, H, W) from the config's test pipeline / codec."""
    import importlib

    from mmengine.registry import MODELS, init_default_scope

    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    from mobilebench.complexity import task_input_shape
    from mobilebench.config import load_config
    from mobilebench.deploy import TensorNetwork
    from mobilebench.runner_utils import TOOLBOX_MODULES
    cfg = load_config(config)
    scope = cfg.get('default_scope', 'mmengine')
    init_default_scope(scope)
    if scope in TOOLBOX_MODULES:
        importlib.import_module(TOOLBOX_MODULES[scope])
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    model_cfg['backbone'] = dict(model_cfg['backbone'], init_cfg=None)
    model = MODELS.build(model_cfg).eval()
    randomize_bn(model)
    return TensorNetwork(model, scope).eval(), (3, *task_input_shape(cfg))


def main(argv=None):
    args = parse_args(argv)
    import numpy as np
    import torch
    from rich.progress import Progress

    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    from mobilebench.complexity import count_madds, count_params
    from mobilebench.engines import EngineOpError, build_runner, engine_info, max_relative_error
    from mobilebench.fileio import atomic_write_json
    from mobilebench.latency import machine_info, time_interleaved

    torch.manual_seed(args.seed)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='mobilebench_latency_')
    size = args.input_size
    rows, runners, inputs, skipped = {}, {}, {}, []
    rng = np.random.default_rng(args.seed)

    def add(name, model, input_shape, engines, kind, extra=None):
        x = rng.standard_normal(input_shape).astype(np.float32)
        with torch.no_grad():
            ref = model.eval()(torch.from_numpy(x))
        ref = [r.numpy() for r in (ref if isinstance(ref, (tuple, list)) else (ref, ))]
        try:
            madds = count_madds(model, input_shape[1:])
        except Exception:  # noqa: BLE001 - task networks the hook counter cannot run: no MAdds
            madds = None
        info = dict(model=name, kind=kind, part=args.part if kind != 'task' else 'network',
                    input_shape=list(input_shape), madds=madds, params=count_params(model), engines={})
        info.update(extra or {})
        onnx_path = None
        for engine in engines:
            try:
                runner = build_runner(engine, model, input_shape, work_dir, name, args.threads,
                                      onnx_path=onnx_path)
            except EngineOpError as exc:
                info['engines'][engine] = dict(error=str(exc))
                skipped.append(str(exc))
                continue
            if engine == 'onnxruntime':
                onnx_path = runner.path
            err = max_relative_error(ref, runner(x))
            info['engines'][engine] = dict(max_rel_error_vs_eager=err, version=runner.version)
            runners[(name, engine)] = runner
            inputs[(name, engine)] = x
        rows[name] = info

    names = model_names(args)
    with Progress() as bar:
        task = bar.add_task('deploy', total=len(names) + len(args.config) + (len(OFFICIAL) if args.official_dir else 0))
        for name in names:
            add(name, build_model(name, args.part), (1, 3, size, size), args.engines, 'suite')
            bar.advance(task)
        if args.official_dir:
            if args.part != 'classifier':
                raise SystemExit('--official-dir needs --part classifier (the official files define ImageNet models)')
            for key in OFFICIAL:
                official, ours, err = load_official(args.official_dir, key)
                add(key, official, (1, 3, size, size), ['torch'], 'official',
                    dict(suite_equivalent=ours, max_rel_error_suite_vs_official=err,
                         source=osp.join(osp.abspath(args.official_dir), OFFICIAL[key][0])))
                bar.advance(task)
        for config in args.config:
            net, shape = build_task_network(config)
            add(osp.splitext(osp.basename(config))[0], net, (1, *shape), args.engines, 'task',
                dict(config=config))
            bar.advance(task)
        timing = bar.add_task('timing (interleaved)', total=args.repeats)
        keys = list(runners)
        flat = {f'{n}|{e}': runners[(n, e)] for n, e in keys}
        stats = time_interleaved(flat, {f'{n}|{e}': inputs[(n, e)] for n, e in keys}, args.warmup, args.repeats,
                                 progress=lambda r: bar.update(timing, completed=r))
    for (name, engine) in keys:
        rows[name]['engines'][engine].update(stats[f'{name}|{engine}'])

    ratios, ratios_min = latency_ratios(rows, args.engines, 'median_ms'), latency_ratios(rows, args.engines, 'min_ms')
    result = dict(
        command='python tools/analysis/latency.py ' + ' '.join(sys.argv[1:] if argv is None else argv),
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        machine=machine_info(), engines=engine_info(args.engines + (['torch'] if args.official_dir else [])),
        setting=dict(batch=1, input_size=size, threads=args.threads, warmup=args.warmup, repeats=args.repeats,
                     part=args.part, fused_conv_bn=True, interleaved=True, seed=args.seed),
        note=args.note, results=list(rows.values()), ratios=ratios, ratios_min=ratios_min, unsupported=skipped)
    print_table(result)
    if args.out:
        atomic_write_json(args.out, result)
        print(f'written to {args.out}')
    if args.plot:
        plot(result, args.plot)
        print(f'plot written to {args.plot}')
    if args.markdown:
        _write_text(args.markdown, render_markdown(result))
        print(f'tables written to {args.markdown}')
    return result


def latency_ratios(rows, engines, stat='median_ms'):
    """'asymmnet_X / mobilenetv3_X' -> engine -> ratio of ``stat`` (median, or min: the least disturbed
    call, steadier than the median on a loaded machine)."""
    rows = {r['model']: r for r in rows} if isinstance(rows, list) else rows
    ratios = {}
    for a, b in RATIO_PAIRS:
        if a in rows and b in rows:
            for engine in engines:
                ea, eb = rows[a]['engines'].get(engine, {}), rows[b]['engines'].get(engine, {})
                if stat in ea and stat in eb:
                    ratios.setdefault(f'{a} / {b}', {})[engine] = ea[stat] / eb[stat]
    return ratios


def print_table(result):
    engines = list(result['engines'])
    s = result['setting']
    print(f'\nbatch 1, {s["input_size"]}x{s["input_size"]}, {s["threads"]} thread(s), {result["machine"]["cpu"]}, '
          f'load {result["machine"].get("load_average_1min", "n/a")}')
    print(f'{"model":<34} {"MAdds(M)":>9} ' + ' '.join(f'{e + " ms":>15}' for e in engines))
    for r in result['results']:
        cells = []
        for e in engines:
            info = r['engines'].get(e)
            cells.append(f'{info["median_ms"]:>15.2f}' if info and 'median_ms' in info else f'{"-":>15}')
        madds = f'{r["madds"] / 1e6:>9.1f}' if r.get('madds') else f'{"-":>9}'
        print(f'{r["model"]:<34} {madds} ' + ' '.join(cells))
    for pair, per_engine in result['ratios'].items():
        print(f'{pair}: ' + ', '.join(f'{e} {v:.3f}' for e, v in per_engine.items()))
    for msg in result['unsupported']:
        print(f'not timed: {msg}')


def _write_text(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def render_markdown(result):
    """The figures as Markdown: one latency table (ms per engine) and the AsymmNet / MobileNetV3 ratios
    beside AsymmNet Table 5's."""
    from mobilebench.benchmark.deploy_table import PUBLISHED_LATENCY, PUBLISHED_LATENCY_SOURCE
    engines = list(result['engines'])
    s, m = result['setting'], result['machine']
    lines = [f'<!-- written by: {result["command"]} -->', '',
             f'Measured {result["date"]} on {m["cpu"]} ({m["logical_cores"]} logical cores, 1-min load average '
             f'{m.get("load_average_1min", "n/a"):.2f} at the end); batch 1, {s["input_size"]}x{s["input_size"]}, '
             f'{s["threads"]} thread(s), conv+BN folded, {s["warmup"]} warm-up calls then the median of '
             f'{s["repeats"]} interleaved rounds; part: {s["part"]}. '
             + ', '.join(result['engines'].values()) + '.' + (f' Note: {result["note"]}.' if result['note'] else ''),
             '', '| model | MAdds (M) | params (M) | ' + ' | '.join(f'{e} ms' for e in engines) +
             ' | max rel. error vs eager |', '|---|---|---|' + '---|' * (len(engines) + 1)]
    for r in result['results']:
        cells = []
        errs = []
        for e in engines:
            info = r['engines'].get(e) or {}
            cells.append(f'{info["median_ms"]:.2f}' if 'median_ms' in info else
                         ('unsupported' if 'error' in info else '-'))
            if 'max_rel_error_vs_eager' in info:
                errs.append(info['max_rel_error_vs_eager'])
        if r['kind'] == 'official':
            errs.append(r['max_rel_error_suite_vs_official'])
        madds = f'{r["madds"] / 1e6:.1f}' if r.get('madds') else 'n/a'
        err = f'{max(errs):.1e}' if errs else 'n/a'
        lines.append(f'| {r["model"]} | {madds} | {r["params"] / 1e6:.2f} | ' + ' | '.join(cells) + f' | {err} |')
    pub = {(p['arch'], p['width']): p['asymmnet'] / p['mbv3'] for p in PUBLISHED_LATENCY}
    ratios_min = result.get('ratios_min') or latency_ratios(result['results'], engines, 'min_ms')
    if result['ratios']:
        lines += ['', f'AsymmNet / MobileNetV3 latency ratio per engine, beside the paper ({PUBLISHED_LATENCY_SOURCE}); '
                  'ratio of medians, and in brackets the ratio of the fastest calls (less sensitive to load):',
                  '', '| pair | ' + ' | '.join(engines) + ' | paper (MNN, SD855) |', '|---|' + '---|' * (len(engines) + 1)]
        for pair, per_engine in result['ratios'].items():
            per_min = ratios_min.get(pair, {})
            mm = re.match(r'asymmnet_(large|small)_x([0-9.]+)', pair)
            paper = pub.get((mm.group(1), float(mm.group(2)))) if mm else None
            paper = f'{paper:.3f}' if paper else 'n/a'
            lines.append(f'| {pair} | ' + ' | '.join(f'{per_engine[e]:.3f} ({per_min[e]:.3f})' if e in per_engine
                                                     else '-' for e in engines) + f' | {paper} |')
    official = [r for r in result['results'] if r['kind'] == 'official']
    if official:
        by_name = {r['model']: r for r in result['results']}
        lines += ['', 'Official implementations (unchanged files, same weights converted into the suite\'s modules, '
                  'torch engine, same loop):', '', '| model | official ms | suite ms | suite / official | '
                  'max rel. error suite vs official |', '|---|---|---|---|---|']
        for r in official:
            ours = by_name.get(r['suite_equivalent'], {}).get('engines', {}).get('torch', {})
            o = r['engines']['torch'].get('median_ms')
            q = ours.get('median_ms')
            mid = f'{q:.2f} | {q / o:.3f}' if q else 'n/a | n/a'
            lines.append(f'| {r["model"]} | {o:.2f} | {mid} | {r["max_rel_error_suite_vs_official"]:.1e} |')
    if result['unsupported']:
        lines += ['', 'Not timed:', ''] + [f'- {msg}' for msg in result['unsupported']]
    return '\n'.join(lines) + '\n'


def plot(result, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    engines = [e for e in result['engines']]
    fig, axes = plt.subplots(1, len(engines), figsize=(5.2 * len(engines), 4.4), squeeze=False)
    families = {}
    for r in result['results']:
        if r['kind'] == 'task' or not r.get('madds'):
            continue
        fam = re.sub(r'_x[0-9.]+$', '', r['model'])
        families.setdefault(fam, []).append(r)
    for ax, engine in zip(axes[0], engines):
        for fam, rs in sorted(families.items()):
            pts = sorted((r['madds'] / 1e6, r['engines'][engine]['median_ms']) for r in rs
                         if 'median_ms' in r['engines'].get(engine, {}))
            if not pts:
                continue
            xs, ys = zip(*pts)
            style = dict(marker='x', linestyle=':') if fam.startswith('official:') else dict(marker='o')
            ax.plot(xs, ys, label=fam, **style)
        ax.set_title(f'{result["engines"][engine]}')
        ax.set_xlabel('MAdds (M)')
        ax.set_ylabel('median latency (ms), batch 1')
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    s = result['setting']
    fig.suptitle(f'{result["machine"]["cpu"]}, {s["threads"]} thread, {s["input_size"]}px; {result["note"]}',
                 fontsize=9)
    fig.tight_layout()
    tmp = path + '.tmp.png'
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


if __name__ == '__main__':
    main()
