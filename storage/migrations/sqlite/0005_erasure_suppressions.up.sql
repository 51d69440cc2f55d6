-- Hashes of erased identities, so that an erased contact is not created again.
CREATE TABLE erased_identities (
    hash text,
    kind text NOT NULL,
    created_at datetime NOT NULL,
    PRIMARY KEY (hash)
);
