package channels_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
)

// TestVendorURLsPassTheAddressGuard: a HubSpot, Pipedrive or Mailchimp
// base URL and a Slack webhook URL on loopback are refused like an
// http.request there, unless private addresses are allowed.
func TestVendorURLsPassTheAddressGuard(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	ci := nodes.ContactInput{Email: "ana@example.com"}
	calls := map[string]func(ctx context.Context, acc nodes.Account) error{
		channels.KindHubSpot: func(ctx context.Context, acc nodes.Account) error {
			_, err := acc.CRM.CreateDeal(ctx, "k", nodes.DealInput{Title: "Deal", ContactID: "1"})
			return err
		},
		channels.KindPipedrive: func(ctx context.Context, acc nodes.Account) error {
			_, err := acc.CRM.Upsert(ctx, "k", ci)
			return err
		},
		channels.KindMailchimp: func(ctx context.Context, acc nodes.Account) error {
			_, err := acc.Lists.Subscribe(ctx, "k", "", ci)
			return err
		},
		channels.KindSlack: func(ctx context.Context, acc nodes.Account) error {
			return acc.Slack.PostSlack(ctx, nodes.SlackMessage{Text: "hi"})
		},
	}
	values := map[string]string{"base_url": srv.URL, "webhook_url": srv.URL + "/services/T/B/X",
		"access_token": "t", "api_token": "t", "api_key": "k-us6", "list_id": "l"}
	guarded, _ := channels.VendorAccounts(channels.AccountOptions{})
	for kind, call := range calls {
		acc, err := guarded[kind](values)
		if err != nil {
			t.Fatal(err)
		}
		if err := call(context.Background(), acc); !errors.Is(err, httpreq.ErrForbiddenTarget) {
			t.Errorf("%s on loopback: %v, want the internal-address refusal", kind, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback server was reached %d times", n)
	}
	allowed, _ := channels.VendorAccounts(channels.AccountOptions{HTTPAllowPrivate: true})
	acc, _ := allowed[channels.KindSlack](values)
	_ = calls[channels.KindSlack](context.Background(), acc)
	if hits.Load() == 0 {
		t.Fatal("with private addresses allowed, Slack did not reach the local server")
	}
}
