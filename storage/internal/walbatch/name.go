// Package walbatch registers a SQLite VFS that hands the kernel each
// commit's WAL frames with one write instead of two per page (see
// walbatch.c). The SQLite writer opens its connection with it; readers,
// which never write the WAL, keep the default VFS.
package walbatch

// Name is the VFS's name, for the "vfs" parameter of a SQLite URI.
const Name = "journey-walbatch"
