-- Hashes of erased identities, so that an erased contact is not created again.
CREATE TABLE erased_identities (
    hash varchar(64) NOT NULL,
    kind varchar(8) NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (hash)
);
