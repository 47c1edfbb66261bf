"""Foundations every domain uses: errors, bundled resources, the version, atomic files, fingerprints, PDF, safe display, fault points."""
