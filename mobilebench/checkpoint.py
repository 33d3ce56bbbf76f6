"""A checkpoint that does not fit the model is an error, not a page of warnings.

mmengine loads ``load_from`` / ``resume`` checkpoints with ``strict=False``: a checkpoint of another
architecture (another backbone, width or head) logs one size-mismatch or missing-key line per tensor
and the run goes on with a partly random model, whose metrics are then recorded as if they were
real. Here the checkpoint's ``state_dict`` is compared with the model's *before* anything is copied:

- **strict (default)** for testing, exporting, benchmarking and resuming: any missing, unexpected or
  mis-shaped key raises :class:`CheckpointMismatchError`, which lists each kind (count and the first
  keys with their shapes) and says how to fix it;
- **partial** (``partial_load=True`` in the config, ``tools/train.py --partial-load``) for
  fine-tuning from a checkpoint of a related model: the same report is logged as one warning and
  the matching tensors are loaded (mmengine's ``strict=False``).

Backbone-only fine-tuning through ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
is a different, explicitly partial path (mmengine's ``PretrainedInit``) and is unchanged.

``num_batches_tracked`` buffers are ignored, as mmengine and torch do (old checkpoints lack them).
"""
from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

#: mmengine's Runner.load_checkpoint default key revision (DataParallel / DDP prefixes)
DEFAULT_REVISE_KEYS = ((r'^module\.', ''), )

PARTIAL_LOAD_HINT = ('set `partial_load = True` in the config (tools/train.py --partial-load) to load only the '
                     'matching tensors when fine-tuning')


class CheckpointMismatchError(ValueError):
    """The checkpoint's tensors do not match the model's (names or shapes)."""


@dataclass
class StateDictDiff:
    """How a checkpoint's ``state_dict`` differs from a model's.

    Args:
        missing: model keys absent from the checkpoint.
        unexpected: checkpoint keys the model does not have.
        mismatched: ``(key, checkpoint shape, model shape)`` for keys present in both.
        matched: number of keys with the same name and shape.
    """
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    matched: int = 0

    @property
    def fits(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)


def state_dict_of(checkpoint: Mapping, revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> Dict:
    """The model ``state_dict`` inside a checkpoint (``checkpoint['state_dict']`` or the dict itself),
    with mmengine's key revisions applied."""
    if not isinstance(checkpoint, Mapping):
        raise CheckpointMismatchError(f'the checkpoint is a {type(checkpoint).__name__}, not a dict of tensors')
    state = checkpoint.get('state_dict', checkpoint)
    metadata = getattr(state, '_metadata', None)
    for pattern, repl in revise_keys:
        state = OrderedDict((re.sub(pattern, repl, k), v) for k, v in state.items())
    if metadata is not None:  # module versions (e.g. BatchNorm's) travel with the tensors
        state._metadata = metadata
    return state


def _ignored(key: str) -> bool:
    return key.endswith('num_batches_tracked')


def compare_state_dict(model: nn.Module, state_dict: Mapping) -> StateDictDiff:
    """Compare ``state_dict`` with ``model.state_dict()`` (names and shapes; nothing is loaded)."""
    if is_model_wrapper(model):
        model = model.module
    own = model.state_dict()
    diff = StateDictDiff()
    for key, value in own.items():
        if _ignored(key):
            continue
        if key not in state_dict:
            diff.missing.append(key)
            continue
        theirs = state_dict[key]
        shape = tuple(getattr(theirs, 'shape', ()))
        if shape != tuple(value.shape):
            diff.mismatched.append((key, shape, tuple(value.shape)))
        else:
            diff.matched += 1
    diff.unexpected = [k for k in state_dict if k not in own and not _ignored(k)]
    return diff


def _common_prefix_hint(diff: StateDictDiff) -> str:
    """Say so when the checkpoint is a sub-module's (``backbone.``) or wraps the model's keys."""
    if not diff.missing or not diff.unexpected or diff.matched:
        return ''
    for prefix in ('backbone.', 'model.', 'module.', 'encoder.'):
        if all(k.startswith(prefix) for k in diff.missing) and \
                any(prefix + k in diff.missing for k in diff.unexpected[:50]):
            return (f' The checkpoint holds only the model\'s `{prefix}` sub-module: load it with '
                    f'init_cfg=dict(type=\'Pretrained\', checkpoint=..., prefix=\'{prefix}\') on that sub-module, '
                    f'or with --prefix {prefix} where the tool offers it.')
        if all(k.startswith(prefix) for k in diff.unexpected) and \
                any(prefix + k in diff.unexpected for k in diff.missing[:50]):
            return (f' Every checkpoint key starts with `{prefix}`: it belongs to a model that contains this one; '
                    f'strip the prefix (e.g. --prefix {prefix}).')
    return ''


def format_diff(diff: StateDictDiff, limit: int = 8) -> str:
    """Multi-line report: count and first ``limit`` keys of each kind of mismatch."""
    lines = []
    if diff.mismatched:
        lines.append(f'  {len(diff.mismatched)} mis-shaped (checkpoint shape -> model shape):')
        lines += [f'    {k}: {tuple(a)} -> {tuple(b)}' for k, a, b in diff.mismatched[:limit]]
    if diff.missing:
        lines.append(f'  {len(diff.missing)} missing from the checkpoint:')
        lines += [f'    {k}' for k in diff.missing[:limit]]
    if diff.unexpected:
        lines.append(f'  {len(diff.unexpected)} unexpected (in the checkpoint, not in the model):')
        lines += [f'    {k}' for k in diff.unexpected[:limit]]
    for kind, count in (('mis-shaped', len(diff.mismatched)), ('missing', len(diff.missing)),
                        ('unexpected', len(diff.unexpected))):
        if count > limit:
            lines.append(f'  ... and {count - limit} more {kind} keys')
    return '\n'.join(lines)


def check_checkpoint_fits(model: nn.Module, state_dict: Mapping, source: str, target: str = 'the model',
                          partial: bool = False, logger: Optional[str] = 'current') -> StateDictDiff:
    """Raise :class:`CheckpointMismatchError` (or, with ``partial``, log a warning) unless every tensor
    of ``state_dict`` matches ``model`` by name and shape.

    Args:
        model: the model (a wrapper is unwrapped).
        state_dict: the checkpoint's tensors, keys already revised / prefix-stripped.
        source: the checkpoint file, for the message.
        target: what the model is (the config file), for the message.
        partial: allow a partial load (fine-tuning): warn instead of raising. Even then a checkpoint
            without a single matching tensor is an error.
        logger: where the partial-load warning goes.

    Returns:
        The :class:`StateDictDiff`.
    """
    diff = compare_state_dict(model, state_dict)
    if diff.fits:
        return diff
    total = diff.matched + len(diff.missing) + len(diff.mismatched)
    head = (f'checkpoint {source} does not fit {target}: {diff.matched} of {total} model tensors match by name '
            f'and shape.\n{format_diff(diff)}\n')
    if partial and diff.matched:
        print_log(head + f'partial_load=True: loading the {diff.matched} matching tensors; the others keep their '
                  f'initialisation.', logger=logger, level=logging.WARNING)
        return diff
    fix = ('Use the checkpoint trained with this config (same backbone, widen_factor, neck and head), or the '
           'config that produced the checkpoint.' + _common_prefix_hint(diff))
    if not partial:
        fix += f' To fine-tune from a related model, {PARTIAL_LOAD_HINT}.'
    raise CheckpointMismatchError(head + fix)


def load_checkpoint_checked(model: nn.Module, filename: str, prefix: Optional[str] = None, partial: bool = False,
                            target: str = 'the model', map_location='cpu') -> Dict:
    """Load ``filename`` into ``model`` after :func:`check_checkpoint_fits` (for tools that build a model
    outside a Runner, e.g. the ONNX exporters). The file is read by mmengine's ``CheckpointLoader``
    (local path or URL; ``weights_only=True``, see ``mobilebench.compat``).

    Args:
        model: the model.
        filename: checkpoint path or URL.
        prefix: keep only the keys starting with this prefix and strip it (e.g. ``'backbone.'`` to load a
            detector's backbone into a bare backbone).
        partial: see :func:`check_checkpoint_fits`.
        target: the model's description for the messages.
        map_location: ``torch.load`` map location.

    Returns:
        The loaded checkpoint dict.
    """
    from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    state = state_dict_of(checkpoint)
    if prefix:
        if not prefix.endswith('.'):
            prefix += '.'
        kept = OrderedDict((k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))
        if not kept:
            raise CheckpointMismatchError(
                f'checkpoint {filename} has no key starting with {prefix!r} (its keys start with '
                f'{sorted({k.split(".", 1)[0] + "." for k in state})[:6]}); pass the right --prefix, or none for a '
                f'bare {target} checkpoint.')
        state = kept
    check_checkpoint_fits(model, state, filename, target, partial=partial)
    load_state_dict(model, state, strict=not partial, logger='current')
    return checkpoint


class CheckpointFitHook(Hook):
    """Checks every checkpoint the Runner loads (``load_from``, ``resume``) against its model before the
    tensors are copied (``after_load_checkpoint`` runs between reading and loading).

    Registered by :func:`mobilebench.runner_utils.build_runner` for every Runner of the suite.

    Args:
        partial: the config's ``partial_load``: warn and load the matching tensors instead of failing.
    """

    priority = 'VERY_HIGH'

    def __init__(self, partial: bool = False):
        self.partial = bool(partial)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        source = getattr(runner, '_load_from', None) or 'the checkpoint'
        config = getattr(runner.cfg, 'filename', None) or 'the config'
        # resuming continues the same model: never partial
        partial = self.partial and not getattr(runner, '_resume', False)
        check_checkpoint_fits(runner.model, state_dict_of(checkpoint), source, f'the model of {config}',
                              partial=partial, logger='current')
