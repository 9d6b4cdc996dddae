"""The rules library's one error: a value set or policy file it cannot use."""


class RulesError(ValueError):
    """A value-set file, policy file or rule-set choice is unusable; the message says why."""
