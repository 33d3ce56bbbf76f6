"""Face alignment for unaligned inputs: insightface's 5-landmark similarity warp to 112x112."""
from __future__ import annotations

import warnings

import numpy as np


def align_face(img: np.ndarray, landmarks: np.ndarray, image_size: int = 112) -> np.ndarray:
    """Warp a face to insightface's ArcFace template (``insightface.utils.face_align.norm_crop``).

    Args:
        img: HxWx3 uint8 image (BGR or RGB; the channel order is kept).
        landmarks: (5, 2) points: left eye, right eye, nose, left and right mouth corners, in pixels.
        image_size: output size (112, or a multiple of 128 as insightface allows).

    Returns:
        ``image_size`` x ``image_size`` x 3 aligned face.
    """
    from insightface.utils import face_align
    lmk = np.asarray(landmarks, dtype=np.float32)
    if lmk.shape != (5, 2):
        raise ValueError(f'align_face: landmarks must have shape (5, 2), got {lmk.shape}')
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'align_face: expected an HxWx3 image, got shape {img.shape}')
    with warnings.catch_warnings():  # skimage 0.26: `estimate` deprecation inside insightface
        warnings.simplefilter('ignore', FutureWarning)
        return face_align.norm_crop(img, lmk, image_size=image_size)


def template_landmarks(image_size: int = 112) -> np.ndarray:
    """insightface's 5-point ArcFace template (``arcface_dst``) for ``image_size``."""
    from insightface.utils import face_align
    ratio = image_size / 112.0 if image_size % 112 == 0 else image_size / 128.0
    diff_x = 0.0 if image_size % 112 == 0 else 8.0 * ratio
    dst = face_align.arcface_dst * ratio
    dst[:, 0] += diff_x
    return dst
