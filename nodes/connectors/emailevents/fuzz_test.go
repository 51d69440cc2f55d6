package emailevents

import (
	"errors"
	"net/http"
	"testing"

	"github.com/journeyhq/journey/nodes/connectors"
)

func checkEvents(t *testing.T, evs []Event, err error) {
	if err != nil {
		if !connectors.IsPayloadError(err) && !errors.Is(err, connectors.ErrBadSignature) {
			t.Fatalf("untyped error: %v", err)
		}
		if evs != nil {
			t.Fatalf("events returned with an error: %v", evs)
		}
		return
	}
	for _, e := range evs {
		if e.Ignored != "" {
			continue
		}
		if e.Type == "" || e.ProviderEventID == "" || (e.Email == "" && e.MessageID == "") {
			t.Fatalf("incomplete event %+v", e)
		}
	}
}

func FuzzSendGridBatch(f *testing.F) {
	f.Add([]byte(`[{"event":"bounce","email":"a@b.co","timestamp":1,"sg_event_id":"x","type":"blocked","category":"c"}]`))
	f.Add([]byte(`[{"event":"click","email":"a@b.co","url":"http://x","category":["a",1]}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"event":"open"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := parseSendGridBatch(body)
		checkEvents(t, evs, err)
	})
}

func FuzzMailgunEvent(f *testing.F) {
	f.Add([]byte(`{"event":"failed","severity":"permanent","recipient":"a@b.co","timestamp":1.5,"message":{"headers":{"message-id":"<m@x>"}}}`))
	f.Add([]byte(`{"event":"clicked","recipient":"a@b.co","user-variables":{"journey_message_id":3}}`))
	f.Add([]byte(`{"event":"complained"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := mailgunEvent(data)
		checkEvents(t, evs, err)
		// The full parser must refuse anything without a valid signature.
		if evs, err := ParseMailgun("key", append([]byte(`{"signature":{"timestamp":"1","token":"t","signature":"ab"},"event-data":`), append(data, '}')...)); err == nil {
			t.Fatalf("unsigned Mailgun payload accepted: %v", evs)
		}
	})
}

func FuzzPostmark(f *testing.F) {
	f.Add([]byte(`{"RecordType":"Bounce","ID":1,"Type":"HardBounce","MessageID":"m","Email":"a@b.co","BouncedAt":"2020-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"RecordType":"SubscriptionChange","SuppressSending":true,"SuppressionReason":"ManualSuppression","MessageID":"m","Recipient":"a@b.co"}`))
	f.Add([]byte(`{"RecordType":"Open","MessageID":"m","Recipient":"a@b.co","ReceivedAt":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := ParsePostmark(Secrets{PostmarkToken: "t"}, http.Header{PostmarkTokenHeader: {"t"}}, body)
		checkEvents(t, evs, err)
	})
}
