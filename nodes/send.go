package nodes

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// sendState is what message.send keeps between its runs while it waits
// (quiet hours, a frequency cap delay, or a delivery receipt).
type sendState struct {
	// Index is the channel being tried.
	Index int `json:"index"`
	// Attempts are the finished attempts, in order.
	Attempts []Attempt `json:"attempts"`
	// Waiting is the attempt whose delivery receipt is awaited.
	Waiting *Attempt `json:"waiting,omitempty"`
	// Until is when the receipt wait ends.
	Until time.Time `json:"until"`
	// Tries are the current channel's tries during an outage.
	Tries Tries `json:"tries"`
}

// Delivery receipt event types that end a receipt wait, per outcome.
var (
	receiptDelivered = []string{"delivered", "read", "opened", "clicked"}
	receiptFailed    = []string{"failed", "undelivered", "bounced"}
)

// receiptEvents lists the event types a receipt wait on channel listens for.
func receiptEvents(channel string) (first string, rest []string) {
	for _, s := range append(slices.Clone(receiptDelivered), receiptFailed...) {
		if first == "" {
			first = channel + "." + s
			continue
		}
		rest = append(rest, channel+"."+s)
	}
	return first, rest
}

func runSend(ctx context.Context, in *Input, p *SendParams) (Result, error) {
	var st sendState
	if in.Resume != nil && len(in.Resume.State) > 0 {
		if err := json.Unmarshal(in.Resume.State, &st); err != nil {
			return Result{}, Permanentf("the step's saved progress could not be read: %w", err)
		}
	}
	if st.Waiting != nil {
		res, done, err := receipt(in, &st)
		if err != nil || done {
			return res, err
		}
	}
	v, err := render(in, sendTemplates...)
	if err != nil {
		return Result{}, err
	}
	budget := Budget{Attempts: p.Attempts, RetryWithin: p.RetryWithin}
	for ; st.Index < len(p.Channels); st.Index++ {
		channel := p.Channels[st.Index]
		a, until, retry, err := deliverWithin(ctx, in, sendContent(in, p, v, channel), budget, &st.Tries)
		if err != nil {
			return Result{}, err
		}
		if !retry.IsZero() {
			res, err := st.wait(Wait{Until: retry}, a)
			if err == nil {
				res.Output["current"] = retryOutput(a, st.Tries, budget, retry)
			}
			return res, err
		}
		if a.Status == StatusFailed && ctx.Err() != nil {
			// The provider used up the step's time: try the next channel in
			// a fresh run of the step, with time of its own.
			st.Attempts = append(st.Attempts, a)
			st.Index++
			return st.wait(Wait{Until: in.Now()}, a)
		}
		switch a.Status {
		case StatusDelayed:
			return st.wait(Wait{Until: until}, a)
		case StatusSent, StatusSandboxed:
			if p.DeliveryTimeout <= 0 {
				st.Attempts = append(st.Attempts, a)
				return st.result(PortSent), nil
			}
			first, rest := receiptEvents(channel)
			st.Until = in.Now().Add(time.Duration(p.DeliveryTimeout))
			st.Waiting = &a
			return st.wait(Wait{Until: st.Until, Event: first, Events: rest}, a)
		case "delivered", "opened", "clicked", "read":
			st.Attempts = append(st.Attempts, a)
			return st.result(PortSent), nil
		}
		st.Attempts = append(st.Attempts, a) // skipped or failed: next channel
	}
	return st.result(PortFailed), nil
}

// sendTemplates are the params message.send renders, in sendContent's order.
var sendTemplates = []string{paramSubject, paramBody, paramHTML}

// sendContent is message.send's message on one channel.
func sendContent(in *Input, p *SendParams, v []string, channel string) content {
	creds := map[string]string{ChannelEmail: p.EmailCredential, ChannelSMS: p.SMSCredential, ChannelWhatsApp: p.WhatsAppCredential}
	c := content{channel: channel, key: in.Key + ":" + channel, credentialID: creds[channel],
		subject: strings.TrimSpace(v[0]), text: v[1], track: true,
		template: strings.TrimSpace(p.TemplateName), language: cmpOr(strings.TrimSpace(p.TemplateLanguage), "en")}
	if channel == ChannelEmail {
		c.html = v[2]
		if c.subject == "" {
			c.subject = firstLine(v[1])
		}
	}
	return c
}

// receipt handles the end of a delivery receipt wait. done means the
// step's result is decided (delivered, or still waiting).
func receipt(in *Input, st *sendState) (Result, bool, error) {
	a := *st.Waiting
	r := in.Resume
	if !r.TimedOut && r.Event != nil {
		id, _ := r.Event.Data["message_id"].(string)
		kind := strings.TrimPrefix(r.Event.Type, a.Channel+".")
		switch {
		case id != a.MessageID:
			// A receipt of another message: keep waiting for ours.
			first, rest := receiptEvents(a.Channel)
			res, err := st.wait(Wait{Until: st.Until, Event: first, Events: rest}, a)
			return res, true, err
		case slices.Contains(receiptDelivered, kind):
			a.Status, a.Reason = kind, "Delivery confirmed ("+r.Event.Type+")."
			st.Attempts, st.Waiting = append(st.Attempts, a), nil
			return st.result(PortSent), true, nil
		default:
			a.Status = "not_delivered"
			a.Reason = fmt.Sprintf("The provider reported %s.", r.Event.Type)
			if msg, _ := r.Event.Data["reason"].(string); msg != "" {
				a.Reason += " " + msg
			}
		}
	} else {
		a.Status = "not_delivered"
		a.Reason = fmt.Sprintf("No delivery receipt arrived by %s.", st.Until.UTC().Format(time.RFC3339))
	}
	st.Attempts, st.Waiting = append(st.Attempts, a), nil
	st.Index++
	return Result{}, false, nil
}

// wait pauses the step; it runs again, with this state, when w ends.
func (st *sendState) wait(w Wait, current Attempt) (Result, error) {
	w.Reenter = true
	b, err := json.Marshal(st)
	if err != nil {
		return Result{}, fmt.Errorf("save the step's progress: %w", err)
	}
	w.State = b
	out := st.output()
	out["current"] = current.output()
	out["until"] = w.Until
	if w.Event != "" {
		out["waiting_for"] = "a delivery receipt"
	}
	return Result{Wait: &w, Output: out}, nil
}

func (st *sendState) output() map[string]any {
	attempts := make([]map[string]any, 0, len(st.Attempts))
	for _, a := range st.Attempts {
		attempts = append(attempts, a.output())
	}
	return map[string]any{"attempts": attempts}
}

func (st *sendState) result(port string) Result {
	out := st.output()
	if port == PortSent && len(st.Attempts) > 0 {
		last := st.Attempts[len(st.Attempts)-1]
		out["channel"], out["message_id"], out["status"] = last.Channel, last.MessageID, last.Status
	} else {
		out["status"] = "not_sent"
		out["reason"] = "No channel could take the message."
	}
	return Result{Port: port, Output: out}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
