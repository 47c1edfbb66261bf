"""Key-use ceremonies (sign an intermediate, sign a CRL) with the offline root key."""
