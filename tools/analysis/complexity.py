#!/usr/bin/env python
"""Params and MAdds (multiply-adds; the papers' "FLOPs"; counting rule in mobilebench/complexity.py).

Backbone alone, or with its official ImageNet head:

    python tools/analysis/complexity.py backbone AsymmNet --arch large --width 1.0 [--imagenet] [--shape 224 224]
    python tools/analysis/complexity.py backbone asymmnet_small_x1.0          # a backbone file
    python tools/analysis/complexity.py imagenet                              # every family and width

Full model of any task config at its input size (or --shape H W); ``params`` counts the modules that run
at inference (``params_total`` in the JSON also counts training-only parameters, e.g. ArcFace class
centres, and backbone layers deeper than the deepest tap):

    python tools/analysis/complexity.py config configs/detection/yolov3_416_asymmnet_large_x1.0_voc.py [...]

``--json FILE`` writes the rows as JSON. ``--convention mxnet-summary`` counts with the rules of the MXNet
summary tool the AsymmNet authors used (every AsymmNet params figure is its output); the default ``true`` is
the suite's own count (conventions: mobilebench/complexity.py). ``--cfg-options`` takes mmengine's
``key=value`` syntax (tuples included, e.g. ``"model.backbone.out_indices=('s16_expand','s32_expand')"``).
"""
import argparse
import os.path as osp

from mmengine.config import DictAction


#: every ImageNet model of the papers (family, kwargs), as listed in the papers' ImageNet tables
IMAGENET_MODELS = (
    [('AsymmNet', dict(arch='large', widen_factor=w)) for w in (0.35, 0.5, 0.75, 1.0, 1.25)]
    + [('AsymmNet', dict(arch='small', widen_factor=w)) for w in (0.35, 0.5, 0.75, 1.0, 1.25)]
    + [('MobileNeXt', dict(widen_factor=w)) for w in (0.35, 0.5, 0.75, 1.0, 1.4)]
    + [('HBONet', dict(widen_factor=w)) for w in (1.0, 0.8, 0.5, 0.35, 0.25, 0.1)])


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='mode', required=True)
    b = sub.add_parser('backbone', help='a backbone by family name or backbone file')
    b.add_argument('name', help='AsymmNet | MobileNeXt | HBONet | MobileNetV2 | a backbone file name/path')
    b.add_argument('--arch', default=None)
    b.add_argument('--width', type=float, default=None)
    b.add_argument('--asymmetry-rate', type=float, default=None)
    b.add_argument('--imagenet', action='store_true', help='include the official ImageNet head')
    b.add_argument('--shape', type=int, nargs=2, default=(224, 224), metavar=('H', 'W'))
    i = sub.add_parser('imagenet', help='all official ImageNet models')
    i.add_argument('--shape', type=int, nargs=2, default=(224, 224), metavar=('H', 'W'))
    c = sub.add_parser('config', help='full models of task configs')
    c.add_argument('configs', nargs='+')
    c.add_argument('--shape', type=int, nargs=2, default=None, metavar=('H', 'W'))
    c.add_argument('--cfg-options', nargs='+', action=DictAction, default=None, help='key=value overrides')
    for s in (b, i, c):
        s.add_argument('--json', default=None, help='write the rows to this JSON file')
        s.add_argument('--convention', default='true', choices=('true', 'mxnet-summary'),
                       help='counting convention (default: true)')
    return p.parse_args(argv)


def _backbone_cfg(args):
    from mobilebench.config import load_backbone_cfg
    if args.name in ('AsymmNet', 'MobileNeXt', 'HBONet', 'MobileNetV2'):
        cfg = dict(type=f'backbones.{args.name}')
    else:
        cfg = load_backbone_cfg(args.name)
    if args.arch is not None:
        cfg['arch'] = args.arch
    if args.width is not None:
        cfg['widen_factor'] = args.width
    if args.asymmetry_rate is not None:
        cfg['asymmetry_rate'] = args.asymmetry_rate
    return cfg


def _describe(cfg):
    parts = [cfg['type'].split('.')[-1]]
    if 'arch' in cfg:
        parts.append(cfg['arch'])
    if 'widen_factor' in cfg:
        parts.append(f'x{cfg["widen_factor"]}')
    if cfg.get('asymmetry_rate') is not None and cfg['type'].endswith('AsymmNet'):
        parts.append(f'r={cfg["asymmetry_rate"]}')
    return ' '.join(parts)


def _model_row(cfg, imagenet, shape, convention='true'):
    from mobilebench.complexity import get_complexity
    from mobilebench.config import build_backbone
    if imagenet:
        from backbones.classifiers import build_imagenet_model
        model = build_imagenet_model(dict(cfg, out_indices=('final', ), init_cfg=None))
    else:
        model = build_backbone(dict(cfg, out_indices=('final', ), init_cfg=None))
    res = get_complexity(model, (3, *shape), convention)
    return dict(model=_describe(cfg) + (' +ImageNet head' if imagenet else ''), input=f'{shape[0]}x{shape[1]}',
                params=res['params'], madds=res['madds'], convention=convention)


def _print(rows):
    width = max(len(r['model']) for r in rows)
    print(f'counting convention: {rows[0]["convention"]}')
    print(f'{"model":<{width}}  {"input":>9}  {"params":>13}  {"MAdds":>15}  {"MAdds (M)":>10}')
    for r in rows:
        print(f'{r["model"]:<{width}}  {r["input"]:>9}  {r["params"]:>13,}  {r["madds"]:>15,}  '
              f'{r["madds"] / 1e6:>10.2f}')


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm

    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    from mobilebench.fileio import atomic_write_json
    rows = []
    if args.mode == 'backbone':
        rows.append(_model_row(_backbone_cfg(args), args.imagenet, args.shape, args.convention))
    elif args.mode == 'imagenet':
        for family, kwargs in tqdm(IMAGENET_MODELS, desc='models', leave=False):
            rows.append(_model_row(dict(type=f'backbones.{family}', **kwargs), True, args.shape, args.convention))
    else:
        from mobilebench.complexity import get_config_complexity
        from mobilebench.config import load_config
        for path in tqdm(args.configs, desc='configs', leave=False):
            cfg = load_config(path, args.cfg_options)
            res = get_config_complexity(cfg, args.shape, args.convention)
            rows.append(dict(model=osp.splitext(osp.basename(path))[0], input=f'{res["input_shape"][1]}x'
                             f'{res["input_shape"][2]}', params=res['params'], madds=res['madds'],
                             params_total=res.get('params_total'), backbone_params=res['backbone_params'],
                             convention=args.convention))
    _print(rows)
    if args.json:
        atomic_write_json(args.json, rows)
    return rows


if __name__ == '__main__':
    main()
