"""Shared input checks of the suite's dataset wrappers: clear errors that name the file and the fix."""
from __future__ import annotations

import os.path as osp
from typing import Optional


def check_data_root(data_root: Optional[str], dataset: str, example: str) -> None:
    """Raise ``FileNotFoundError`` if a configured dataset root does not exist.

    Args:
        data_root: the dataset's ``data_root`` (``None`` or ``''`` means "paths are absolute").
        dataset: human-readable dataset name for the message (e.g. ``'COCO keypoints'``).
        example: an example of the expected layout under the root.
    """
    if data_root and not osp.isdir(data_root):
        raise FileNotFoundError(
            f'{dataset}: data_root {data_root!r} does not exist (cwd {osp.abspath(".")!r}). Download the '
            f'dataset so that it looks like {example}, or point the config at it with '
            f'`--cfg-options data_root=/path/to/root/` (see README, "Datasets").')


def check_file(path: Optional[str], what: str, dataset: str) -> None:
    """Raise ``FileNotFoundError`` naming ``what`` (e.g. ``'ann_file'``) if ``path`` is not a file."""
    if path and not osp.isfile(path):
        raise FileNotFoundError(f'{dataset}: {what} {path!r} does not exist; check `{what}` (and data_root) '
                                f'in the config or pass `--cfg-options` with the right path.')
