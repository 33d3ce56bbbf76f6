"""Rebuild this fixture: person crops of the real COCO val2017 photos in tests/data/pose/coco, saved in the
official Market-1501 layout and naming. Deterministic (no randomness); run from the repository root:

    python tests/data/market1501_tiny/make_fixture.py

Each COCO person annotation is one identity; its "cameras" are three views of the same person (the
annotated box, the box shifted and enlarged, the box mirrored with a brightness change), each resized to
64x128 (w x h, Market-1501's own box size). Distractors (0000) are background crops without a person, the
junk image (-1) is the top third of a person box (a poor detection), as in the real dataset.
"""
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np

HERE = osp.dirname(osp.abspath(__file__))
SRC = osp.join(HERE, '..', 'pose', 'coco')
SIZE = (64, 128)  # (w, h)

# COCO annotation id -> Market-1501 identity (training identities and test identities are disjoint)
TRAIN = {442619: 2, 198196: 7, 460541: 10, 437295: 11, 533949: 20}
TEST = {230195: 3, 1717641: 5, 531914: 8, 467657: 12}
JUNK_FROM = 488308  # a poor (partial) box of this person is the gallery's junk image
DISTRACTORS = [('000000197388.jpg', (430, 300, 60, 90)), ('000000000785.jpg', (20, 300, 80, 110)),
               ('000000040083.jpg', (420, 10, 60, 100))]  # (x, y, w, h) of background-only regions


def _crop(img, box, view):
    x, y, w, h = box
    if view == 1:  # shifted and enlarged box
        x, y, w, h = x - 0.1 * w, y - 0.05 * h, 1.2 * w, 1.1 * h
    H, W = img.shape[:2]
    x0, y0 = int(max(0, round(x))), int(max(0, round(y)))
    x1, y1 = int(min(W, round(x + w))), int(min(H, round(y + h)))
    out = cv2.resize(img[y0:y1, x0:x1], SIZE, interpolation=cv2.INTER_AREA)
    if view == 2:  # mirrored, darker
        out = np.clip(out[:, ::-1].astype(np.float32) * 0.8, 0, 255).astype(np.uint8)
    return out


def _write(folder, name, img):
    os.makedirs(osp.join(HERE, folder), exist_ok=True)
    ok = cv2.imwrite(osp.join(HERE, folder, name), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok, name


def main():
    ann = json.load(open(osp.join(SRC, 'test_coco.json')))
    files = {im['id']: im['file_name'] for im in ann['images']}
    boxes = {a['id']: (files[a['image_id']], a['bbox']) for a in ann['annotations']}
    imgs = {}

    def load(name):
        if name not in imgs:
            imgs[name] = cv2.imread(osp.join(SRC, name))
        return imgs[name]

    for folder in ('bounding_box_train', 'query', 'bounding_box_test'):
        shutil.rmtree(osp.join(HERE, folder), ignore_errors=True)
    for ann_id, pid in TRAIN.items():
        name, box = boxes[ann_id]
        for view in range(3):  # camera view + 1
            _write('bounding_box_train', f'{pid:04d}_c{view + 1}s1_{100 * pid + view:06d}_01.jpg',
                   _crop(load(name), box, view))
    # the train folder also holds one junk and one distractor box (the dataset must not train on them)
    name, box = boxes[JUNK_FROM]
    _write('bounding_box_train', '-1_c1s1_000001_02.jpg', _crop(load(name), (box[0], box[1], box[2], box[3] / 3), 0))
    _write('bounding_box_train', '0000_c2s1_000002_02.jpg', _crop(load(DISTRACTORS[0][0]), DISTRACTORS[0][1], 0))
    for ann_id, pid in TEST.items():
        name, box = boxes[ann_id]
        _write('query', f'{pid:04d}_c1s1_{100 * pid:06d}_01.jpg', _crop(load(name), box, 0))
        # gallery: the same camera again (a later frame: excluded for the query), and two other cameras
        _write('bounding_box_test', f'{pid:04d}_c1s1_{100 * pid + 50:06d}_01.jpg', _crop(load(name), box, 1))
        _write('bounding_box_test', f'{pid:04d}_c2s1_{100 * pid + 1:06d}_01.jpg', _crop(load(name), box, 1))
        _write('bounding_box_test', f'{pid:04d}_c3s1_{100 * pid + 2:06d}_01.jpg', _crop(load(name), box, 2))
    name, box = boxes[JUNK_FROM]
    _write('bounding_box_test', '-1_c2s1_000003_01.jpg', _crop(load(name), (box[0], box[1], box[2], box[3] / 3), 0))
    for i, (name, box) in enumerate(DISTRACTORS[1:]):
        _write('bounding_box_test', f'0000_c{i + 2}s1_{4 + i:06d}_01.jpg', _crop(load(name), box, 0))


if __name__ == '__main__':
    main()
