"""Shared input checks of the suite's dataset wrappers: clear errors that name the file and the fix."""
from __future__ import annotations

import json
import os.path as osp
from typing import Any, Iterable, List, Optional


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


def load_json_file(path: str, dataset: str, expected: str = 'a COCO annotation JSON') -> Any:
    """Read a JSON annotation file with errors that name the file, the position and the fix.

    ``json.load`` on a damaged file raises a bare ``UnicodeDecodeError`` (not UTF-8) or
    ``JSONDecodeError`` (truncated, not JSON) without the file name; a pickle renamed to ``.json``
    would not even be recognised. This reads the bytes, decodes them as UTF-8 (a BOM is accepted)
    and parses them, nothing else.

    Args:
        path: local file path.
        dataset: dataset name for the message (e.g. ``'CocoKeypointDataset'``).
        expected: what the file should be, for the message.

    Raises:
        ValueError: empty file, not UTF-8, not valid JSON (with line / column, and "truncated" when
            the parser hit the end of the file).
    """
    with open(path, 'rb') as f:
        raw = f.read()
    if not raw.strip():
        raise ValueError(f'{dataset}: {path!r} is empty; it must be {expected}. Re-download or re-export it.')
    try:
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as exc:
        hint = (' It looks like a pickle, which is never loaded as annotations (pickles can run code); '
                'convert it to JSON.' if raw[:1] == b'\x80' else '')
        raise ValueError(f'{dataset}: {path!r} is not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at byte '
                         f'{exc.start}); it must be {expected}.{hint} Re-export it as UTF-8 JSON or '
                         f're-download it.') from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # the parser stops at the end of the text, or inside a string that never closes
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith('Unterminated string')
        why = ('the file ends in the middle of the JSON (truncated download or copy?)' if truncated else
               f'{exc.msg}')
        raise ValueError(f'{dataset}: {path!r} is not valid JSON at line {exc.lineno}, column {exc.colno} '
                         f'(byte {exc.pos} of {len(raw)}): {why}. It must be {expected}; re-download or '
                         f're-export it.') from None


def _duplicates(values: Iterable) -> List:
    seen, dups = set(), []
    for v in values:
        if v in seen and v not in dups:
            dups.append(v)
        seen.add(v)
    return dups


def check_coco_dict(data: Any, path: str, dataset: str, require_annotations: bool = True) -> None:
    """Check the structure and ids of a COCO annotation dict before pycocotools / xtcocotools index it.

    The COCO APIs index ``images`` and ``annotations`` by id in plain dicts: a duplicated image id makes
    the later entry replace the earlier one, so the first image's annotations are paired with the
    other image's file; a duplicated annotation id drops annotations; an annotation whose
    ``image_id`` is not an image is silently never used. Each is an error here naming the ids.

    Args:
        data: the parsed JSON.
        path: the file, for the messages.
        dataset: dataset name for the messages.
        require_annotations: the file must have an ``annotations`` list (False for image-info files
            used for inference).

    Raises:
        ValueError: not a COCO dict, missing fields, duplicated ids or dangling ``image_id``.
    """
    if not isinstance(data, dict):
        raise ValueError(f'{dataset}: {path!r} holds a JSON {type(data).__name__}, not a COCO dict with "images", '
                         f'"annotations" and "categories".')
    fields = ('images', 'annotations') if require_annotations else ('images', )
    for name in ('images', 'annotations', 'categories'):
        if (name in fields or name in data) and not isinstance(data.get(name), list):
            raise ValueError(f'{dataset}: {path!r}: the COCO field {name!r} is missing or not a list (keys: '
                             f'{sorted(data)[:8]}); a COCO annotation JSON has the lists "images", "annotations" '
                             f'and "categories".')
    for name in ('images', 'annotations', 'categories'):
        for k, item in enumerate(data.get(name) or []):
            if not isinstance(item, dict) or 'id' not in item:
                raise ValueError(f'{dataset}: {path!r}: {name}[{k}] has no "id" ({str(item)[:80]}).')
    img_ids = [im['id'] for im in data['images']]
    dups = _duplicates(img_ids)
    if dups:
        files = [im.get('file_name') for im in data['images'] if im['id'] == dups[0]]
        raise ValueError(f'{dataset}: {path!r}: {len(dups)} image ids occur more than once (first: id {dups[0]} '
                         f'for files {files}). COCO tools keep only the last image of an id, so annotations '
                         f'would be paired with the wrong image; give every image a unique id (and fix the '
                         f'annotations\' image_id accordingly).')
    anns = data.get('annotations') or []
    dups = _duplicates(a['id'] for a in anns)
    if dups:
        raise ValueError(f'{dataset}: {path!r}: {len(dups)} annotation ids occur more than once (first: id '
                         f'{dups[0]}); COCO tools keep only the last annotation of an id. Renumber the '
                         f'annotations uniquely.')
    known = set(img_ids)
    dangling = [a for a in anns if a.get('image_id') not in known]
    if dangling:
        a = dangling[0]
        raise ValueError(f'{dataset}: {path!r}: {len(dangling)} annotations refer to an image_id that is not in '
                         f'"images" (first: annotation id {a["id"]} with image_id {a.get("image_id")!r}); they '
                         f'would be ignored without a word. Add the images or remove those annotations.')
