"""backend-api-patterns: a skill pack and the engine that puts its patterns in front of you.

Import nothing heavy here: ``bap suggest`` and the hooks load this package on every prompt.
"""

__version__ = "0.1.0"
