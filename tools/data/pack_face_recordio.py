#!/usr/bin/env python
"""Pack an image folder (one sub-folder per identity) into insightface's RecordIO training format.

    python tools/data/pack_face_recordio.py IMAGE_ROOT OUT_DIR [--legacy-header] [--image-size 112]

Writes OUT_DIR/train.rec, train.idx and property ("num_classes,H,W"), readable by
``mobilebench.FaceRecordIODataset`` and by mxnet / insightface's ``MXFaceDataset``. Labels are the
sorted sub-folder indices. Images are stored as-is (they must already be aligned faces of the given
size; use ``mobilebench.face.align.align_face`` first for raw photos).
"""
import argparse
import os
import os.path as osp


IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def collect(image_root):
    if not osp.isdir(image_root):
        raise SystemExit(f'error: {image_root} is not a folder (expected IMAGE_ROOT/<identity>/<image>)')
    classes = sorted(d for d in os.listdir(image_root) if osp.isdir(osp.join(image_root, d)))
    samples = []
    for label, name in enumerate(classes):
        for fname in sorted(os.listdir(osp.join(image_root, name))):
            if fname.lower().endswith(IMG_EXTENSIONS):
                samples.append((osp.join(image_root, name, fname), label))
    if not samples:
        raise SystemExit(f'error: no images found under {image_root}/<identity>/ ({IMG_EXTENSIONS})')
    return classes, samples


def pack(image_root, out_dir, image_size=112, legacy_header=False, check_size=True):
    import mmcv

    from mobilebench.face.recordio import write_face_recordio
    classes, samples = collect(image_root)
    payloads = []
    for path, label in samples:
        with open(path, 'rb') as f:
            data = f.read()
        if check_size:
            img = mmcv.imfrombytes(data)
            if img is None:
                raise SystemExit(f'error: cannot decode {path}')
            if img.shape[:2] != (image_size, image_size):
                raise SystemExit(f'error: {path} is {img.shape[1]}x{img.shape[0]}, expected aligned '
                                 f'{image_size}x{image_size} faces (align with mobilebench.face.align.align_face)')
        payloads.append((data, label))
    files = write_face_recordio(out_dir, payloads, (image_size, image_size), legacy_header=legacy_header)
    return dict(files, num_classes=len(classes), num_images=len(samples))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('image_root')
    parser.add_argument('out_dir')
    parser.add_argument('--image-size', type=int, default=112)
    parser.add_argument('--legacy-header', action='store_true',
                        help='write the MS1M-style header record 0 and identity records')
    parser.add_argument('--no-check-size', action='store_true', help='do not decode images to check their size')
    args = parser.parse_args(argv)
    info = pack(args.image_root, args.out_dir, args.image_size, args.legacy_header, not args.no_check_size)
    print(f'packed {info["num_images"]} images of {info["num_classes"]} identities into {info["rec"]}')
    return info


if __name__ == '__main__':
    main()
