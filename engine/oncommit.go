package engine

// onCommit collects what to do once a transaction commits: metrics and
// logs of what it wrote, and waking the workers for jobs it made due. A
// transaction that may run again (a group-committed request, a worker's
// chunk) must not report twice, nor report what rolled back.
type onCommit struct{ fns []func() }

// add queues f; with no collector (nil) f runs at once.
func (c *onCommit) add(f func()) {
	if c == nil {
		f()
		return
	}
	c.fns = append(c.fns, f)
}

// reset starts over, for a transaction run again.
func (c *onCommit) reset() { c.fns = c.fns[:0] }

// run does everything queued, once the transaction committed.
func (c *onCommit) run() {
	for _, f := range c.fns {
		f()
	}
}
