#!/usr/bin/env python
"""Build an insightface verification ``.bin`` from an image folder and a same/different pairs CSV.

    python tools/data/build_face_bin.py IMAGE_ROOT PAIRS_CSV OUT.bin
        (--landmarks LANDMARKS_CSV | --boxes BOXES_CSV | --detector DET.onnx | --no-align)
        [--image-size 112] [--encoding jpg|png] [--report OUT.bin.alignment.csv]

PAIRS_CSV has the header ``path_a,path_b,same`` (paths relative to IMAGE_ROOT, ``same`` 1 or 0).
The alignment step must be chosen explicitly:

- ``--landmarks CSV``: ``path`` + ``left_eye_x,left_eye_y,right_eye_x,right_eye_y,nose_x,nose_y,
  mouth_left_x,mouth_left_y,mouth_right_x,mouth_right_y`` -> ArcFace 5-point similarity warp;
- ``--detector DET.onnx``: a local insightface RetinaFace / SCRFD ONNX file (e.g. ``det_10g.onnx``),
  run with onnxruntime; its 5 landmarks -> the same warp (nothing is downloaded);
- ``--boxes CSV``: ``path,x1,y1,x2,y2`` -> square crop around the box, resized: NOT aligned;
- ``--no-align``: each image resized to IMAGE_SIZE: NOT aligned (images already of that size are
  stored byte for byte, e.g. faces aligned elsewhere).

Prints what was and was not aligned and writes it per image to ``OUT.bin.alignment.csv``. The file
is read by ``mobilebench.FaceVerificationBin`` (metric keys ``<file name>/accuracy`` ...); see
docs/own_data.md.
"""
import argparse
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('image_root', help='folder the CSV paths are relative to')
    parser.add_argument('pairs', help='pairs CSV: path_a,path_b,same')
    parser.add_argument('out', help='the .bin to write')
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument('--landmarks', help='CSV of 5 landmarks per image (aligned with the ArcFace template)')
    mode.add_argument('--boxes', help='CSV of face boxes per image (square crop, not aligned)')
    mode.add_argument('--detector', help='local RetinaFace/SCRFD .onnx file (detected landmarks, aligned)')
    mode.add_argument('--no-align', action='store_true', help='only resize the images (not aligned)')
    parser.add_argument('--image-size', type=int, default=112)
    parser.add_argument('--encoding', choices=['jpg', 'png'], default='jpg')
    parser.add_argument('--report', default=None, help='per-image CSV (default: OUT.alignment.csv)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mobilebench.face.build_bin import FaceBinInputError, build_verification_bin
    align = ('landmarks' if args.landmarks else 'boxes' if args.boxes else 'detector' if args.detector else 'none')
    try:
        report = build_verification_bin(args.image_root, args.pairs, args.out, align, landmarks_csv=args.landmarks,
                                        boxes_csv=args.boxes, detector=args.detector, image_size=args.image_size,
                                        encoding=args.encoding, report_csv=args.report)
    except (FaceBinInputError, FileNotFoundError) as exc:
        sys.exit(f'error: {exc}')
    print(report.summary())
    print(f'per-image report: {args.report or args.out + ".alignment.csv"}')
    return report


if __name__ == '__main__':
    main()
