"""The error every connector configuration raises when it cannot work."""


class ConfigError(ValueError):
    """Configuration that cannot work; the message says what to set."""
