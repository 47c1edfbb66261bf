"""Qt-free domain: every rule, file format and crypto operation of pkiadmin."""
