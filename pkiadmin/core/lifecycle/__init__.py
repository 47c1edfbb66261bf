"""A CA's life after day one: adopting a CA made elsewhere (renewal, rollover and retirement
belong here too)."""
