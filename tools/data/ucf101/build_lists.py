#!/usr/bin/env python
"""Build mmaction2 annotation lists for UCF101 from the official split lists.

The official ``UCF101TrainTestSplits-RecognitionTask.zip`` unpacks to ``ucfTrainTestlist/`` with
``classInd.txt`` (``<1-based index> <class>``), ``trainlist0<k>.txt`` (``<class>/<video>.avi <index>``)
and ``testlist0<k>.txt`` (``<class>/<video>.avi``). This writes, for each requested split k and format::

    ucf101_train_split_<k>_videos.txt     <class>/<video>.avi <label>
    ucf101_val_split_<k>_videos.txt
    ucf101_train_split_<k>_rawframes.txt  <class>/<video> <num_frames> <label>
    ucf101_val_split_<k>_rawframes.txt
    label_map.txt                         the class names in classInd order

Labels are 0-based (classInd index - 1), the order of mmaction2's ``tools/data/ucf101/label_map.txt``.
Rawframe lists count ``img_*.jpg`` in ``<rawframes-dir>/<class>/<video>/``. With ``--videos-dir``
every listed video must exist there.

Example::

    python tools/data/ucf101/build_lists.py --lists-dir data/ucf101/ucfTrainTestlist --out-dir data/ucf101 \\
        --format videos rawframes --rawframes-dir data/ucf101/rawframes --videos-dir data/ucf101/videos
"""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--lists-dir', required=True, help='folder with classInd.txt, trainlist0k.txt, testlist0k.txt')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--splits', type=int, nargs='+', default=[1, 2, 3], choices=[1, 2, 3])
    parser.add_argument('--format', nargs='+', default=['videos'], choices=['videos', 'rawframes'])
    parser.add_argument('--rawframes-dir', default=None)
    parser.add_argument('--videos-dir', default=None, help='check that every listed video exists under it')
    args = parser.parse_args(argv)
    from mobilebench.action_lists import build_ucf101_lists
    try:
        written = build_ucf101_lists(args.lists_dir, args.out_dir, args.splits, args.format, args.rawframes_dir,
                                     args.videos_dir)
    except (ValueError, FileNotFoundError) as exc:
        sys.exit(f'error: {exc}')
    for path in written:
        with open(path) as f:
            print(f'{path}: {sum(1 for _ in f)} lines')
    return written


if __name__ == '__main__':
    main()
