"""Config validation: a typed schema checked by Hydra at compose time, then range and name rules.

- :func:`register_schema`: the dataclass schema ``base_config`` that ``conf/config.yaml`` extends
  (called by :func:`bench.config.register_resolvers`), so wrong types and unknown keys fail
  while Hydra composes the config.
- :func:`validate_job_config`: everything checkable from the composed config alone (ranges,
  names, the model and task groups, eval split, slice keys); raises
  :class:`bench.errors.ConfigError` with one line naming the key, the value and what is allowed.
- :func:`check_slice_keys`: after the corpus is loaded, slice keys that no document carries.
"""

from bench.configschema.corpus_rules import check_slice_keys, declared_slice_keys, declared_splits, validate_slices
from bench.configschema.groups import validate_model, validate_task
from bench.configschema.job import validate_job_config, validate_top_level
from bench.configschema.schema import SCHEMA_NAME, JobConfig, register_schema

__all__ = [
    "SCHEMA_NAME", "JobConfig", "check_slice_keys", "declared_slice_keys", "declared_splits", "register_schema",
    "validate_job_config", "validate_model", "validate_slices", "validate_task", "validate_top_level",
]
