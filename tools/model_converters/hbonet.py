#!/usr/bin/env python
"""Convert official HBONet checkpoints to the project layout, or verify the conversion on fixtures.

Usage::

    python tools/model_converters/hbonet.py convert OFFICIAL.pth OUT.pth --widen-factor 1.0
    python tools/model_converters/hbonet.py verify tests/data/fixtures/hbonet_x*.json

``convert`` writes ``{'state_dict': {backbone.*, head.*}}``: load it into
``build_imagenet_model(dict(type='backbones.HBONet', ...))``, or into a detection / pose / action backbone
with ``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``. ``verify`` rebuilds the
official tensors of each fixture, converts them, loads them strictly and prints the max relative logit
error; the exit status is 0 only if every error is below 1e-4.
"""
import argparse
import sys

from backbones.classifiers import build_imagenet_model
from backbones.convert.common import converter_main
from backbones.convert.hbonet import convert_hbonet
from backbones.convert.sequential import width_from_fixture_name


def build_model(fixture):
    """The project model matching a fixture (name ``hbonet_x<width>``, official defaults otherwise)."""
    return build_imagenet_model(dict(type='backbones.HBONet', widen_factor=width_from_fixture_name(fixture['name'])),
                                num_classes=len(fixture['logits']))


def build_model_from_args(args):
    return build_imagenet_model(dict(type='backbones.HBONet', widen_factor=args.widen_factor),
                                num_classes=args.num_classes)


def add_model_args(parser: argparse.ArgumentParser):
    parser.add_argument('--widen-factor', type=float, default=1.0, help='one of 0.1, 0.25, 0.35, 0.5, 0.8, 1.0')
    parser.add_argument('--num-classes', type=int, default=1000)


def convert(official, model):
    return convert_hbonet(official)


if __name__ == '__main__':
    sys.exit(converter_main('HBONet', build_model, convert, build_model_from_args, add_model_args))
