"""The ceremony wizard and its pages (root key, key use, token)."""
