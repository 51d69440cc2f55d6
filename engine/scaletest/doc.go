// Package scaletest holds end-to-end tests of the built binary under
// scale-out and faults: several serve processes on one PostgreSQL
// database, SIGKILLs while thousands of runs are in flight, a vendor that
// fails for a while and a database that refuses connections. The tests
// start real processes on loopback only; -short skips them all. They have
// no time limit: a test fails when its webhooks or runs stop progressing
// (see engine/testwait). The PostgreSQL ones skip without
// TEST_POSTGRES_DSN. The package has no code of its own: everything is in
// its _test.go files.
package scaletest
