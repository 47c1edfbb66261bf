"""Placeholder replaced below."""

print("GUI: (not built yet)")
