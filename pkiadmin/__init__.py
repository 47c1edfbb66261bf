"""pkiadmin: the offline root CA workstation."""

__version__ = "0.1.0"
