"""The default policy, as data (default.toml, checked by policy.schema.json).

This module only makes the folder ship inside the wheel as checker.default_policy."""
