#!/usr/bin/env python
"""Export a backbone to ONNX and check onnxruntime against PyTorch.

    python tools/deploy/export_onnx.py BACKBONE OUT.onnx [--input-size 224] [--out-indices s8 s16 s32]
                                       [--fuse-conv-bn] [--checkpoint CKPT [--prefix backbone.]] [--tol 1e-4]

BACKBONE is a backbone file name (configs/_base_/backbones/<name>.py) or path. Exits non-zero if the
largest relative output difference exceeds --tol. The checkpoint must fit the backbone exactly (after
stripping --prefix): a missing, unexpected or mis-shaped tensor is an error listing them.
"""
import argparse
import sys


def _tap(value):
    return int(value) if value.lstrip('-').isdigit() else value


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('backbone')
    p.add_argument('out')
    p.add_argument('--input-size', type=int, default=224)
    p.add_argument('--out-indices', nargs='+', type=_tap, default=['final'])
    p.add_argument('--fuse-conv-bn', action='store_true', help='fold BatchNorm into the convolutions first')
    p.add_argument('--checkpoint', help='weights to load (a state_dict or an mmengine checkpoint)')
    p.add_argument('--prefix', default=None, help="key prefix to strip, e.g. 'backbone.'")
    p.add_argument('--opset', type=int, default=17)
    p.add_argument('--tol', type=float, default=1e-4)
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmcv.cnn import fuse_conv_bn

    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    from mobilebench.checkpoint import load_checkpoint_checked
    from mobilebench.config import build_backbone
    from mobilebench.deploy import compare_with_onnxruntime, export_onnx

    torch.manual_seed(args.seed)
    model = build_backbone(args.backbone, out_indices=tuple(args.out_indices))
    model.init_weights()
    if args.checkpoint:  # every tensor must fit: exporting a partly random backbone is an error
        load_checkpoint_checked(model, args.checkpoint, prefix=args.prefix, target=f'backbone {args.backbone}')
    model.eval()
    if args.fuse_conv_bn:
        model = fuse_conv_bn(model)
    shape = (1, 3, args.input_size, args.input_size)
    names = export_onnx(model, shape, args.out, opset=args.opset)
    errors = compare_with_onnxruntime(model, args.out, torch.randn(2, 3, args.input_size, args.input_size))
    print(f'exported {args.backbone} -> {args.out} (outputs: {", ".join(names)})')
    print(f'onnxruntime vs PyTorch: max abs {errors["max_abs_error"]:.3e}, max rel {errors["max_rel_error"]:.3e}')
    if errors['max_rel_error'] > args.tol:
        print(f'FAILED: relative error above {args.tol}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
