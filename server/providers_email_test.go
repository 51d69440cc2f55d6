package server_test

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// Postmark records that used to be refused with 400 (and so retried by
// Postmark forever) are answered 200: an Unsubscribe bounce without Email
// unsubscribes the contact of our message, a record type we do not map is
// counted as ignored, and a manual suppression about no message of ours
// still unsubscribes the known contact with that address.
func TestPostmarkRecordsAreNeverRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.credential(t, channels.KindPostmarkWebhook, map[string]any{"username": "postmark", "password": "pm-pass-SECRET"})
	auth := []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("postmark:pm-pass-SECRET"))}
	msgID, cy := sentMessage(t, b, nodes.ChannelEmail, channels.KindSMTP, "<m-3@smtp.example.com>", storage.ContactRef{Email: "cy@example.com"})
	_, dee := sentMessage(t, b, nodes.ChannelEmail, channels.KindSMTP, "<m-4@smtp.example.com>", storage.ContactRef{Email: "dee@example.com"})

	var out struct{ Recorded, Duplicates, Unmatched, Ignored int }
	b.post(t, "/hooks/providers/postmark", "application/json", `{"RecordType":"Bounce","ID":77,"Type":"Unsubscribe","TypeCode":16,
"MessageID":"pm-77","BouncedAt":"2024-01-02T03:04:05Z","Metadata":{"journey_message_id":"`+msgID+`"}}`, auth...).must(t, http.StatusOK).json(t, &out)
	if out.Recorded != 1 || b.countEvents(t, "email.unsubscribed") != 1 {
		t.Fatalf("unsubscribe bounce: %+v, %d email.unsubscribed events", out, b.countEvents(t, "email.unsubscribed"))
	}
	if c, _ := storage.GetContact(b.store.Reader(), cy); c.Consent != `{"email":false}` {
		t.Fatalf("consent after an Unsubscribe bounce = %s", c.Consent)
	}

	out = struct{ Recorded, Duplicates, Unmatched, Ignored int }{}
	b.post(t, "/hooks/providers/postmark", "application/json", `{"RecordType":"Teleport","MessageID":"pm-1","Recipient":"cy@example.com"}`, auth...).
		must(t, http.StatusOK).json(t, &out)
	if out.Ignored != 1 || out.Recorded != 0 {
		t.Fatalf("unknown record type: %+v, want one ignored", out)
	}

	b.post(t, "/hooks/providers/postmark", "application/json", `{"RecordType":"SubscriptionChange","MessageID":"sent-by-another-tool",
"Recipient":"DEE@example.com","Origin":"Recipient","SuppressSending":true,"SuppressionReason":"ManualSuppression","ChangedAt":"2024-01-02T03:04:05Z"}`, auth...).
		must(t, http.StatusOK)
	if c, _ := storage.GetContact(b.store.Reader(), dee); c.Consent != `{"email":false}` {
		t.Fatalf("consent after an unsubscribe about no message of ours = %s", c.Consent)
	}
}
