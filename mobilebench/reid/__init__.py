"""Person re-identification (HBONet Table 9's Market-1501 protocol) on mmdet's re-ID components.

Registered (scope ``mobilebench``): ``ReIDClassifier``, ``ReIDClsHead``, ``ReIDImgDataPreprocessor``,
``CrossEntropyLabelSmoothLoss``, ``Market1501Metric``, ``ClassifierWarmupHook``; the dataset
``Market1501Dataset`` lives in :mod:`mobilebench.datasets.market1501`.
"""
import mmdet.datasets.transforms  # noqa: F401  (registers PackReIDInputs and the image transforms)

from .hooks import ClassifierWarmupHook  # noqa: F401
from .metrics import Market1501Metric  # noqa: F401
from .models import CrossEntropyLabelSmoothLoss, ReIDClassifier, ReIDClsHead, ReIDImgDataPreprocessor  # noqa: F401
from .ranking import evaluate_ranking, pairwise_distance  # noqa: F401
