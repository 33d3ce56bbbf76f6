#!/usr/bin/env python
"""Convert official AsymmNet checkpoints to the project layout, or verify the conversion on fixtures.

Usage::

    python tools/model_converters/asymmnet.py convert OFFICIAL.pth OUT.pth --arch large --widen-factor 1.0
    python tools/model_converters/asymmnet.py verify tests/data/fixtures/asymmnet_*.json

``convert`` reads an official PyTorch-port state_dict (``weights_only=True``), prints the load report and
writes ``{'state_dict': {backbone.*, head.*}}``: load it into
``build_imagenet_model(dict(type='backbones.AsymmNet', ...))``, or into a detection / pose / action backbone
with ``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``. ``verify`` rebuilds the
official tensors of each fixture, converts them, loads them strictly, runs eval mode and prints the max
relative logit error; the exit status is 0 only if every error is below 1e-4.
"""
import argparse
import re
import sys

from backbones.classifiers import build_imagenet_model
from backbones.convert.asymmnet import convert_asymmnet
from backbones.convert.common import converter_main


def parse_fixture_name(name: str):
    """``'asymmnet_large_x0.35'`` -> ``('large', 0.35)``."""
    m = re.fullmatch(r'asymmnet_(large|small)_x([0-9.]+)', name)
    if not m:
        raise ValueError(f'fixture name {name!r} is not asymmnet_<large|small>_x<width>')
    return m.group(1), float(m.group(2))


def build_model(fixture):
    """The project model matching a fixture (official defaults, asymmetry rate 1)."""
    arch, width = parse_fixture_name(fixture['name'])
    return build_imagenet_model(dict(type='backbones.AsymmNet', arch=arch, widen_factor=width),
                                num_classes=len(fixture['logits']))


def build_model_from_args(args):
    return build_imagenet_model(
        dict(type='backbones.AsymmNet', arch=args.arch, widen_factor=args.widen_factor,
             asymmetry_rate=args.asymmetry_rate), num_classes=args.num_classes)


def add_model_args(parser: argparse.ArgumentParser):
    parser.add_argument('--arch', choices=['large', 'small'], default='large')
    parser.add_argument('--widen-factor', type=float, default=1.0, help='one of 0.35, 0.5, 0.75, 1.0, 1.25')
    parser.add_argument('--asymmetry-rate', type=int, default=1)
    parser.add_argument('--num-classes', type=int, default=1000)


def convert(official, model):
    return convert_asymmnet(official)


if __name__ == '__main__':
    sys.exit(converter_main('AsymmNet', build_model, convert, build_model_from_args, add_model_args))
