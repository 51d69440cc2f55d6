package flows

import (
	"fmt"
	"slices"
)

// Messaging holds the policies every message step of a flow obeys. All of
// it is optional: without it, a message goes out at once unless the
// contact refused the channel.
type Messaging struct {
	// RequireConsent sends only to contacts whose consent for the channel
	// is recorded as true; by default a message is sent unless the contact
	// refused the channel (e.g. unsubscribed).
	RequireConsent bool `json:"require_consent,omitempty"`
	// QuietHours is a daily period in the contact's time zone when nothing
	// is sent; a message due then waits until it ends.
	QuietHours *QuietHours `json:"quiet_hours,omitempty"`
	// FrequencyCap limits how many messages a contact gets per channel.
	FrequencyCap *FrequencyCap `json:"frequency_cap,omitempty"`
}

// QuietHours is a daily period such as 21:00 to 08:00 (across midnight
// when To is before From).
type QuietHours struct {
	// From is when the quiet period starts, "HH:MM".
	From string `json:"from"`
	// To is when it ends, "HH:MM".
	To string `json:"to"`
	// Channels limits the quiet hours to these channels (email, sms,
	// whatsapp); empty means every channel.
	Channels []string `json:"channels,omitempty"`
}

// Frequency cap actions.
const (
	CapSkip  = "skip"
	CapDelay = "delay"
)

// FrequencyCap allows at most Max messages per channel to one contact in
// any Period; a message over the cap is skipped or delayed.
type FrequencyCap struct {
	Max    int      `json:"max"`
	Period Duration `json:"period"`
	// Action is skip (default) or delay.
	Action string `json:"action,omitempty"`
	// Channels limits the cap to these channels; empty means every
	// channel (each counted on its own).
	Channels []string `json:"channels,omitempty"`
}

// Message channels a messaging setting may name.
var messageChannels = []string{"email", "sms", "whatsapp"}

// Applies reports whether a setting limited to channels covers channel.
func Applies(channels []string, channel string) bool {
	return len(channels) == 0 || slices.Contains(channels, channel)
}

// Problem code of a bad messaging setting.
const CodeBadMessaging = "bad_messaging"

func (v *validator) checkMessaging(m *Messaging) {
	if m == nil {
		return
	}
	bad := func(param, format string, args ...any) {
		v.add(Problem{Code: CodeBadMessaging, Param: "settings.messaging." + param, Message: fmt.Sprintf(format, args...)})
	}
	checkChannels := func(param string, chs []string) {
		for _, ch := range chs {
			if !slices.Contains(messageChannels, ch) {
				bad(param, "%s is not a channel: use email, sms or whatsapp.", quoteValue(ch))
			}
		}
	}
	if q := m.QuietHours; q != nil {
		for _, f := range [][2]string{{"from", q.From}, {"to", q.To}} {
			if !timeOfDayPattern.MatchString(f[1]) {
				bad("quiet_hours."+f[0], "The quiet hours' %q time %s is not a time of day like 21:00.", f[0], quoteValue(f[1]))
			}
		}
		if q.From == q.To && timeOfDayPattern.MatchString(q.From) {
			bad("quiet_hours", "The quiet hours start and end at the same time, which would never let a message out; use different times.")
		}
		checkChannels("quiet_hours.channels", q.Channels)
	}
	if c := m.FrequencyCap; c != nil {
		if c.Max < 1 {
			bad("frequency_cap.max", "The frequency cap needs a maximum of at least 1 message.")
		}
		if c.Period <= 0 {
			bad("frequency_cap.period", `The frequency cap needs a period longer than zero, like "7d".`)
		}
		switch c.Action {
		case "", CapSkip, CapDelay:
		default:
			bad("frequency_cap.action", `The frequency cap action %s is not "skip" or "delay".`, quoteValue(c.Action))
		}
		checkChannels("frequency_cap.channels", c.Channels)
	}
}
