#!/usr/bin/env python
"""Build mmaction2 annotation lists from a folder per class (your own action clips).

    python tools/data/build_action_lists.py ROOT OUT_DIR [--name custom] [--val-ratio 0.2] [--seed 0]
                                            [--label-map LABEL_MAP]

ROOT holds one folder per class, with either videos (``ROOT/<class>/<clip>.mp4``, ``.avi``, ``.mkv`` ...)
or frame folders (``ROOT/<class>/<clip>/img_00001.jpg`` ..., as mmaction2's ``build_rawframes.py`` writes
them). Writes ``OUT_DIR/<name>_train_<format>.txt`` and ``<name>_val_<format>.txt`` (format ``videos``
or ``rawframes``; a deterministic per-class split, ``--val-ratio 0`` for a train list only) and
``OUT_DIR/label_map.txt`` (class names, sorted, unless ``--label-map`` fixes the order). Point a config
at them with ``data_prefix.video`` (or ``.img``) = ROOT; see docs/own_data.md.
"""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='ROOT/<class>/<video or frame folder>')
    parser.add_argument('out_dir')
    parser.add_argument('--name', default='custom', help='prefix of the list files')
    parser.add_argument('--val-ratio', type=float, default=0.2, help='share of each class used for validation')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--label-map', default=None, help='existing label map fixing the class order')
    args = parser.parse_args(argv)
    from mobilebench.action_lists import build_from_class_folders
    try:
        info = build_from_class_folders(args.root, args.out_dir, args.name, args.val_ratio, args.seed, args.label_map)
    except (ValueError, FileNotFoundError) as exc:
        sys.exit(f'error: {exc}')
    print(f'{len(info["classes"])} classes, format {info["format"]}: ' +
          ', '.join(f'{n} {subset}' for subset, n in info['counts'].items()))
    for path in info['written']:
        print(f'  wrote {path}')
    if info['ignored']:
        print(f'  ignored {len(info["ignored"])} files that are neither videos nor frame folders: '
              f'{", ".join(info["ignored"][:5])}{" ..." if len(info["ignored"]) > 5 else ""}')
    return info


if __name__ == '__main__':
    main()
