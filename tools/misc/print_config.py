#!/usr/bin/env python
"""Print the whole config, after inheritance and ``--cfg-options``, as mmdet's ``tools/misc/print_config.py``.

    python tools/misc/print_config.py CONFIG [--cfg-options k=v ...] [--save-path FILE.py]

The config is loaded as ``tools/train.py`` loads it (:func:`mobilebench.config.load_config`: a task template
composed in memory also gets its backbone-dependent widths resolved), so what is printed is what trains.
"""
import argparse

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--save-path', default=None, help='save the complete config to this file (.py/.json/.yml)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value (e.g. data_root=/data/coco/)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    from mobilebench.config import load_config
    cfg = load_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path is not None:
        cfg.dump(args.save_path)
        print(f'Config saved to {args.save_path}')
    return cfg


if __name__ == '__main__':
    main()
