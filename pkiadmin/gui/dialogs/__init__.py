"""Dialogs opened from the sections and menus."""
