"""Certificates and CSRs as data: TBS building, names, fields, descriptions, key identifiers, profiles, lint."""
