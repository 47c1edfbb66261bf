"""Witnessed ceremonies: the shared step runner, the ceremony store, pre-flight checks and plan rules."""
