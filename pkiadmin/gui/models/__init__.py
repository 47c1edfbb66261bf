"""Qt item models over the inventory and the overview."""
