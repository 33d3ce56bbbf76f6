"""mobilebench.evaluation: lazily imported by the `mobilebench` registries (`locations` in mobilebench/registry.py).

Created so that Runners with `default_scope='mobilebench'` can build hooks/evaluators (the registry imports this
package); add the suite's evaluation components here."""
