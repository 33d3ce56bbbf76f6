"""The registry of the backbone package: a child of mmengine's root ``MODELS`` with scope ``backbones``.

Because the scope is the package name, any mmdet, mmpose or mmaction2 config can say
``type='backbones.AsymmNet'``: on a prefixed key mmengine imports ``backbones.registry``, finds this child under
the root and imports its ``locations`` (the ``backbones`` package) on first use, so no ``custom_imports`` is
needed for the backbones themselves. :class:`ListingRegistry` (also used by the ``mobilebench`` registries)
makes an unknown name fail with the list of registered names.
"""
from __future__ import annotations

import difflib

from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import Registry


class ListingRegistry(Registry):
    """``Registry`` that raises a KeyError listing the registered names for an unknown key."""

    def get(self, key):
        obj = super().get(key)
        if obj is not None or not isinstance(key, str):
            return obj
        scope, real_key = self.split_scope_key(key)
        if scope not in (None, self.scope):
            return obj
        names = sorted(self.module_dict)
        close = difflib.get_close_matches(real_key, names, n=3)
        hint = f' Did you mean {", ".join(repr(f"{self.scope}.{c}") for c in close)}?' if close else ''
        raise KeyError(f'{real_key!r} is not in the {self.scope}::{self.name} registry. Registered in '
                       f'{self.scope}::{self.name}: {", ".join(names) or "(nothing)"}.{hint} A new component must '
                       f'be decorated with @{self.scope}.registry.{self.name.upper()}S.register_module() in a module '
                       f'imported by the {self.scope!r} package.')

    def __contains__(self, key):
        try:
            return self.get(key) is not None
        except KeyError:
            return False


MODELS = ListingRegistry('model', parent=MMENGINE_MODELS, scope='backbones', locations=['backbones'])
