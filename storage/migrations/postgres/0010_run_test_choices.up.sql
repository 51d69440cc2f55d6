-- What the tester chose happens at the steps of a test run.
ALTER TABLE runs ADD COLUMN test_choices text;
