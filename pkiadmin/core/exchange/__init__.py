"""Partners: OpenPGP, partner records, trust packages, the fingerprint call and the trust store."""
