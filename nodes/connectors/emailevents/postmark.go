package emailevents

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

// PostmarkTokenHeader carries the shared token (set as a custom header in
// Postmark's webhook settings).
const PostmarkTokenHeader = "X-Webhook-Token"

// VerifyPostmark checks Basic auth and/or the shared token. Postmark does
// not sign bodies, so at least one must be configured.
func VerifyPostmark(s Secrets, header http.Header) error {
	if s.PostmarkToken == "" && s.PostmarkPassword == "" {
		return connectors.ErrBadSignature
	}
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if s.PostmarkToken != "" && !eq(header.Get(PostmarkTokenHeader), s.PostmarkToken) {
		return connectors.ErrBadSignature
	}
	if s.PostmarkPassword != "" {
		r := &http.Request{Header: header}
		u, p, ok := r.BasicAuth()
		if !ok || !eq(u, s.PostmarkUsername) || !eq(p, s.PostmarkPassword) {
			return connectors.ErrBadSignature
		}
	}
	return nil
}

type pmRecord struct {
	RecordType        string            `json:"RecordType"`
	ID                json.Number       `json:"ID"`
	Type              string            `json:"Type"`
	TypeCode          int               `json:"TypeCode"`
	MessageID         string            `json:"MessageID"`
	Email             string            `json:"Email"`
	Recipient         string            `json:"Recipient"`
	Description       string            `json:"Description"`
	Details           string            `json:"Details"`
	Inactive          bool              `json:"Inactive"`
	Tag               string            `json:"Tag"`
	OriginalLink      string            `json:"OriginalLink"`
	FirstOpen         *bool             `json:"FirstOpen"`
	SuppressSending   bool              `json:"SuppressSending"`
	SuppressionReason string            `json:"SuppressionReason"`
	Metadata          map[string]string `json:"Metadata"`
	DeliveredAt       string            `json:"DeliveredAt"`
	BouncedAt         string            `json:"BouncedAt"`
	ReceivedAt        string            `json:"ReceivedAt"`
	ChangedAt         string            `json:"ChangedAt"`
	Origin            string            `json:"Origin"`
}

// ParsePostmark checks the request's credentials and parses one record.
//
//   - Bounce records of type Unsubscribe or ManuallyDeactivated are
//     unsubscribes, of type SpamComplaint complaints; others are bounces.
//   - SubscriptionChange: a manual suppression is an unsubscribe and a
//     reactivation a resubscribe (ByRecipient when the recipient did it);
//     suppressions caused by a hard bounce or a spam complaint are ignored,
//     since their own Bounce/SpamComplaint records report them.
//   - A record that names neither an address nor a message, and record
//     types we do not know, are ignored rather than refused.
func ParsePostmark(s Secrets, header http.Header, body []byte) ([]Event, error) {
	if err := VerifyPostmark(s, header); err != nil {
		return nil, err
	}
	var r pmRecord
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, connectors.Payloadf(Postmark, "not a Postmark record: %v", err)
	}
	email := r.Recipient
	if email == "" {
		email = r.Email
	}
	if email == "" && r.MessageID == "" {
		return []Event{ignored(Postmark, r.RecordType, IgnoredUnknown)}, nil
	}
	ev := Event{Provider: Postmark, Email: email, MessageID: r.MessageID, OurMessageID: r.Metadata[CorrelationKey], Data: map[string]any{"record_type": r.RecordType}}
	when, why := postmarkType(&ev, r)
	if why != "" {
		return []Event{ignored(Postmark, r.RecordType, why)}, nil
	}
	for k, v := range map[string]string{"description": r.Description, "details": r.Details, "tag": r.Tag, "suppression_reason": r.SuppressionReason, "origin": r.Origin} {
		if v != "" {
			ev.Data[k] = v
		}
	}
	if when != "" {
		t, err := time.Parse(time.RFC3339Nano, when)
		if err != nil {
			return nil, connectors.Payloadf(Postmark, "time %q is not RFC 3339", when)
		}
		ev.At = t.UTC()
	}
	// Bounce records have an ID; others are keyed by what identifies them.
	if r.ID != "" {
		ev.ProviderEventID = r.RecordType + ":" + r.ID.String()
	} else {
		ev.ProviderEventID = r.RecordType + ":" + r.MessageID + ":" + email + ":" + strconv.FormatInt(ev.At.UnixMicro(), 10)
	}
	return []Event{ev}, nil
}

// postmarkType sets ev's type (and bounce details) from the record and
// returns the record's time, or why the record is ignored.
func postmarkType(ev *Event, r pmRecord) (when, ignoredWhy string) {
	switch r.RecordType {
	case "Delivery":
		ev.Type = Delivered
		return r.DeliveredAt, ""
	case "Open":
		ev.Type = Opened
		if r.FirstOpen != nil {
			ev.Data["first_open"] = *r.FirstOpen
		}
		return r.ReceivedAt, ""
	case "Click":
		ev.Type = Clicked
		ev.Data["url"] = r.OriginalLink
		return r.ReceivedAt, ""
	case "Bounce":
		ev.Data["bounce_type"] = r.Type
		ev.Data["inactive"] = r.Inactive
		switch r.Type {
		case "Unsubscribe", "ManuallyDeactivated":
			ev.Type = Unsubscribed
		case "SpamComplaint":
			ev.Type = Complained
		default:
			ev.Type = Bounced
			ev.HardBounce = r.Type == "HardBounce" || r.Type == "BadEmailAddress"
		}
		return r.BouncedAt, ""
	case "SpamComplaint":
		ev.Type = Complained
		return r.BouncedAt, ""
	case "SubscriptionChange":
		switch {
		case r.SuppressSending && r.SuppressionReason == "ManualSuppression":
			ev.Type = Unsubscribed
		case r.SuppressSending:
			return "", IgnoredByDesign
		default:
			ev.Type = Resubscribed
			ev.ByRecipient = r.Origin == "Recipient"
		}
		return r.ChangedAt, ""
	}
	return "", IgnoredUnknown
}
