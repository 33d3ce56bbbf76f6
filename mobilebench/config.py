"""Loading and composing configs: task template + backbone file, with widths taken from the backbone.

A (task, backbone) config is two lines::

    _base_ = ['../_base_/tasks/yolov3_416_voc.py', '../_base_/backbones/asymmnet_small_x1.0.py']
    model = dict(backbone={{_base_.backbone}})

The task template chooses *which* features it taps (``model.backbone.out_indices``, symbolic taps
such as ``('s8', 's16', 's32')``) and writes channel widths that depend on the backbone as
placeholders, resolved here from the built backbone's ``out_channels`` (no forward pass):

=====================================  ===================================================
``'@backbone.out_channels'``           list of the tapped widths, shallow to deep
``'@backbone.out_channels[::-1]'``     deepest first (mmdet's ``YOLOV3Neck`` order)
``'@backbone.out_channels[-1]'``       one int (pose / action / face heads)
``'@backbone.out_channels + (512, 256)'``  the tapped widths followed by extra levels (SSD neck)
=====================================  ===================================================

:func:`load_config` is what every tool of the suite uses (train, test, benchmark, complexity).
:func:`compose_config` builds the same config in memory from a task template and a backbone file.
"""
from __future__ import annotations

import ast
import os
import copy
import os.path as osp
import re
from typing import Any, Optional, Sequence

from mmengine.config import Config, ConfigDict

PLACEHOLDER = re.compile(r'^@backbone\.out_channels\s*(?P<index>\[[-0-9:]*\])?\s*(?:\+\s*(?P<extra>\(.*\)))?$')


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and value.startswith('@backbone')


def _apply_index(channels: Sequence[int], index: Optional[str], where: str):
    if not index:
        return list(channels)
    body = index[1:-1]
    try:
        if ':' in body:
            parts = [int(p) if p.strip() else None for p in body.split(':')]
            return list(channels)[slice(*parts)]
        return list(channels)[int(body)]
    except (ValueError, IndexError) as exc:
        raise ValueError(f'{where}: cannot apply {index} to backbone out_channels {tuple(channels)}: {exc}')


def resolve_placeholder(value: str, channels: Sequence[int], where: str = 'config'):
    match = PLACEHOLDER.match(value.strip())
    if not match:
        raise ValueError(f'{where}: malformed placeholder {value!r}; use "@backbone.out_channels", optionally '
                         f'followed by an index like [-1] or [::-1] and "+ (extra, widths)"')
    result = _apply_index(channels, match.group('index'), where)
    if match.group('extra'):
        extra = ast.literal_eval(match.group('extra'))
        extra = (extra, ) if isinstance(extra, int) else tuple(extra)
        if isinstance(result, int):
            raise ValueError(f'{where}: cannot add extra widths to a single int in {value!r}')
        result = list(result) + list(extra)
    return result


def backbone_out_channels(backbone_cfg: dict) -> tuple:
    """Build the backbone described by ``backbone_cfg`` and return its ``out_channels``."""
    from mmengine.registry import MODELS, DefaultScope

    import backbones  # noqa: F401  (registers the project backbones)
    cfg = copy.deepcopy(dict(backbone_cfg))
    cfg.pop('init_cfg', None)
    cfg.pop('pretrained', None)
    scope = cfg.get('_scope_') or (DefaultScope.get_current_instance().scope_name
                                   if DefaultScope.get_current_instance() else 'mmengine')
    with MODELS.switch_scope_and_registry(scope) as registry:
        module = registry.build(cfg)
    channels = getattr(module, 'out_channels', None)
    if channels is None:
        raise ValueError(f'backbone {cfg.get("type")!r} does not report out_channels; derive it from '
                         f'backbones.MobileBackbone or write the widths into the config by hand')
    return tuple(int(c) for c in channels)


def _walk(node, fn, path='cfg'):
    if isinstance(node, dict):
        for key in list(node.keys()):
            node[key] = _walk(node[key], fn, f'{path}.{key}')
        return node
    if isinstance(node, list):
        return [_walk(v, fn, f'{path}[{i}]') for i, v in enumerate(node)]
    if isinstance(node, tuple):
        return tuple(_walk(v, fn, f'{path}[{i}]') for i, v in enumerate(node))
    return fn(node, path)


def resolve_backbone_placeholders(cfg: Config) -> Config:
    """Replace every ``'@backbone...'`` string in ``cfg`` with widths of ``cfg.model.backbone``."""
    found = []
    _walk(cfg._cfg_dict.to_dict(), lambda v, p: found.append(p) if _is_placeholder(v) else v)
    if not found:
        return cfg
    model = cfg.get('model')
    if model is None or 'backbone' not in model or 'type' not in model['backbone']:
        raise ValueError(f'{cfg.filename}: placeholders {found} need model.backbone with a type; '
                         f'add a backbone file to _base_ and `model = dict(backbone={{{{_base_.backbone}}}})`')
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    channels = backbone_out_channels(model['backbone'])

    def fn(value, path):
        return resolve_placeholder(value, channels, f'{cfg.filename}: {path}') if _is_placeholder(value) else value

    resolved = _walk(cfg._cfg_dict.to_dict(), fn)
    for key, value in resolved.items():
        cfg[key] = value
    return cfg


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile`` + ``--cfg-options`` + backbone width resolution (what every tool uses)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        old_root = cfg.get('data_root')
        cfg.merge_from_dict(cfg_options)
        propagate_data_root(cfg, old_root)
    return resolve_backbone_placeholders(cfg)


def propagate_data_root(cfg: Config, old_root: Optional[str]) -> Config:
    """After ``--cfg-options data_root=NEW``, rewrite every string of ``cfg`` that starts with the old
    root (dataloaders' ``data_root``, an evaluator's ``ann_file`` = data_root + '...'), because a config
    file resolves ``data_root`` into those fields when it is parsed."""
    new_root = cfg.get('data_root')
    if not isinstance(old_root, str) or not isinstance(new_root, str) or not old_root or new_root == old_root:
        return cfg
    if old_root.endswith('/') and not new_root.endswith('/'):
        new_root += '/'

    def fn(value, path):
        if path != 'cfg.data_root' and isinstance(value, str) and value.startswith(old_root):
            return new_root + value[len(old_root):]
        return value

    for key, value in _walk(cfg._cfg_dict.to_dict(), fn).items():
        cfg[key] = value
    return cfg


def compose_config(task_template: str, backbone_file: str, overrides: Optional[dict] = None) -> Config:
    """Compose a (task, backbone) config in memory, as the two-line config files do on disk."""
    task = Config.fromfile(task_template)
    bb = Config.fromfile(backbone_file)
    if 'backbone' not in bb:
        raise ValueError(f'{backbone_file}: a backbone file must define `backbone = dict(type=..., ...)`')
    cfg = Config(task.to_dict(), filename=task_template)
    cfg.merge_from_dict({'model.backbone': bb.backbone.to_dict()})
    for key in ('backbone', 'backbone_name'):
        if key in bb:
            cfg[key] = bb[key]
    if overrides:
        cfg.merge_from_dict(overrides)
    return resolve_backbone_placeholders(cfg)


__all__ = ['load_config', 'compose_config', 'resolve_backbone_placeholders', 'backbone_out_channels',
           'resolve_placeholder', 'ConfigDict']


def load_backbone_cfg(spec: str, **overrides) -> dict:
    """A backbone cfg from a backbone file (``configs/_base_/backbones/x.py``), a bare name of such a file
    (``'asymmnet_small_x1.0'``) or a registry type (``'backbones.HBONet'``), with ``overrides`` merged."""
    path = spec
    if not spec.endswith('.py') and spec.startswith(('backbones.', 'mmdet.')):
        cfg = dict(type=spec)
    else:
        if not spec.endswith('.py'):
            here = osp.dirname(osp.dirname(osp.abspath(__file__)))
            path = osp.join(here, 'configs', '_base_', 'backbones', spec + '.py')
        if not osp.isfile(path):
            here = osp.dirname(osp.dirname(osp.abspath(__file__)))
            folder = osp.join(here, 'configs', '_base_', 'backbones')
            known = sorted(f[:-3] for f in os.listdir(folder) if f.endswith('.py')) if osp.isdir(folder) else []
            raise FileNotFoundError(f'backbone file not found: {path}; known backbone files: {known}')
        cfg = Config.fromfile(path).backbone.to_dict()
    cfg.update(overrides)
    return cfg


def build_backbone(spec, **overrides):
    """Build a backbone from a cfg dict or anything :func:`load_backbone_cfg` accepts."""
    from mmengine.registry import MODELS

    import backbones  # noqa: F401
    cfg = dict(spec) if isinstance(spec, dict) else load_backbone_cfg(spec)
    cfg.update(overrides)
    return MODELS.build(cfg)
