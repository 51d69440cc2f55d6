-- Server settings (e.g. the demo marker).
CREATE TABLE settings (
    name text,
    value text NOT NULL,
    updated_at datetime NOT NULL,
    PRIMARY KEY (name)
);
