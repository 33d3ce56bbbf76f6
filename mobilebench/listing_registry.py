"""A Registry whose unknown-key error names the registry and lists what is registered.

mmengine's own message (``'Nope is not in the mmdet::model registry'``) does not say what *is*
available, which is the first thing a user adding a backbone needs to know.
"""
from __future__ import annotations

import difflib

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
