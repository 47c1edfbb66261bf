"""Private keys: encrypted key files (PBES2), PKCS#11 tokens, signers, custodian shares, passphrase rules."""
