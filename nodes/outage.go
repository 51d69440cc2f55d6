package nodes

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/journeyhq/journey/flows"
)

// Params of a channel's outage budget, on every message type.
const (
	paramAttempts    = "attempts"
	paramRetryWithin = "retry_within"
)

// Default outage budget: what a marketer expects of "try again a few
// times, then move on", short enough that a fallback channel still
// reaches the contact promptly.
const (
	defaultAttempts    = 3
	defaultRetryWithin = 2 * time.Minute
	// retryBase is the first pause after an outage; it doubles each time.
	retryBase = 10 * time.Second
)

// Budget bounds the tries of one channel while its vendor is unreachable
// or answers with a temporary error (5xx, 429, a timeout).
type Budget struct {
	// Attempts per channel ("attempts"; 0 means 3).
	Attempts int `json:"attempts,omitempty"`
	// RetryWithin is the time from the first try after which no new try
	// starts ("retry_within"; 0 means 2m).
	RetryWithin flows.Duration `json:"retry_within,omitempty"`
}

func (b Budget) attempts() int {
	if b.Attempts > 0 {
		return b.Attempts
	}
	return defaultAttempts
}

func (b Budget) within() time.Duration {
	if b.RetryWithin > 0 {
		return time.Duration(b.RetryWithin)
	}
	return defaultRetryWithin
}

// budgetParams are the params of Budget, for every message type.
func budgetParams() []flows.ParamSpec {
	one := 1.0
	return []flows.ParamSpec{
		{Name: paramAttempts, Label: "Tries per channel", Kind: flows.KindInteger, Default: defaultAttempts, Min: &one,
			Description: "How many times a channel is tried while its provider is down or answers with a temporary error; " +
				"then the message counts as failed and the next channel is tried, or the step goes on through Not sent.", Example: defaultAttempts},
		{Name: paramRetryWithin, Label: "Keep trying for", Kind: flows.KindDuration, Default: "2m",
			Description: "How long after the first try a channel may still be tried again; no try starts later.", Example: "2m"},
	}
}

// Tries are a channel's tries so far during an outage, kept between runs
// of the step.
type Tries struct {
	Count int       `json:"count"`
	First time.Time `json:"first"`
}

// outageError is a send the vendor could not take for now (unreachable,
// 5xx, 429, a timeout): retried within the step's Budget.
type outageError struct {
	provider string
	err      error
}

func (e *outageError) Error() string { return fmt.Sprintf("%s: %v", e.provider, e.err) }
func (e *outageError) Unwrap() error { return e.err }

// deliverWithin is deliver under an outage budget. When the vendor is
// down it returns a zero Attempt and retry, when to try again; once the
// budget is spent the message is marked failed with the vendor's last
// answer and the attempt ends failed.
func deliverWithin(ctx context.Context, in *Input, c content, b Budget, t *Tries) (a Attempt, until, retry time.Time, err error) {
	a, until, err = deliver(ctx, in, c)
	var oe *outageError
	if !errors.As(err, &oe) {
		if err == nil {
			*t = Tries{}
		}
		return a, until, time.Time{}, err
	}
	now := in.Now()
	if t.Count == 0 {
		t.First = now
	}
	t.Count++
	next := now.Add(pause(t.Count, oe.err))
	deadline := t.First.Add(b.within())
	if t.Count < b.attempts() && !next.After(deadline) {
		return a, time.Time{}, next, nil
	}
	a.Status = StatusFailed
	a.Reason = fmt.Sprintf("%s could not take the message after %d %s in %s; its last answer: %v",
		oe.provider, t.Count, plural(t.Count, "try", "tries"), now.Sub(t.First).Round(time.Second), oe.err)
	// A vendor timeout may have used up ctx: the failure is still recorded.
	if uerr := in.Channels.Update(context.WithoutCancel(ctx), a.MessageID, MessageUpdate{Status: StatusFailed, Reason: a.Reason}); uerr != nil {
		return a, time.Time{}, time.Time{}, fmt.Errorf("update the message: %w", uerr)
	}
	*t = Tries{}
	return a, time.Time{}, time.Time{}, nil
}

// pause is the wait before try n+1: doubling from retryBase with ±20%
// jitter (so that many messages do not retry in step), and never shorter
// than a vendor's Retry-After.
func pause(n int, err error) time.Duration {
	d := retryBase << min(n-1, 16)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.After > d {
		d = ra.After
	}
	return d
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// retryOutput describes, for the run detail, a try that will be repeated.
func retryOutput(a Attempt, t Tries, b Budget, next time.Time) map[string]any {
	return map[string]any{"channel": a.Channel, "status": "retrying", "message_id": a.MessageID,
		"reason": fmt.Sprintf("The %s provider could not take the message (try %d of %d); trying again at %s.",
			a.Channel, t.Count, b.attempts(), next.UTC().Format(time.RFC3339)),
		"until": next}
}
