"""Loading and composing configs: task template + backbone file, with widths taken from the backbone.

The configs under ``configs/{detection,pose,action,face}`` hold literal channel widths (written by
``tools/misc/generate_task_configs.py`` from the backbones' ``out_channels``), so any OpenMMLab tool loads
them as they are. The task templates in ``configs/_base_/tasks`` leave the widths that depend on the
backbone open, as placeholders:

=====================================  ===================================================
``'@backbone.out_channels'``           list of the tapped widths, shallow to deep
``'@backbone.out_channels[::-1]'``     deepest first (mmdet's ``YOLOV3Neck`` order)
``'@backbone.out_channels[-1]'``       one int (pose / action / face heads)
``'@backbone.out_channels + (512, 256)'``  the tapped widths followed by extra levels (SSD neck)
=====================================  ===================================================

A placeholder is resolved from the built backbone's ``out_channels`` (no forward pass), once and last:
:func:`compose_config` builds a template + backbone config in memory *without* resolving (a sweep may
still change the backbone, its taps or anything else), and :func:`load_config` resolves after
``--cfg-options``. :func:`placeholder_values` is what the config generator writes into the files.
"""
from __future__ import annotations

import ast
import copy
import os
import os.path as osp
import re
from typing import Any, Dict, Optional, Sequence, Tuple

from mmengine.config import Config, ConfigDict

PLACEHOLDER = re.compile(r'^@backbone\.out_channels\s*(?P<index>\[[-0-9:]*\])?\s*(?:\+\s*(?P<extra>\(.*\)))?$')

#: the backbone files of the suite (``configs/_base_/backbones/<name>.py``) that every task is generated for,
#: the order of the result tables: the paper backbones, then the baselines
SUITE_BACKBONES = (
    'asymmnet_large_x1.0',
    'asymmnet_small_x1.0',
    'mobilenext_x1.0',
    'hbonet_x1.0',
    'mobilenetv3_large_x1.0',
    'mobilenetv3_small_x1.0',
    'mobilenetv2_x1.0',
)
BACKBONE_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', '_base_', 'backbones')


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


def backbone_out_channels(backbone_cfg: dict, scope: Optional[str] = None) -> tuple:
    """Build the backbone described by ``backbone_cfg`` (in ``scope``, default: the current default scope)
    and return its ``out_channels``."""
    from mmengine.registry import MODELS, DefaultScope

    cfg = copy.deepcopy(dict(backbone_cfg))
    cfg.pop('init_cfg', None)
    cfg.pop('pretrained', None)
    current = DefaultScope.get_current_instance()
    scope = cfg.get('_scope_') or scope or (current.scope_name if current else 'mmengine')
    with MODELS.switch_scope_and_registry(scope) as registry:
        module = registry.build(cfg)
    channels = getattr(module, 'out_channels', None)
    if channels is None:
        raise ValueError(f'backbone {cfg.get("type")!r} does not report out_channels; derive it from '
                         f'backbones.MobileBackbone or write the widths into the config by hand')
    return tuple(int(c) for c in channels)


def _walk(node, fn, path=()):
    """Rebuild ``node`` with ``fn(leaf, path)`` applied to every leaf; ``path`` is the tuple of keys/indices."""
    if isinstance(node, dict):
        return {key: _walk(value, fn, path + (key, )) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(v, fn, path + (i, )) for i, v in enumerate(node)]
    if isinstance(node, tuple):
        return tuple(_walk(v, fn, path + (i, )) for i, v in enumerate(node))
    return fn(node, path)


def _dotted(path: Tuple) -> str:
    return '.'.join(str(p) for p in path)


def placeholder_values(cfg: Config) -> Dict[Tuple, Any]:
    """Map the key path of every ``'@backbone...'`` placeholder in ``cfg`` to its resolved value (the
    widths of ``cfg.model.backbone``, built in the config's ``default_scope``). Empty if there is none."""
    found = {}
    _walk(cfg.to_dict(), lambda v, p: found.setdefault(p, v) if _is_placeholder(v) else v)
    if not found:
        return {}
    model = cfg.get('model')
    if model is None or 'backbone' not in model or 'type' not in model['backbone']:
        raise ValueError(f'{cfg.filename}: placeholders {[_dotted(p) for p in found]} need model.backbone with '
                         f'a type; add a backbone file to _base_ and `model = dict(backbone={{{{_base_.backbone}}}})`')
    channels = backbone_out_channels(model['backbone'], cfg.get('default_scope', 'mmengine'))
    return {path: resolve_placeholder(value, channels, f'{cfg.filename}: {_dotted(path)}')
            for path, value in found.items()}


def resolve_backbone_placeholders(cfg: Config) -> Config:
    """Replace every ``'@backbone...'`` string in ``cfg`` with widths of ``cfg.model.backbone``."""
    values = placeholder_values(cfg)
    if not values:
        return cfg
    resolved = _walk(cfg.to_dict(), lambda v, p: values.get(p, v))
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
        if path != ('data_root', ) and isinstance(value, str) and value.startswith(old_root):
            return new_root + value[len(old_root):]
        return value

    for key, value in _walk(cfg.to_dict(), fn).items():
        cfg[key] = value
    return cfg


def compose_config(task_template: str, backbone_file: str, overrides: Optional[dict] = None) -> Config:
    """Compose a (task, backbone) config in memory, as the generated config files do on disk.

    The width placeholders are left in place: resolve them after the last edit of the config (overrides,
    rewrites) with :func:`resolve_backbone_placeholders`, or dump the config and load it with
    :func:`load_config`, so that the widths always follow the backbone that is finally built."""
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
    return cfg


def backbone_file(name: str) -> str:
    """The path of the backbone file ``configs/_base_/backbones/<name>.py``, with a clear error if absent."""
    path = osp.join(BACKBONE_DIR, name + '.py')
    if not osp.isfile(path):
        known = sorted(f[:-3] for f in os.listdir(BACKBONE_DIR) if f.endswith('.py')) if osp.isdir(BACKBONE_DIR) else []
        raise FileNotFoundError(f'backbone file not found: {path}; known backbone files: {known}')
    return path


def load_backbone_cfg(spec: str, **overrides) -> dict:
    """A backbone cfg from a backbone file (``configs/_base_/backbones/x.py``), a bare name of such a file
    (``'asymmnet_small_x1.0'``) or a registry type (``'backbones.HBONet'``), with ``overrides`` merged."""
    if not spec.endswith('.py') and spec.startswith(('backbones.', 'mmdet.')):
        cfg = dict(type=spec)
    else:
        path = spec if spec.endswith('.py') else backbone_file(spec)
        if not osp.isfile(path):
            raise FileNotFoundError(f'backbone file not found: {path}')
        cfg = Config.fromfile(path).backbone.to_dict()
    cfg.update(overrides)
    return cfg


def build_backbone(spec, **overrides):
    """Build a backbone from a cfg dict or anything :func:`load_backbone_cfg` accepts."""
    from mmengine.registry import MODELS

    cfg = dict(spec) if isinstance(spec, dict) else load_backbone_cfg(spec)
    cfg.update(overrides)
    return MODELS.build(cfg)


__all__ = ['SUITE_BACKBONES', 'load_config', 'compose_config', 'resolve_backbone_placeholders', 'placeholder_values',
           'backbone_out_channels', 'resolve_placeholder', 'backbone_file', 'load_backbone_cfg', 'build_backbone',
           'propagate_data_root', 'ConfigDict']
