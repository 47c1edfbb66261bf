"""Work that upper layers ask to run in a schema upgrade's transaction (the inventory refills the
columns an upgrade added), registered here so the workspace never imports them. A light module:
registering a hook loads nothing of the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

AFTER_UPGRADE: list[Callable[[Database], object]] = []


def after_upgrade(fill: Callable[[Database], object]) -> None:
    """Run `fill` in the upgrade's transaction when a migration asks for derived columns to be
    refilled."""
    if fill not in AFTER_UPGRADE:
        AFTER_UPGRADE.append(fill)
