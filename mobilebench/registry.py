"""The suite's registries: children of mmengine's root registries with scope ``mobilebench``.

Configs of any toolbox reference the suite's components as ``type='mobilebench.X'`` (mmengine imports
``mobilebench.registry`` on the prefix and then the ``locations``); a config whose ``default_scope`` is
``'mobilebench'`` (face recognition) uses the bare names.
"""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS

from backbones.registry import ListingRegistry as Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, scope='mobilebench',
                  locations=['mobilebench.models', 'mobilebench.face', 'mobilebench.reid',
                             'mobilebench.classification'])
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope='mobilebench',
                    locations=['mobilebench.datasets', 'mobilebench.face', 'mobilebench.classification'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope='mobilebench',
                      locations=['mobilebench.datasets', 'mobilebench.face'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, scope='mobilebench',
                   locations=['mobilebench.face', 'mobilebench.reid'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='mobilebench',
                 locations=['mobilebench.hooks', 'mobilebench.reid'])
