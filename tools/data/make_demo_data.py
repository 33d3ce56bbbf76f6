#!/usr/bin/env python
"""Write the embedded demo datasets: small, synthetic, in the REAL on-disk formats, deterministic.

    python tools/data/make_demo_data.py --out data/demo [--seed 0]

Writes (each learnable in well under a minute of CPU training, hard enough that the demo's short schedules
do not saturate it, with test sets of hundreds of items so that the leaderboard's intervals resolve a few points):

- ``VOCdevkit/VOC2007`` + ``VOC2012``: 128x128 images of 1-2 coloured shapes on textured backgrounds, PASCAL VOC
  XML, ``ImageSets/Main/{trainval,test}.txt`` (80 + 16 trainval, 160 test; classes: car = red rectangle,
  dog = green disc, cat = blue triangle);
- ``coco_pose/``: stick figures with the 17 COCO keypoints, no per-joint colour code, clutter, occluders
  (``annotations/person_keypoints_*.json``, ``{train,val}2017/``: 96 + 200, a person detection-results file in
  ``person_detection_results/``);
- ``hmdb51/``: HMDB51-style mp4 clips (``videos/<class>/<name>.mp4``, written with cv2 and checked
  with decord; 20 train + 25 val per class) of a bright shape moving in one of 8 directions (the class) with a
  tapering motion streak (visible in each frame, as TSN needs) and a dimmer distractor drifting at random +
  ``hmdb51_{train,val}_split_1_videos.txt``;
- ``faces/``: insightface RecordIO (``train.rec``/``train.idx``/``property``) of 20 x 16 aligned 112x112 synthetic
  faces (identities share parts: a face tone and 4 coloured blobs on a 3x3 grid, under random background,
  pose, lighting and noise) and ``lfw.bin``, ``cfp_fp.bin``, ``agedb_30.bin`` files of 600 new pairs each of those
  identities, written with ``mobilebench.face``'s writers;
- ``market1501/``: the Market-1501 layout (``bounding_box_train/``, ``query/``, ``bounding_box_test/``, names
  ``PPPP_cXsY_FFFFFF_NN.jpg``) of synthetic people (per-identity clothes colours, pattern and bag) seen by 4
  cameras (colour casts); 20 identities x 8 training boxes, each also in new boxes as 8 queries and 4
  gallery boxes (a closed set: 160 queries), plus distractors (0000) and junk (-1) in the gallery.
- ``imagenet/``: ImageNet folder layout (``{train,val}/<class>/*.JPEG``), 32x32 images of one of six shapes
  (cross, diamond, disc, ring, square, triangle: the class) in its class colour jittered strongly, among
  clutter, 40 train + 50 val per class.

A ``.complete`` marker is written last (``make demo`` regenerates data only if it is missing).
"""
import argparse
import json
import os
import os.path as osp
import shutil
from xml.sax.saxutils import escape

import cv2
import numpy as np


VOC_CLASSES = ('car', 'dog', 'cat')
COCO_KPTS = ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
             'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
             'right_knee', 'left_ankle', 'right_ankle']
COCO_SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
                 [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]
ACTIONS = ('move_left', 'move_right', 'move_up', 'move_down', 'move_up_left', 'move_up_right', 'move_down_left',
           'move_down_right')


def _background(rng, h, w):
    base = rng.integers(40, 200, 3)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    img += rng.normal(0, 18, (h, w, 3))
    yy, xx = np.mgrid[0:h, 0:w]
    img += (np.sin(xx / rng.uniform(5, 15) + rng.uniform(0, 6)) * 15)[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------- VOC
def _voc_xml(name, w, h, objects):
    objs = ''.join(
        f'<object><name>{escape(c)}</name><pose>Unspecified</pose><truncated>0</truncated><difficult>0</difficult>'
        f'<bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>'
        for c, (x1, y1, x2, y2) in objects)
    return (f'<annotation><folder>VOC2007</folder><filename>{name}.jpg</filename>'
            f'<source><database>mobilebench demo (synthetic)</database></source>'
            f'<size><width>{w}</width><height>{h}</height><depth>3</depth></size><segmented>0</segmented>'
            f'{objs}</annotation>\n')


def _draw_shape(img, cls, x1, y1, x2, y2, rng):
    jitter = rng.integers(-25, 26, 3)
    colour = np.clip(np.array({'car': (40, 40, 220), 'dog': (40, 200, 40), 'cat': (220, 60, 40)}[cls]) + jitter,
                     0, 255).tolist()  # BGR
    if cls == 'car':
        cv2.rectangle(img, (x1, y1), (x2, y2), colour, -1)
    elif cls == 'dog':
        cv2.ellipse(img, ((x1 + x2) // 2, (y1 + y2) // 2), ((x2 - x1) // 2, (y2 - y1) // 2), 0, 0, 360, colour, -1)
    else:
        pts = np.array([[(x1 + x2) // 2, y1], [x1, y2], [x2, y2]], np.int32)
        cv2.fillPoly(img, [pts], colour)


def _clutter(img, rng, n):
    """Distractors that are no class: thin random lines and small hollow squares of random colours."""
    h, w = img.shape[:2]
    for _ in range(n):
        colour = rng.integers(0, 256, 3).tolist()
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            cv2.line(img, (x, y), (int(rng.integers(0, w)), int(rng.integers(0, h))), colour, 1)
        else:
            s = int(rng.integers(6, 14))
            cv2.rectangle(img, (x, y), (x + s, y + s), colour, 1)


def make_voc(out, rng, size=128):
    """1-2 shapes of 36-64 px per image (not overlapping) of three classes in their jittered colours on
    textured backgrounds: what the demo's short from-scratch detector schedules learn (smaller objects, five
    classes, clutter and 96-px inputs left YOLOv3 and SSDLite near mAP 0 after 8 epochs); 160 test images."""
    counts = {'VOC2007': dict(trainval=80, test=160), 'VOC2012': dict(trainval=16)}
    for year, splits in counts.items():
        root = osp.join(out, 'VOCdevkit', year)
        for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
            os.makedirs(osp.join(root, sub), exist_ok=True)
        idx = 0
        for split, n in splits.items():
            names = []
            for _ in range(n):
                idx += 1
                name = f'{year[-4:]}_{idx:06d}'
                img = _background(rng, size, size)
                objects, boxes = [], []
                for _ in range(int(rng.integers(1, 3))):
                    for _try in range(20):
                        bw, bh = (int(v) for v in rng.integers(36, 64, 2))
                        x1, y1 = int(rng.integers(0, size - bw)), int(rng.integers(0, size - bh))
                        box = (x1, y1, x1 + bw, y1 + bh)
                        if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in boxes):
                            break
                    else:
                        continue
                    cls = VOC_CLASSES[int(rng.integers(len(VOC_CLASSES)))]
                    _draw_shape(img, cls, *box, rng)
                    boxes.append(box)
                    # VOC boxes are 1-based inclusive pixel coordinates
                    objects.append((cls, (box[0] + 1, box[1] + 1, box[2], box[3])))
                cv2.imwrite(osp.join(root, 'JPEGImages', name + '.jpg'), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
                with open(osp.join(root, 'Annotations', name + '.xml'), 'w') as f:
                    f.write(_voc_xml(name, size, size, objects))
                names.append(name)
            with open(osp.join(root, 'ImageSets', 'Main', f'{split}.txt'), 'w') as f:
                f.write('\n'.join(names) + '\n')


# ---------------------------------------------------------------------------------------------------------- pose
def _stick_figure(rng, cx, top, height):
    """17 (x, y) keypoints of a front-facing figure (its left side on the image right)."""
    s = height / 100.0
    head = np.array([cx, top + 10 * s])
    sh_y, hip_y = top + 24 * s, top + 55 * s
    half_sh, half_hip = 12 * s, 8 * s
    pts = {'nose': head, 'left_eye': head + [3 * s, -3 * s], 'right_eye': head + [-3 * s, -3 * s],
           'left_ear': head + [6 * s, -1 * s], 'right_ear': head + [-6 * s, -1 * s],
           'left_shoulder': np.array([cx + half_sh, sh_y]), 'right_shoulder': np.array([cx - half_sh, sh_y]),
           'left_hip': np.array([cx + half_hip, hip_y]), 'right_hip': np.array([cx - half_hip, hip_y])}
    for side, sign in (('left', 1), ('right', -1)):
        a1, a2 = rng.uniform(-1.2, 1.2, 2)
        elbow = pts[f'{side}_shoulder'] + 16 * s * np.array([sign * np.cos(a1), np.sin(a1) + 0.8])
        pts[f'{side}_elbow'] = elbow
        pts[f'{side}_wrist'] = elbow + 15 * s * np.array([sign * np.cos(a2), np.sin(a2) + 0.5])
        l1 = rng.uniform(-0.4, 0.4)
        knee = pts[f'{side}_hip'] + 20 * s * np.array([sign * np.sin(abs(l1)) + l1 * 0.3, 1.0])
        pts[f'{side}_knee'] = knee
        pts[f'{side}_ankle'] = knee + 20 * s * np.array([rng.uniform(-0.3, 0.3), 1.0])
    return np.array([pts[k] for k in COCO_KPTS])


def make_pose(out, rng, w=96, h=128, counts=(('train2017', 96, 1), ('val2017', 200, 100001))):
    """One stick figure per image, drawn without a per-joint colour code (limbs and joints in one random colour
    per figure, so the joint identity comes from the body structure), on a textured background with clutter
    lines, sensor noise and, on a third of the images, an occluding block (the joints under it are labelled
    ``v=1``, labelled but not visible, as in COCO)."""
    root = osp.join(out, 'coco_pose')
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    os.makedirs(osp.join(root, 'person_detection_results'), exist_ok=True)
    categories = [dict(id=1, name='person', supercategory='person', keypoints=COCO_KPTS, skeleton=COCO_SKELETON)]
    ann_id = 0
    for split, n, first_id in counts:
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, anns, dets = [], [], []
        for i in range(n):
            image_id = first_id + i
            img = _background(rng, h, w)
            _clutter(img, rng, int(rng.integers(3, 8)))
            height = rng.uniform(80, 110)
            kpts = _stick_figure(rng, rng.uniform(35, w - 35), rng.uniform(4, h - height - 4), height)
            kpts[:, 0] = np.clip(kpts[:, 0], 1, w - 2)
            kpts[:, 1] = np.clip(kpts[:, 1], 1, h - 2)
            ip = kpts.round().astype(int)
            limb = rng.integers(0, 256, 3).tolist()
            joint = rng.integers(0, 256, 3).tolist()
            for a, b in COCO_SKELETON:
                cv2.line(img, tuple(ip[a - 1]), tuple(ip[b - 1]), limb, int(rng.integers(1, 3)))
            for x, y in ip:
                cv2.circle(img, (int(x), int(y)), 2, joint, -1)
            visible = np.full(len(kpts), 2)
            if rng.random() < 1 / 3:  # an occluding block over part of the figure
                ox, oy = rng.uniform(kpts.min(0), kpts.max(0))
                ow, oh = rng.uniform(12, 28, 2)
                x0, y0, x1, y1 = int(ox - ow / 2), int(oy - oh / 2), int(ox + ow / 2), int(oy + oh / 2)
                cv2.rectangle(img, (x0, y0), (x1, y1), rng.integers(0, 256, 3).tolist(), -1)
                inside = (kpts[:, 0] >= x0) & (kpts[:, 0] <= x1) & (kpts[:, 1] >= y0) & (kpts[:, 1] <= y1)
                visible[inside] = 1
            img = np.clip(img + rng.normal(0, 10, img.shape), 0, 255).astype(np.uint8)
            name = f'{image_id:012d}.jpg'
            cv2.imwrite(osp.join(root, split, name), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
            x0, y0 = kpts.min(0) - 6
            x1, y1 = kpts.max(0) + 6
            x0, y0, x1, y1 = max(0., x0), max(0., y0), min(w - 1., x1), min(h - 1., y1)
            bbox = [round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2), round(float(y1 - y0), 2)]
            ann_id += 1
            flat = []
            for (x, y), v in zip(kpts, visible):
                flat += [round(float(x), 2), round(float(y), 2), int(v)]
            images.append(dict(id=image_id, file_name=name, width=w, height=h))
            anns.append(dict(id=ann_id, image_id=image_id, category_id=1, bbox=bbox, area=round(bbox[2] * bbox[3], 2),
                             iscrowd=0, num_keypoints=int((visible > 0).sum()), keypoints=flat))
            dets.append(dict(image_id=image_id, category_id=1, bbox=bbox, score=1.0))
        with open(osp.join(root, 'annotations', f'person_keypoints_{split}.json'), 'w') as f:
            json.dump(dict(info=dict(description='mobilebench demo stick figures (synthetic)'), licenses=[],
                           images=images, annotations=anns, categories=categories), f)
        if split == 'val2017':
            with open(osp.join(root, 'person_detection_results', 'COCO_val2017_detections_AP_H_56_person.json'),
                      'w') as f:
                json.dump(dets, f)


# ---------------------------------------------------------------------------------------------------------- action
_DIRECTIONS = {'move_left': (-1, 0), 'move_right': (1, 0), 'move_up': (0, -1), 'move_down': (0, 1),
               'move_up_left': (-1, -1), 'move_up_right': (1, -1), 'move_down_left': (-1, 1),
               'move_down_right': (1, 1)}


def _write_clip(path, rng, action, size=64, frames=16, fps=8):
    """A bright shape moving in the class's direction (8 directions) with a tapering motion streak behind it
    (visible in any single frame, as TSN needs), and a dimmer distractor square drifting in a random direction
    without a streak, on a dark noisy background."""
    bg = np.clip(rng.integers(20, 90, 3) + rng.normal(0, 6, (size, size, 3)), 0, 255).astype(np.uint8)
    colour = rng.integers(150, 256, 3).tolist()
    r = int(rng.integers(6, 10))
    step = rng.uniform(1.6, 2.4)
    d = np.array(_DIRECTIONS[action], np.float64)
    d /= np.linalg.norm(d)
    span = step * (frames - 1)
    start = np.array([size / 2, size / 2]) - d * span / 2 + rng.uniform(-5, 5, 2)
    other = rng.uniform(12, size - 12, 2)
    other_v = rng.uniform(-2, 2, 2)
    other_colour = rng.integers(60, 160, 3).tolist()
    other_r = int(rng.integers(5, 10))
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (size, size))
    if not writer.isOpened():
        raise RuntimeError(f'cv2.VideoWriter cannot write {path} (mp4v codec missing from this OpenCV build)')
    perp = np.array([-d[1], d[0]])
    for t in range(frames):
        img = bg.copy()
        o = other + other_v * t
        cv2.rectangle(img, (int(o[0] - other_r), int(o[1] - other_r)), (int(o[0] + other_r), int(o[1] + other_r)),
                      other_colour, -1)
        head = start + d * step * t
        # a tapering streak behind the shape (what a long exposure shows): a point 4 radii behind it
        tail = head - d * 4 * r
        streak = np.array([head + perp * r, head - perp * r, tail], np.int32)
        cv2.fillPoly(img, [streak], [int(v * 0.6) for v in colour])
        cv2.circle(img, (int(head[0]), int(head[1])), r, colour, -1)
        img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
        writer.write(img)
    writer.release()


def make_action(out, rng, per_class=(20, 25)):
    root = osp.join(out, 'hmdb51')
    lines = {'train': [], 'val': []}
    for label, action in enumerate(ACTIONS):
        os.makedirs(osp.join(root, 'videos', action), exist_ok=True)
        for split, n in zip(('train', 'val'), per_class):
            for i in range(n):
                rel = f'{action}/{action}_{split}_{i:03d}.mp4'
                _write_clip(osp.join(root, 'videos', rel), rng, action)
                lines[split].append(f'{rel} {label}')
    for split in ('train', 'val'):
        with open(osp.join(root, f'hmdb51_{split}_split_1_videos.txt'), 'w') as f:
            f.write('\n'.join(lines[split]) + '\n')
    with open(osp.join(root, 'label_map.txt'), 'w') as f:
        f.write('\n'.join(ACTIONS) + '\n')
    import decord  # the reader mmaction2's DecordInit uses
    vr = decord.VideoReader(osp.join(root, 'videos', lines['val'][0].split()[0]))
    if len(vr) < 8:
        raise RuntimeError(f'decord reads only {len(vr)} frames of the demo clips')


# ---------------------------------------------------------------------------------------------------------- faces
_FACE_TONES = ((150, 170, 200), (120, 150, 190), (100, 130, 170), (170, 190, 215))  # RGB
_FACE_BLOB_COLOURS = ((40, 40, 40), (200, 60, 60), (60, 60, 200), (230, 230, 230), (60, 180, 60),
                      (220, 200, 40))  # RGB


def _face(rng, ident, size=56, out_size=112):
    """One ``out_size`` JPEG (insightface's aligned 112x112; drawn at ``size`` and upscaled, which is cheaper) of
    identity ``ident``: its fixed pattern (one of 4 face tones and 4 blobs, each one of 6
    colours on one of 9 places of a 3x3 grid, so identities share parts and differ in a few) under
    per-sample nuisances (background colour and gradient, shift, rotation, scale, lighting, noise) that
    dominate the raw pixels, so an untrained network verifies pairs poorly and training has to learn
    the identity."""
    prng = np.random.default_rng(1000 + ident)  # the identity's fixed pattern
    k = size / 112.0
    axes = (int(38 * k), int(48 * k))
    face = np.zeros((size, size, 3), np.float32)
    cv2.ellipse(face, (size // 2, size // 2), axes, 0, 0, 360, _FACE_TONES[int(prng.integers(4))], -1)
    for cell in prng.choice(9, 4, replace=False):
        cx, cy = size // 2 + int((cell % 3 - 1) * 20 * k), size // 2 + int((cell // 3 - 1) * 26 * k)
        cv2.circle(face, (cx, cy), int(8 * k), _FACE_BLOB_COLOURS[int(prng.integers(6))], -1)
    mask = np.zeros((size, size), np.float32)
    cv2.ellipse(mask, (size // 2, size // 2), axes, 0, 0, 360, 1.0, -1)
    pose = cv2.getRotationMatrix2D((size / 2, size / 2), float(rng.uniform(-15, 15)), float(rng.uniform(0.9, 1.1)))
    pose[:, 2] += rng.uniform(-8 * k, 8 * k, 2)
    face = cv2.warpAffine(face, pose, (size, size))
    mask = cv2.warpAffine(mask, pose, (size, size))[..., None]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx + np.sin(angle) * yy)[..., None]
    background = rng.integers(20, 235, 3).astype(np.float32) + (ramp - 0.5) * rng.uniform(-80, 80, 3)
    img = face * mask + background * (1 - mask)
    img = img * rng.uniform(0.7, 1.3) + (ramp - 0.5) * rng.uniform(-60, 60) + rng.normal(0, 12, img.shape)
    img = cv2.resize(np.clip(img, 0, 255).astype(np.uint8), (out_size, out_size), interpolation=cv2.INTER_LINEAR)
    ok, buf = cv2.imencode('.jpg', img[..., ::-1].copy())
    return buf.tobytes()


def make_faces(out, rng, ids=20, per_id=16, pairs=600, size=112):
    """insightface RecordIO of ``ids`` x ``per_id`` aligned ``size`` px faces and three verification
    ``.bin`` files of ``pairs`` new pairs each (half same identity), of the training identities (a closed set)."""
    from mobilebench.face.bin_format import write_bin
    from mobilebench.face.recordio import write_face_recordio
    root = osp.join(out, 'faces')
    os.makedirs(root, exist_ok=True)
    samples = [(_face(rng, i, out_size=size), i) for i in range(ids) for _ in range(per_id)]
    order = rng.permutation(len(samples))
    write_face_recordio(root, [samples[i] for i in order], image_size=(size, size))
    for name in ('lfw', 'cfp_fp', 'agedb_30'):
        images, issame = [], []
        for p in range(pairs):
            a = int(rng.integers(ids))
            same = p % 2 == 0
            b = a if same else int((a + rng.integers(1, ids)) % ids)
            images += [_face(rng, a, out_size=size), _face(rng, b, out_size=size)]
            issame.append(same)
        write_bin(osp.join(root, f'{name}.bin'), images, issame)


# ---------------------------------------------------------------------------------------------------------- re-ID
#: the clothes vocabulary: an identity is one combination (shirt hue, stripes, trousers, bag); test identities are
#: combinations no training identity wears, made of the same attributes (what lets re-ID generalise)
_REID_SHIRT_HUES = (0, 22, 45, 67, 90, 112, 135, 157)  # OpenCV hue (0..180)
_REID_TROUSERS_HUES = (10, 50, 100, 130, 170)  # OpenCV hue
_REID_PATTERNS = 3  # plain, horizontal stripes, vertical band
_REID_BAGS = (None, (30, 30, 200), (200, 200, 40))  # none, red, cyan


def _reid_identity(pid):
    """The fixed look of identity ``pid``: one combination of the clothes vocabulary (a fixed shuffle of all
    combinations, so identity k wears the same clothes in every run)."""
    combos = [(h, t, p, b) for h in range(len(_REID_SHIRT_HUES)) for t in range(len(_REID_TROUSERS_HUES))
              for p in range(_REID_PATTERNS) for b in range(len(_REID_BAGS))]
    h, t, p, b = combos[np.random.default_rng(5000).permutation(len(combos))[pid]]
    def hsv(hue, sat, val):
        return cv2.cvtColor(np.uint8([[[hue, sat, val]]]), cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)
    hue = _REID_SHIRT_HUES[h]
    return dict(shirt=hsv(hue, 210, 230), stripe=hsv((hue + 90) % 180, 210, 120),
                trousers=hsv(_REID_TROUSERS_HUES[t], 200, 150), hair=np.float32((30, 40, 60)), pattern=p,
                bag=0 if b == 0 else 1, bag_colour=np.float32(_REID_BAGS[b] or (0, 0, 0)))


def _reid_person(rng, pid, cam, h=128, w=64):
    """One detection box of identity ``pid`` seen by camera ``cam``: the identity is in the hues of its clothes;
    the per-image nuisances (grey textured background of random brightness, position, scale, mirroring, the
    camera's colour cast, strong lighting changes, noise) dominate the raw intensities, so an untrained network
    ranks poorly and training has to learn colour over brightness."""
    look = _reid_identity(pid)
    img = np.repeat(_background(rng, h, w).astype(np.float32).mean(2, keepdims=True), 3, axis=2)
    s = rng.uniform(0.85, 1.05)
    cx, top = w / 2 + rng.uniform(-6, 6), rng.uniform(2, 10)
    def box(x0, y0, x1, y1, colour):
        p0 = (int(cx + x0 * s), int(top + y0 * s))
        p1 = (int(cx + x1 * s), int(top + y1 * s))
        cv2.rectangle(img, p0, p1, colour.tolist(), -1)
    cv2.circle(img, (int(cx), int(top + 12 * s)), int(9 * s), (150., 170., 200.), -1)
    cv2.ellipse(img, (int(cx), int(top + 8 * s)), (int(9 * s), int(6 * s)), 0, 180, 360, look['hair'].tolist(), -1)
    box(-14, 22, 14, 66, look['shirt'])
    if look['pattern'] == 1:
        for y in range(26, 66, 8):
            box(-14, y, 14, y + 3, look['stripe'])
    elif look['pattern'] == 2:
        box(-4, 22, 4, 66, look['stripe'])
    box(-13, 66, -2, 112, look['trousers'])
    box(2, 66, 13, 112, look['trousers'])
    if look['bag']:
        side = 1 if look['bag'] == 1 else -1
        box(side * 14, 40, side * 22, 62, look['bag_colour'])
    if rng.random() < 0.5:
        img = img[:, ::-1]
    cast = np.array([(1.15, 1.0, 0.85), (0.85, 1.0, 1.15), (1.0, 1.1, 0.9), (0.9, 0.9, 1.1)][cam - 1], np.float32)
    img = img * cast * rng.uniform(0.5, 1.4) + rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_reid(out, rng, ids=20, train_per_id=8, test_ids=20):
    """Market-1501 layout (``bounding_box_train/``, ``query/``, ``bounding_box_test/``, names
    ``PPPP_cXsY_FFFFFF_NN.jpg``) of synthetic people seen by cameras 1-4: ``ids`` identities with
    ``train_per_id`` training boxes each; the first ``test_ids`` of them also have one query from each of
    cameras 1-4 twice (8 queries) and four new gallery boxes (cameras 1-4), and the gallery holds distractors (0000,
    background only) and junk boxes (-1, a cut-off person). The test identities are training identities
    seen in new boxes (a closed set, unlike Market-1501's disjoint identities): what a minute of CPU training
    from scratch can learn; generalising to unseen people needs the real dataset."""
    root = osp.join(out, 'market1501')
    frame = iter(range(1, 10 ** 6))

    def write(folder, pid, cam, img):
        os.makedirs(osp.join(root, folder), exist_ok=True)
        name = f'{"-1" if pid < 0 else f"{pid:04d}"}_c{cam}s1_{next(frame):06d}_01.jpg'
        cv2.imwrite(osp.join(root, folder, name), img, [cv2.IMWRITE_JPEG_QUALITY, 90])

    for pid in range(1, ids + 1):
        for k in range(train_per_id):
            cam = k % 4 + 1
            write('bounding_box_train', pid, cam, _reid_person(rng, pid, cam))
    for pid in range(1, test_ids + 1):
        for cam in (1, 2, 3, 4, 1, 2, 3, 4):
            write('query', pid, cam, _reid_person(rng, pid, cam))
        for cam in (1, 2, 3, 4):
            write('bounding_box_test', pid, cam, _reid_person(rng, pid, cam))
        junk = _reid_person(rng, pid, 3)[:40]
        write('bounding_box_test', -1, 3, cv2.resize(junk, (64, 128)))
        write('bounding_box_test', 0, int(rng.integers(1, 5)), _background(rng, 128, 64))

# ---------------------------------------------------------------------------------------------------------- imagenet
IMAGENET_DEMO_CLASSES = ('cross', 'diamond', 'disc', 'ring', 'square', 'triangle')
_IMAGENET_DEMO_COLOURS = ((40, 40, 220), (40, 200, 40), (220, 60, 40), (40, 200, 220), (200, 60, 200),
                          (200, 200, 60))  # BGR, one per class, jittered strongly (neighbours overlap)


def make_imagenet(out, rng, size=32, per_class=(40, 50)):
    """ImageNet layout (``imagenet/{train,val}/<class>/*.JPEG``, as mmpretrain reads it): one shape per image
    (the class) in its class colour jittered strongly, of random size and place, on a textured background with
    a clutter line and noise."""
    for split, n in zip(('train', 'val'), per_class):
        for c, cls in enumerate(IMAGENET_DEMO_CLASSES):
            folder = osp.join(out, 'imagenet', split, cls)
            os.makedirs(folder, exist_ok=True)
            for i in range(n):
                img = _background(rng, size, size)
                _clutter(img, rng, 1)
                colour = np.clip(np.array(_IMAGENET_DEMO_COLOURS[c]) + rng.integers(-60, 61, 3), 0, 255).tolist()
                r = int(rng.integers(size // 5, size // 2 - 3))
                cx, cy = (int(v) for v in rng.integers(r + 1, size - r - 1, 2))
                if cls == 'disc':
                    cv2.circle(img, (cx, cy), r, colour, -1)
                elif cls == 'ring':
                    cv2.circle(img, (cx, cy), r, colour, max(2, r // 3))
                elif cls == 'square':
                    cv2.rectangle(img, (cx - r, cy - r), (cx + r, cy + r), colour, -1)
                elif cls == 'triangle':
                    pts = np.array([[cx, cy - r], [cx - r, cy + r], [cx + r, cy + r]], np.int32)
                    cv2.fillPoly(img, [pts], colour)
                elif cls == 'diamond':
                    pts = np.array([[cx, cy - r], [cx + r, cy], [cx, cy + r], [cx - r, cy]], np.int32)
                    cv2.fillPoly(img, [pts], colour)
                else:
                    t = max(2, r // 2)
                    cv2.rectangle(img, (cx - r, cy - t // 2), (cx + r, cy + t // 2), colour, -1)
                    cv2.rectangle(img, (cx - t // 2, cy - r), (cx + t // 2, cy + r), colour, -1)
                img = np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
                cv2.imwrite(osp.join(folder, f'{cls}_{split}_{i:04d}.JPEG'), img, [cv2.IMWRITE_JPEG_QUALITY, 95])


def main(argv=None):
    parser = argparse.ArgumentParser(description='Write the synthetic demo datasets (real formats)')
    parser.add_argument('--out', default='data/demo')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--only', default='voc,pose,action,faces,reid,imagenet', help='comma-separated subset')
    args = parser.parse_args(argv)
    marker = osp.join(args.out, '.complete')
    if osp.exists(marker):
        os.unlink(marker)
    makers = dict(voc=make_voc, pose=make_pose, action=make_action, faces=make_faces, reid=make_reid,
                  imagenet=make_imagenet)
    wanted = [s.strip() for s in args.only.split(',') if s.strip()]
    for name in wanted:
        if name not in makers:
            raise SystemExit(f'--only: unknown part {name!r}; choose from {sorted(makers)}')
    for i, name in enumerate(wanted):
        sub = dict(voc='VOCdevkit', pose='coco_pose', action='hmdb51', faces='faces', reid='market1501',
                   imagenet='imagenet')[name]
        if osp.isdir(osp.join(args.out, sub)):
            shutil.rmtree(osp.join(args.out, sub))
        cv2.setRNGSeed(args.seed)
        makers[name](args.out, np.random.default_rng([args.seed, i]))
        print(f'demo data: {osp.join(args.out, sub)}')
    if wanted == list(makers):
        with open(marker, 'w') as f:
            f.write(f'seed={args.seed}\n')


if __name__ == '__main__':
    main()
