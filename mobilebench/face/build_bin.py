"""Build an insightface verification ``.bin`` from ordinary photos and a same/different pairs list.

The verification protocol compares *aligned* faces: insightface's ``.bin`` files (lfw, cfp_fp,
agedb_30) hold 112x112 crops warped so that the eyes, nose and mouth corners sit on the ArcFace
template. Photos straight from a camera or the web are not aligned, so the alignment step is explicit
here; every image gets exactly one :data:`METHODS` entry, reported per image:

- ``landmarks``: 5 given points (left eye, right eye, nose, left / right mouth corner, in pixels, the
  eye on the image's left first) -> similarity warp to the template (:func:`~.align.align_face`);
- ``detector``: the 5 points of the most prominent face found by a *local* insightface RetinaFace /
  SCRFD ONNX file (``insightface.model_zoo.get_model(path)``, run with onnxruntime; nothing is
  downloaded) -> the same warp;
- ``box``: a given face box -> a square crop around it, resized. Scale and position follow the box,
  but the face is **not** rotated or landmark-aligned;
- ``resize``: the whole image resized to ``image_size`` x ``image_size``; **not aligned**;
- ``as-is``: with ``align='none'``, an image that already has the output size is stored byte for
  byte (an already aligned face).

Inputs (CSV files with a header row; image paths relative to the image folder):

- pairs: ``path_a,path_b,same`` with ``same`` 1 (same identity) or 0 (different identities);
- landmarks: ``path`` + 10 numbers (x, y of the 5 points in the order above);
- boxes: ``path,x1,y1,x2,y2`` (pixels, corners).

Output: ``pickle.dump((bins, issame_list), f, protocol=pickle.HIGHEST_PROTOCOL)`` with ``bins`` the
``2N`` encoded images (``bytes``; pair ``i`` = ``bins[2i], bins[2i+1]``) and ``issame_list`` ``N``
Python bools: the layout insightface's ``load_bin`` reads and its packing scripts write.
"""
from __future__ import annotations

import csv
import os.path as osp
import pickle
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: how an image was turned into the stored face (see the module docstring)
METHODS = ('landmarks', 'detector', 'box', 'resize', 'as-is')
ALIGNED_METHODS = ('landmarks', 'detector')
ALIGN_MODES = ('landmarks', 'boxes', 'detector', 'none')
LANDMARK_FIELDS = ('left_eye_x', 'left_eye_y', 'right_eye_x', 'right_eye_y', 'nose_x', 'nose_y',
                   'mouth_left_x', 'mouth_left_y', 'mouth_right_x', 'mouth_right_y')
BOX_FIELDS = ('x1', 'y1', 'x2', 'y2')
PAIR_FIELDS = ('path_a', 'path_b', 'same')


class FaceBinInputError(ValueError):
    """A pairs / landmarks / boxes file or an image is unusable (the message names file, line and field)."""


@dataclass
class Pair:
    path_a: str
    path_b: str
    same: bool
    line: int


@dataclass
class FaceRecord:
    """What happened to one image."""
    path: str
    method: str
    detail: str = ''


@dataclass
class BuildReport:
    """Outcome of :func:`build_verification_bin`."""
    out: str
    num_pairs: int
    num_same: int
    records: Dict[str, FaceRecord] = field(default_factory=dict)

    def counts(self) -> Dict[str, int]:
        out = {m: 0 for m in METHODS}
        for r in self.records.values():
            out[r.method] += 1
        return {m: n for m, n in out.items() if n}

    @property
    def not_aligned(self) -> List[str]:
        return sorted(p for p, r in self.records.items() if r.method not in ALIGNED_METHODS + ('as-is', ))

    def summary(self) -> str:
        counts = ', '.join(f'{n} {m}' for m, n in self.counts().items())
        lines = [f'{self.out}: {self.num_pairs} pairs ({self.num_same} same, {self.num_pairs - self.num_same} '
                 f'different), {len(self.records)} distinct images: {counts}']
        aligned = sum(1 for r in self.records.values() if r.method in ALIGNED_METHODS)
        lines.append(f'  aligned to the ArcFace 5-point template: {aligned} of {len(self.records)}')
        if self.not_aligned:
            how = {r.method for p, r in self.records.items() if p in self.not_aligned}
            lines.append(f'  NOT aligned ({" / ".join(sorted(how))}): {len(self.not_aligned)} images; verification '
                         f'accuracy on unaligned faces is not comparable with published LFW figures')
        as_is = sum(1 for r in self.records.values() if r.method == 'as-is')
        if as_is:
            lines.append(f'  stored as given (already {as_is} faces of the output size, assumed aligned): {as_is}')
        if self.num_pairs < 10:
            lines.append(f'  WARNING: {self.num_pairs} pairs; the 10-fold protocol needs at least 10')
        return '\n'.join(lines)


# ----------------------------------------------------------------------------- CSV readers
def _read_csv(path: str, fields: Sequence[str], what: str) -> List[Tuple[int, Dict[str, str]]]:
    """``[(line number, row), ...]`` of a CSV whose header must contain ``fields``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} file {path!r} does not exist')
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [name for name in fields if name not in header]
        if missing:
            raise FaceBinInputError(f'{path}, line 1: the header {header} lacks the column(s) {missing}; a {what} '
                                    f'CSV starts with the header "{",".join(fields)}"')
        reader.fieldnames = header
        rows = []
        for row in reader:
            if not any((v or '').strip() for v in row.values() if isinstance(v, str)):
                continue
            rows.append((reader.line_num, {k: (row.get(k) or '').strip() for k in header}))
    if not rows:
        raise FaceBinInputError(f'{path}: no rows after the header; the {what} CSV is empty')
    return rows


def read_pairs(path: str) -> List[Pair]:
    """Pairs CSV ``path_a,path_b,same`` (``same`` = 1 or 0)."""
    pairs = []
    for line, row in _read_csv(path, PAIR_FIELDS, 'pairs'):
        for name in ('path_a', 'path_b'):
            if not row[name]:
                raise FaceBinInputError(f'{path}, line {line}, field {name}: empty; give an image path relative to '
                                        f'the image folder')
        if row['same'] not in ('0', '1'):
            raise FaceBinInputError(f'{path}, line {line}, field same: {row["same"]!r}; must be 1 (same identity) '
                                    f'or 0 (different identities)')
        pairs.append(Pair(row['path_a'], row['path_b'], row['same'] == '1', line))
    return pairs


def _read_numbers(path: str, fields: Sequence[str], what: str) -> Dict[str, Tuple[np.ndarray, int]]:
    out = {}
    for line, row in _read_csv(path, ('path', ) + tuple(fields), what):
        values = []
        for name in fields:
            try:
                v = float(row[name])
            except ValueError:
                raise FaceBinInputError(f'{path}, line {line}, field {name}: {row[name]!r} is not a number '
                                        f'(pixels)') from None
            if not np.isfinite(v):
                raise FaceBinInputError(f'{path}, line {line}, field {name}: {row[name]!r} is not finite')
            values.append(v)
        key = osp.normpath(row['path'])
        if key in out:
            raise FaceBinInputError(f'{path}, line {line}, field path: {row["path"]!r} already has a row (line '
                                    f'{out[key][1]}); give one {what} row per image')
        out[key] = (np.array(values, np.float32), line)
    return out


def read_landmarks(path: str) -> Dict[str, Tuple[np.ndarray, int]]:
    """Landmarks CSV -> ``{normalised image path: ((5, 2) points, line)}``."""
    return {k: (v.reshape(5, 2), line) for k, (v, line) in _read_numbers(path, LANDMARK_FIELDS, 'landmarks').items()}


def read_boxes(path: str) -> Dict[str, Tuple[np.ndarray, int]]:
    """Boxes CSV -> ``{normalised image path: ((x1, y1, x2, y2), line)}``; a box must have a positive area."""
    boxes = _read_numbers(path, BOX_FIELDS, 'boxes')
    for key, (box, line) in boxes.items():
        if box[2] <= box[0] or box[3] <= box[1]:
            raise FaceBinInputError(f'{path}, line {line}, fields x1,y1,x2,y2: {box.tolist()} is not a box (need '
                                    f'x2 > x1 and y2 > y1, corners in pixels)')
    return boxes


# ----------------------------------------------------------------------------- alignment
def box_crop(img: np.ndarray, box: np.ndarray, image_size: int = 112) -> np.ndarray:
    """Square crop of side ``max(w, h)`` centred on ``box``, resized to ``image_size`` (outside: black)."""
    import cv2
    x1, y1, x2, y2 = [float(v) for v in box]
    side = max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    scale = image_size / side
    m = np.array([[scale, 0, image_size / 2 - scale * cx], [0, scale, image_size / 2 - scale * cy]], np.float32)
    return cv2.warpAffine(img, m, (image_size, image_size), flags=cv2.INTER_LINEAR, borderValue=0.0)


class LocalFaceDetector:
    """An insightface RetinaFace / SCRFD ONNX file on disk, run with onnxruntime on the CPU.

    Args:
        model_path: the ``.onnx`` file (e.g. ``det_10g.onnx`` of insightface's ``buffalo_l`` pack, copied
            by hand); nothing is ever downloaded.
        input_size: detector input size.
        det_thresh: score threshold.
    """

    def __init__(self, model_path: str, input_size: Tuple[int, int] = (640, 640), det_thresh: float = 0.5):
        if not osp.isfile(model_path):
            raise FileNotFoundError(f'--detector {model_path!r} does not exist; give the path of a local insightface '
                                    f'RetinaFace/SCRFD .onnx file (e.g. det_10g.onnx from the buffalo_l pack), or '
                                    f'use --landmarks / --boxes / --no-align')
        from insightface.model_zoo import model_zoo
        try:
            model = model_zoo.get_model(model_path, providers=['CPUExecutionProvider'])
        except Exception as exc:
            raise FaceBinInputError(f'--detector {model_path!r}: onnxruntime / insightface cannot load it '
                                    f'({type(exc).__name__}: {exc})') from exc
        if model is None or not hasattr(model, 'detect'):
            raise FaceBinInputError(f'--detector {model_path!r} is not a face detector insightface recognises '
                                    f'(got {type(model).__name__}); it must be a RetinaFace / SCRFD ONNX model with '
                                    f'landmark outputs')
        model.prepare(ctx_id=-1, input_size=tuple(input_size), det_thresh=det_thresh)
        if not getattr(model, 'use_kps', True):
            raise FaceBinInputError(f'--detector {model_path!r} predicts boxes without the 5 landmarks; use a '
                                    f'model with keypoints (e.g. det_10g.onnx, scrfd_*_kps)')
        self.model = model
        self.input_size = tuple(input_size)

    def landmarks(self, img: np.ndarray) -> Optional[Tuple[np.ndarray, float]]:
        """``((5, 2) points, score)`` of the largest, most central face, or ``None`` without a face."""
        det, kpss = self.model.detect(img, input_size=self.input_size, max_num=1, metric='default')
        if det is None or len(det) == 0 or kpss is None:
            return None
        return np.asarray(kpss[0], np.float32), float(det[0, 4])


def _encode(img: np.ndarray, ext: str, path: str) -> bytes:
    import cv2
    ok, buf = cv2.imencode(ext, img, [int(cv2.IMWRITE_JPEG_QUALITY), 95] if ext == '.jpg' else [])
    if not ok:
        raise RuntimeError(f'could not encode the face of {path} as {ext}')
    return buf.tobytes()


def build_verification_bin(image_root: str, pairs_csv: str, out: str, align: str,
                           landmarks_csv: Optional[str] = None, boxes_csv: Optional[str] = None,
                           detector: Optional[str] = None, image_size: int = 112, encoding: str = 'jpg',
                           report_csv: Optional[str] = None) -> BuildReport:
    """Build ``out`` (an insightface verification ``.bin``) from photos and a pairs CSV.

    Args:
        image_root: folder the paths of the CSV files are relative to.
        pairs_csv: ``path_a,path_b,same`` rows.
        out: the ``.bin`` to write (atomically).
        align: ``'landmarks'`` (needs ``landmarks_csv``), ``'boxes'`` (``boxes_csv``), ``'detector'``
            (``detector``: local ONNX path) or ``'none'`` (resize only; images already of size
            ``image_size`` are stored as they are).
        image_size: output face size (112 for ArcFace models).
        encoding: ``'jpg'`` (quality 95, as insightface's files) or ``'png'`` (lossless).
        report_csv: where to write ``path,method,detail`` per image (default ``<out>.alignment.csv``).

    Returns:
        :class:`BuildReport` (``summary()`` says what was and was not aligned).

    Raises:
        FaceBinInputError / FileNotFoundError: a CSV row or an image is unusable; the message names the
            file, the line and the field.
    """
    import cv2
    if align not in ALIGN_MODES:
        raise ValueError(f'align={align!r}; expected one of {ALIGN_MODES}')
    needed = dict(landmarks=('landmarks_csv', landmarks_csv), boxes=('boxes_csv', boxes_csv),
                  detector=('detector', detector)).get(align)
    if needed and not needed[1]:
        raise ValueError(f'align={align!r} needs {needed[0]}')
    if encoding not in ('jpg', 'png'):
        raise ValueError(f'encoding={encoding!r}; expected jpg or png')
    if not osp.isdir(image_root):
        raise FileNotFoundError(f'image folder {image_root!r} does not exist')
    pairs = read_pairs(pairs_csv)
    points = read_landmarks(landmarks_csv) if align == 'landmarks' else {}
    boxes = read_boxes(boxes_csv) if align == 'boxes' else {}
    det = LocalFaceDetector(detector) if align == 'detector' else None

    # every distinct image once, in order of first use; where it is first referenced, for the messages
    refs: Dict[str, str] = {}
    for p in pairs:
        for name in ('path_a', 'path_b'):
            key = osp.normpath(getattr(p, name))
            refs.setdefault(key, f'{pairs_csv}, line {p.line}, field {name}')
    for key, ref in refs.items():
        if osp.isabs(key) or key.startswith('..'):
            raise FaceBinInputError(f'{ref}: {key!r} must be relative to the image folder {image_root}')
        if not osp.isfile(osp.join(image_root, key)):
            raise FileNotFoundError(f'{ref}: image {key!r} not found under {image_root}')
        if align == 'landmarks' and key not in points:
            raise FaceBinInputError(f'{ref}: {key!r} has no row in the landmarks file {landmarks_csv}; add its 5 '
                                    f'points, or build with --boxes / --detector / --no-align')
        if align == 'boxes' and key not in boxes:
            raise FaceBinInputError(f'{ref}: {key!r} has no row in the boxes file {boxes_csv}; add its box')

    report = BuildReport(out=out, num_pairs=len(pairs), num_same=sum(p.same for p in pairs))
    faces: Dict[str, bytes] = {}
    ext = '.' + encoding
    try:
        from rich.progress import track
    except ImportError:  # pragma: no cover
        def track(it, **_):
            return it
    for key in track(list(refs), description=f'aligning ({align})', transient=True):
        path = osp.join(image_root, key)
        with open(path, 'rb') as f:
            raw = f.read()
        img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise FaceBinInputError(f'{refs[key]}: {path} cannot be decoded as an image ({len(raw)} bytes); '
                                    f're-export it as JPEG or PNG')
        h, w = img.shape[:2]
        if align == 'landmarks':
            lmk, line = points[key]
            from .align import align_face
            face, rec = align_face(img, lmk, image_size), FaceRecord(key, 'landmarks', f'{landmarks_csv}:{line}')
        elif align == 'detector':
            found = det.landmarks(img)
            if found is None:
                raise FaceBinInputError(f'{refs[key]}: the detector {detector} found no face in {path}; give its '
                                        f'landmarks or box instead, or drop the pair')
            lmk, score = found
            from .align import align_face
            face, rec = align_face(img, lmk, image_size), FaceRecord(key, 'detector', f'score {score:.3f}')
        elif align == 'boxes':
            box, line = boxes[key]
            face, rec = box_crop(img, box, image_size), FaceRecord(key, 'box', f'{boxes_csv}:{line}')
        elif (h, w) == (image_size, image_size):
            faces[key] = raw
            report.records[key] = FaceRecord(key, 'as-is', f'{w}x{h}')
            continue
        else:
            face = cv2.resize(img, (image_size, image_size), interpolation=cv2.INTER_AREA)
            rec = FaceRecord(key, 'resize', f'{w}x{h} -> {image_size}x{image_size}'
                             + (' (aspect ratio changed)' if w != h else ''))
        faces[key] = _encode(face, ext, path)
        report.records[key] = rec

    bins = [faces[osp.normpath(getattr(p, name))] for p in pairs for name in ('path_a', 'path_b')]
    issame = [bool(p.same) for p in pairs]
    _atomic_pickle(out, (bins, issame))
    report_csv = report_csv or out + '.alignment.csv'
    _write_report(report_csv, report)
    return report


def _atomic_pickle(path: str, obj) -> None:
    from ..fileio import atomic_write_bytes
    atomic_write_bytes(path, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _write_report(path: str, report: BuildReport) -> None:
    import io

    from ..fileio import atomic_write_text
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(['path', 'method', 'aligned', 'detail'])
    for key, rec in report.records.items():
        aligned = 'yes' if rec.method in ALIGNED_METHODS else ('given' if rec.method == 'as-is' else 'no')
        writer.writerow([key, rec.method, aligned, rec.detail])
    atomic_write_text(path, buf.getvalue())
