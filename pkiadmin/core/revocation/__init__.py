"""Revocation: revocation records, CRL signing and the CRL calendar."""
