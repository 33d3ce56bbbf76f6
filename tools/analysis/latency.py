#!/usr/bin/env python
"""Batch-1 CPU latency of backbones (warm-up, median of repeated runs, torch threads pinned).

    python tools/analysis/latency.py [BACKBONE ...] [--input-size 224] [--threads 1] [--repeats 50]
                                     [--fuse-conv-bn] [--out docs/benchmarks/latency_cpu.json]

BACKBONE is a backbone file name from configs/_base_/backbones (default: ``mobilebench.config.SUITE_BACKBONES``,
the paper backbones and both baselines: mmdet's MobileNetV2 and MobileNetV3 = AsymmNet with asymmetry_rate 0).
"""
import argparse

from mobilebench.config import SUITE_BACKBONES


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('backbones', nargs='*', default=list(SUITE_BACKBONES))
    p.add_argument('--input-size', type=int, default=224)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--warmup', type=int, default=10)
    p.add_argument('--repeats', type=int, default=50)
    p.add_argument('--fuse-conv-bn', action='store_true', help='fuse conv+BN before timing (inference form)')
    p.add_argument('--out', default=None, help='write the figures to this JSON file')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmcv.cnn import fuse_conv_bn
    from tqdm import tqdm

    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    from mobilebench.config import build_backbone
    from mobilebench.fileio import atomic_write_json
    from mobilebench.latency import measure_latency

    rows = []
    for name in tqdm(args.backbones, desc='latency', unit='backbone'):
        model = build_backbone(name, out_indices=('final', ), init_cfg=None)
        if args.fuse_conv_bn:
            model = fuse_conv_bn(model.eval())
        res = measure_latency(model, (1, 3, args.input_size, args.input_size), warmup=args.warmup,
                              repeats=args.repeats, threads=args.threads)
        res['backbone'] = name
        res['fused'] = bool(args.fuse_conv_bn)
        rows.append(res)
    print(f'\nbatch 1, {args.input_size}x{args.input_size}, {args.threads} thread(s), {rows[0]["hardware"]}')
    print(f'{"backbone":<26} {"median ms":>10} {"p10":>8} {"p90":>8}')
    for r in rows:
        print(f'{r["backbone"]:<26} {r["median_ms"]:>10.2f} {r["p10_ms"]:>8.2f} {r["p90_ms"]:>8.2f}')
    if args.out:
        atomic_write_json(args.out, dict(results=rows))
        print(f'written to {args.out}')
    return rows


if __name__ == '__main__':
    main()
