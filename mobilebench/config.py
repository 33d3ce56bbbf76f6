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

Settings (docs/settings.md): a template's top-level variables that a user changes (``data_root``,
``val_ann_file``, ``classes``, ``num_classes``, ``max_epochs``, ...) and its ``setting_fields`` record, dotted
field path -> expression over them. mmengine fills the variables into the fields when the file is parsed;
:func:`apply_overrides` (``--cfg-options`` in :func:`load_config`, a benchmark's ``overrides`` in
:func:`compose_config`) re-derives every recorded field from new values and rejects names nothing reads.
"""
from __future__ import annotations

import ast
import copy
import difflib
import os
import os.path as osp
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

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


def load_config(path: str, cfg_options: Optional[dict] = None, format_python_code: bool = True) -> Config:
    """``Config.fromfile`` + ``--cfg-options`` (settings re-derived, see :func:`apply_overrides`) + backbone
    width resolution (what every tool uses).

    ``format_python_code=False``: the config's text (``pretty_text``: the Runner logs it and dumps it twice) is
    mmengine's own one-key-per-line layout, not reflowed by yapf, which costs 0.4-1.3 CPU-seconds per call on
    the task configs."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if not format_python_code:  # mmengine 0.10.7's fromfile drops this argument for plain (non-lazy) configs
        cfg = Config(cfg.to_dict(), filename=cfg.filename, format_python_code=False)
    if cfg_options:
        apply_overrides(cfg, cfg_options, where='--cfg-options')
    return resolve_backbone_placeholders(cfg)


def propagate_data_root(cfg: Config, old_root: Optional[str]) -> Config:
    """After ``--cfg-options data_root=NEW`` on a config without a ``setting_fields`` record (a user's own
    config), rewrite every string of ``cfg`` that starts with the old root (dataloaders' ``data_root``, an
    evaluator's ``ann_file`` = data_root + '...'), because a config file resolves ``data_root`` into those
    fields when it is parsed. The suite's templates re-derive from their record instead (:func:`apply_settings`)."""
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


# ------------------------------------------------------------------------------------------------ settings
#: the top-level key of a template's record: dotted field path (or a top-level name) -> expression over the
#: settings, e.g. ``'val_evaluator.ann_file': 'join(data_root, val_ann_file)'``
SETTINGS_RECORD = 'setting_fields'
#: top-level keys read after parsing: mmengine's Runner (its ``__init__`` arguments), OpenMMLab's tools and the
#: suite's own (``partial_load``: tools/train.py; ``input_size`` / ``codec`` / ``test_pipeline``: complexity)
_RUNNER_KEYS = ('model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg', 'val_cfg',
                'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
                'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg',
                'log_processor', 'log_level', 'visualizer', 'default_scope', 'randomness', 'experiment_name')
RUNTIME_KEYS = frozenset(_RUNNER_KEYS + ('custom_imports', 'tta_model', 'tta_pipeline', 'runner_type', 'compile',
                                         'partial_load', 'input_size', 'codec', 'test_pipeline', 'backbone_name'))


class SettingsError(ValueError):
    """An override of a name no part of the config uses, or a field that no longer follows its setting."""


def _join(*parts):
    """``os.path.join`` of the parts; ``None`` if any part is ``None`` (a path setting set to None switches the
    field off, e.g. ``bbox_file=None``: ground-truth boxes)."""
    if any(p is None for p in parts):
        return None
    return osp.join(*(str(p) for p in parts))


_FUNCTIONS = {'join': _join, 'len': len, 'str': str, 'int': int}
_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.FloorDiv: lambda a, b: a // b, ast.Div: lambda a, b: a / b}


def _eval_node(node, values: dict, where: str):
    """Evaluate a setting expression: names, literals, + - * / //, indexing, lists / tuples, f-strings and
    the calls join / len / str / int. Nothing else (no attributes, no other calls): records are data."""
    if isinstance(node, ast.Expression):
        return _eval_node(node.body, values, where)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise SettingsError(f'{where}: the expression names {node.id!r}, which is not a top-level variable of '
                                f'the config')
        return values[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_eval_node(node.left, values, where), _eval_node(node.right, values, where))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval_node(node.operand, values, where)
    if isinstance(node, ast.Subscript):
        target = _eval_node(node.value, values, where)
        index = node.slice
        if isinstance(index, ast.Slice):
            return target[slice(*(None if p is None else _eval_node(p, values, where)
                                  for p in (index.lower, index.upper, index.step)))]
        return target[_eval_node(index, values, where)]
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_eval_node(e, values, where) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.JoinedStr):
        return ''.join(str(_eval_node(v, values, where)) for v in node.values)
    if isinstance(node, ast.FormattedValue) and node.format_spec is None and node.conversion == -1:
        return _eval_node(node.value, values, where)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS \
            and not node.keywords:
        return _FUNCTIONS[node.func.id](*(_eval_node(a, values, where) for a in node.args))
    raise SettingsError(f'{where}: {ast.dump(node)[:80]} is not allowed in a setting expression (names, literals, '
                        f'+ - * / //, [index], lists, f-strings, join() len() str() int())')


def _parse(expr: str, where: str):
    if not isinstance(expr, str):
        raise SettingsError(f'{where}: a setting expression must be a string, got {expr!r}')
    try:
        return ast.parse(expr, mode='eval')
    except SyntaxError as exc:
        raise SettingsError(f'{where}: cannot parse the setting expression {expr!r}: {exc.msg}') from None


def _names(expr: str, where: str) -> set:
    tree = _parse(expr, where)
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - (calls & set(_FUNCTIONS))


def _recipe_names(recipe, where: str) -> set:
    """The settings a record entry reads: an expression, or ``dict(for_each=NAME, fields={key: expression})``
    (a list field: one copy of its first element per item of the setting NAME, ``item`` naming the item)."""
    if isinstance(recipe, dict):
        if set(recipe) != {'for_each', 'fields'} or not isinstance(recipe['fields'], dict):
            raise SettingsError(f'{where}: write dict(for_each=SETTING, fields={{key: expression}}), got {recipe}')
        names = {recipe['for_each']}
        for key, expr in recipe['fields'].items():
            names |= _names(expr, f'{where}.fields.{key}')
        return names - {'item'}
    return _names(recipe, where)


def _evaluate(recipe, values: dict, current, where: str):
    if isinstance(recipe, dict):
        items = values[recipe['for_each']]
        if not isinstance(current, (list, tuple)) or not current:
            raise SettingsError(f'{where}: for_each needs a non-empty list field to copy, found {current!r}')
        out = []
        for item in items:
            elem = copy.deepcopy(current[0])
            scope = dict(values, item=item)
            for key, expr in recipe['fields'].items():
                _set_path(elem, _split_path(key), _eval_node(_parse(expr, where), scope, f'{where}.fields.{key}'))
            out.append(elem)
        return out
    try:
        return _eval_node(_parse(recipe, where), values, where)
    except SettingsError:
        raise
    except (IndexError, KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        used = {n: values.get(n) for n in sorted(_names(recipe, where))}
        raise SettingsError(f'{where}: {recipe!r} fails with the settings {used}: '
                            f'{type(exc).__name__}: {exc}') from None


def _split_path(path: str) -> list:
    return [int(p) if p.lstrip('-').isdigit() else p for p in path.split('.')]


def _get_path(node, keys: Sequence, where: str):
    for i, key in enumerate(keys):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise SettingsError(f'{where}: the config has no field {".".join(map(str, keys[:i + 1]))}') from None
    return node


def _set_path(node, keys: Sequence, value):
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value


def _norm(value):
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def settings_record(cfg: Config) -> Dict[str, Any]:
    """The config's ``setting_fields`` record as a plain dict (empty for a config without one)."""
    record = cfg.get(SETTINGS_RECORD)
    if record is None:
        return {}
    if not isinstance(record, dict):
        raise SettingsError(f'{cfg.filename}: `{SETTINGS_RECORD}` must be a dict of field -> expression')
    return {key: (value.to_dict() if hasattr(value, 'to_dict') else value) for key, value in record.items()}


def setting_names(cfg: Config) -> List[str]:
    """The settings of a config: every top-level name its record reads, and every top-level name it derives."""
    names = set()
    for key, recipe in settings_record(cfg).items():
        names |= _recipe_names(recipe, f'{cfg.filename}: {SETTINGS_RECORD}[{key!r}]')
        if '.' not in key:
            names.add(key)
    return sorted(names)


def check_settings(cfg: Config) -> List[str]:
    """Every field of the record whose value is not what its expression gives with the config's own settings
    (empty when the file is consistent: the state every committed config must be in). Derived settings
    (top-level names of the record) are defaults a config may replace and are not checked."""
    record = settings_record(cfg)
    values = {n: cfg.get(n) for n in setting_names(cfg)}
    problems = []
    for key, recipe in record.items():
        if '.' not in key:  # a derived setting: its expression is a default a config may replace
            continue
        where = f'{cfg.filename}: {SETTINGS_RECORD}[{key!r}]'
        try:
            current = _get_path(cfg, _split_path(key), where)
        except SettingsError as exc:
            problems.append(str(exc))
            continue
        expected = _evaluate(recipe, values, current, where)
        if _norm(current) != _norm(expected):
            problems.append(f'{key} = {current!r}, but {recipe!r} gives {expected!r}')
    return problems


def apply_settings(cfg: Config, given: Dict[str, Any], where: str = 'settings') -> Config:
    """Set the settings ``given`` and re-derive every field of the record that reads one of them.

    A folder setting whose value ends with ``/`` keeps the slash (``data_root=/data/coco`` -> ``/data/coco/``).
    A derived setting (a top-level name in the record, e.g. ``train_ann_file`` from ``split``) follows its
    inputs unless it is given too. A field that the config itself set to something else than its expression
    (a derived config that edits the field, not the setting) is an error naming it, never silently overwritten.
    """
    record = settings_record(cfg)
    names = setting_names(cfg)
    old = {n: copy.deepcopy(cfg.get(n)) for n in names}
    new = dict(old)
    for name, value in given.items():
        if isinstance(old.get(name), str) and old[name].endswith('/') and isinstance(value, str) and value \
                and not value.endswith('/'):
            value += '/'
        new[name] = value
    # a derived setting that the config set to something else than its expression no longer follows it
    derived = [k for k in record if '.' not in k and _norm(cfg.get(k)) == _norm(
        _evaluate(record[k], old, cfg.get(k), f'{cfg.filename}: {SETTINGS_RECORD}[{k!r}]'))]
    for _ in range(len(derived) + 1):  # derived settings may read derived settings: until nothing changes
        changed = False
        for key in derived:
            if key in given:
                continue
            value = _evaluate(record[key], new, cfg.get(key), f'{SETTINGS_RECORD}[{key!r}]')
            if _norm(value) != _norm(new.get(key)):
                new[key], changed = value, True
        if not changed:
            break
    moved = {n for n in names if _norm(new[n]) != _norm(old[n])}
    for key, recipe in record.items():
        if '.' not in key:
            continue
        entry = f'{cfg.filename}: {SETTINGS_RECORD}[{key!r}]'
        if not (_recipe_names(recipe, entry) & moved):
            continue
        keys = _split_path(key)
        try:
            current = _get_path(cfg, keys, entry)
        except SettingsError as exc:
            raise SettingsError(f'{where}: cannot move {sorted(_recipe_names(recipe, entry) & moved)}: {exc} (an '
                                f'edit replaced that part of the config; override the field directly)') from None
        expected = _evaluate(recipe, old, current, entry)
        if _norm(current) != _norm(expected):
            raise SettingsError(
                f'{where}: cannot move {sorted(_recipe_names(recipe, entry) & moved)} into {key}: the config sets '
                f'{key} = {current!r} itself instead of {recipe!r} = {expected!r} (in {cfg.filename}); override '
                f'{key} directly, or set the setting in that config instead of the field')
        _set_path(cfg, keys, _evaluate(recipe, new, current, entry))
    for name in moved:
        cfg[name] = new[name]
    return cfg


def apply_overrides(cfg: Config, options: dict, where: str = '--cfg-options') -> Config:
    """Merge ``options`` (``--cfg-options`` / a benchmark's ``overrides``) into ``cfg``.

    Settings (:func:`setting_names`) are re-derived into every field that uses them (:func:`apply_settings`),
    then every other key is merged as mmengine does, so a dotted field given beside its setting wins. In a
    config with a settings record, a top-level name that nothing reads after parsing (a misspelled setting, a
    variable the file already substituted such as ``train_pipeline``) is an error listing the settings.
    A config without a record (a user's own) keeps mmengine's merge plus ``data_root`` propagation.
    """
    options = dict(options)
    record = settings_record(cfg)
    if not record:
        old_root = cfg.get('data_root')
        cfg.merge_from_dict(options)
        return propagate_data_root(cfg, old_root)
    names = setting_names(cfg)
    given, rest = {}, {}
    for key, value in options.items():
        top = key.split('.', 1)[0]
        if top in names:
            if '.' in key:
                raise SettingsError(f'{where}: {key}: {top} is a setting; give it whole ({top}=VALUE)')
            given[key] = value
        elif top in RUNTIME_KEYS:
            rest[key] = value
        else:
            close = difflib.get_close_matches(top, names + sorted(k for k in cfg if k in RUNTIME_KEYS), n=1)
            hint = f'Did you mean {close[0]!r}? ' if close else ''
            what = ('a variable that the config file substituted when it was parsed (changing it changes nothing)'
                    if top in cfg else 'not a name of this config')
            raise SettingsError(
                f'{where}: {key}: {top!r} is {what}. {hint}Settings of {osp.basename(cfg.filename or "config")}: '
                f'{", ".join(names)} (docs/settings.md); any other field by its full path, e.g. '
                f'train_dataloader.batch_size=8')
    if given:
        apply_settings(cfg, given, where)
    if rest:
        cfg.merge_from_dict(rest)
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
        apply_overrides(cfg, overrides, where=f'overrides of {task_template}')
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
           'propagate_data_root', 'apply_overrides', 'apply_settings', 'check_settings', 'setting_names',
           'settings_record', 'SettingsError', 'SETTINGS_RECORD', 'ConfigDict']
