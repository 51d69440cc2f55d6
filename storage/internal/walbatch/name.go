// Package walbatch registers a SQLite VFS that hands the kernel each
// commit's WAL frames with one write instead of two per page, and reads
// the WAL 64 KiB at a time instead of a read per frame (see walbatch.c).
// The SQLite writer and the checkpointer open their connections with it;
// readers keep the default VFS.
package walbatch

// Name is the VFS's name, for the "vfs" parameter of a SQLite URI.
const Name = "journey-walbatch"
