-- Server settings (e.g. the demo marker).
CREATE TABLE settings (
    name varchar(100) NOT NULL,
    value text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (name)
);
