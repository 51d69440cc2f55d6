package channels_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/oauth/oauthtest"
	"github.com/journeyhq/journey/nodes/connectors/salesforce"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// orgAPI is the Salesforce API of the in-test org: who is signed in, and
// task creation (counted).
func orgAPI(tasks *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/services/oauth2/userinfo":
			_, _ = w.Write([]byte(`{"preferred_username":"ana@acme.com","email":"ana@acme.com"}`))
		case strings.HasSuffix(r.URL.Path, "/query"):
			_, _ = w.Write([]byte(`{"totalSize":0,"done":true,"records":[]}`))
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sobjects/Task"):
			tasks.Add(1)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"00T5e00000TsK01AAB","success":true,"errors":[]}`))
		default:
			http.NotFound(w, r)
		}
	})
}

type oauthBundle struct {
	ctx   context.Context
	svc   *channels.Service
	store *storage.Store
	authz *oauthtest.Server
	tasks *atomic.Int32
	id    string
	now   *atomic.Int64 // the service's clock, unix seconds
}

func setupOAuth(t *testing.T) *oauthBundle {
	t.Helper()
	return setupOAuthOn(t, "sqlite://"+filepath.Join(t.TempDir(), "app.db"))
}

// newService is one instance's credential service on store.
func (b *oauthBundle) newService(t *testing.T, store *storage.Store) *channels.Service {
	t.Helper()
	accounts, web := channels.VendorAccounts(channels.AccountOptions{HTTPAllowPrivate: true})
	svc, err := channels.New(channels.Config{Store: store, SecretKey: bytes.Repeat([]byte{7}, 32), PublicURL: publicURL,
		Accounts: accounts, HTTP: web, OAuthClient: http.DefaultClient, Now: func() time.Time { return time.Unix(b.now.Load(), 0).UTC() }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func setupOAuthOn(t *testing.T, dsn string) *oauthBundle {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	b := &oauthBundle{ctx: ctx, store: store, tasks: &atomic.Int32{}, now: &atomic.Int64{}}
	b.now.Store(time.Now().Unix())
	b.authz = oauthtest.New(t, "cid", "csecret")
	b.authz.Extra["instance_url"] = "self"
	b.authz.API = orgAPI(b.tasks)
	b.svc = b.newService(t, store)
	v, err := b.svc.CreateCredential(ctx, channels.CredentialInput{Name: "Acme org", Kind: salesforce.Kind,
		Fields: map[string]any{"client_id": "cid", "client_secret": "csecret", "login_url": b.authz.URL}})
	if err != nil {
		t.Fatal(err)
	}
	b.id = v.ID
	if res, err := b.svc.TestCredential(ctx, b.id); err != nil || res.OK || !strings.Contains(res.Message, "not connected yet: open Settings, Credentials and press Connect") {
		t.Fatalf("test before Connect: %+v %v", res, err)
	}
	if v.Connection == nil || v.Connection.Status != channels.ConnectionNotConnected {
		t.Fatalf("a new credential is %+v", v.Connection)
	}
	return b
}

// connect runs Connect for user and the vendor's consent, returning the
// state and code the vendor sends back.
func (b *oauthBundle) connect(t *testing.T, user string) (state, code string) {
	t.Helper()
	u, err := b.svc.StartConnect(b.ctx, b.id, user)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, b.authz.URL+"/services/oauth2/authorize?") {
		t.Fatalf("authorize URL %s", u)
	}
	code, state, redirect := b.authz.Issue(u)
	if redirect != publicURL+"/oauth/callback" {
		t.Fatalf("redirect_uri %s", redirect)
	}
	return state, code
}

func (b *oauthBundle) task(t *testing.T) error {
	t.Helper()
	acc, err := b.svc.Account(b.ctx, b.id)
	if err != nil {
		return err
	}
	_, err = acc.CRM.CreateTask(b.ctx, "k", nodes.TaskInput{Title: "Call"})
	return err
}

func TestConnectStoresTokensSealed(t *testing.T) {
	t.Parallel()
	b := setupOAuth(t)
	state, code := b.connect(t, "u1")
	conn, err := b.svc.FinishConnect(b.ctx, state, code, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if conn.Status != channels.ConnectionConnected || conn.Message != "Connected to Salesforce as ana@acme.com." {
		t.Fatalf("connection %+v", conn)
	}
	v, err := b.svc.GetCredential(b.ctx, b.id)
	if err != nil {
		t.Fatal(err)
	}
	shown, _ := json.Marshal(v)
	for _, secret := range []string{"refresh-1", b.authz.LastAccess, "csecret", "oauth_"} {
		if strings.Contains(string(shown), secret) {
			t.Errorf("the credential view shows %q: %s", secret, shown)
		}
	}
	if strings.Join(v.SecretsSet, ",") != "client_secret" || v.Connection.Account != "ana@acme.com" {
		t.Errorf("view %s", shown)
	}
	raw, err := storage.GetCredential(b.store.Reader(), b.id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.Secrets, "refresh-1") || strings.Contains(raw.Fields, "refresh-1") || raw.Secrets == "" {
		t.Fatalf("the refresh token is not sealed: %q %q", raw.Secrets, raw.Fields)
	}
	if err := b.task(t); err != nil || b.tasks.Load() != 1 {
		t.Fatalf("a step with the connection: %v (%d tasks)", err, b.tasks.Load())
	}
	res, err := b.svc.TestCredential(b.ctx, b.id)
	if err != nil || !res.OK || res.Message != "Connected to Salesforce." {
		t.Fatalf("test %+v %v", res, err)
	}

	// Editing the name keeps the connection; a new consumer key drops it.
	if _, err := b.svc.UpdateCredential(b.ctx, b.id, channels.CredentialInput{Name: "Acme", Fields: map[string]any{"client_id": "cid", "login_url": b.authz.URL}}); err != nil {
		t.Fatal(err)
	}
	if v, _ := b.svc.GetCredential(b.ctx, b.id); v.Connection.Status != channels.ConnectionConnected {
		t.Fatalf("a renamed credential lost its connection: %+v", v.Connection)
	}
	if _, err := b.svc.UpdateCredential(b.ctx, b.id, channels.CredentialInput{Name: "Acme", Fields: map[string]any{"client_id": "other", "login_url": b.authz.URL}}); err != nil {
		t.Fatal(err)
	}
	if v, _ := b.svc.GetCredential(b.ctx, b.id); v.Connection.Status != channels.ConnectionNotConnected {
		t.Fatalf("another app's credential kept the tokens: %+v", v.Connection)
	}
}

func TestConnectStateIsSingleUseBoundAndExpires(t *testing.T) {
	t.Parallel()
	b := setupOAuth(t)
	state, code := b.connect(t, "u1")
	if _, err := b.svc.FinishConnect(b.ctx, state, code, "u1"); err != nil {
		t.Fatal(err)
	}
	var ce *channels.ConnectError
	if _, err := b.svc.FinishConnect(b.ctx, state, code, "u1"); !errors.As(err, &ce) || !strings.Contains(ce.Message, "already used") {
		t.Fatalf("reused state: %v", err)
	}
	state, code = b.connect(t, "u1")
	if _, err := b.svc.FinishConnect(b.ctx, state, code, "u2"); !errors.As(err, &ce) || !strings.Contains(ce.Message, "another user") {
		t.Fatalf("another user's state: %v", err)
	}
	state, code = b.connect(t, "u1")
	b.now.Add(int64((11 * time.Minute).Seconds()))
	if _, err := b.svc.FinishConnect(b.ctx, state, code, "u1"); !errors.As(err, &ce) || !strings.Contains(ce.Message, "expired") {
		t.Fatalf("expired state: %v", err)
	}
	// A forged state (right credential, wrong secret part) is refused.
	_, code = b.connect(t, "u1")
	if _, err := b.svc.FinishConnect(b.ctx, b.id+".forged", code, "u1"); !errors.As(err, &ce) {
		t.Fatalf("forged state: %v", err)
	}
	if ex, _ := b.authz.Counts(); ex != 1 {
		t.Fatalf("%d codes exchanged, want only the first", ex)
	}
	if _, err := b.svc.StartConnect(b.ctx, b.id, ""); err == nil {
		t.Fatal("Connect without a signed-in user")
	}
}

// TestConcurrentStepsRefreshOnce: the connection's token is about to
// expire; steps running at once refresh it once, and all use the new one.
func TestConcurrentStepsRefreshOnce(t *testing.T) {
	t.Parallel()
	b := setupOAuth(t)
	b.authz.SetExpiresIn(60, 60) // inside the refresh margin: refreshed before use
	state, code := b.connect(t, "u1")
	if _, err := b.svc.FinishConnect(b.ctx, state, code, "u1"); err != nil {
		t.Fatal(err)
	}
	b.authz.SetExpiresIn(60, 3600)
	_, before := b.authz.Counts()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- b.task(t)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, after := b.authz.Counts(); after-before != 1 {
		t.Fatalf("%d refreshes, want 1", after-before)
	}
	if b.tasks.Load() != 8 {
		t.Fatalf("%d tasks", b.tasks.Load())
	}
}

// TestRevokedConnectionShowsRenewal: the org refuses the token and the
// refresh is refused: the step fails with the plain sentence, and
// Settings shows the connection needs renewing until Connect is done again.
func TestRevokedConnectionShowsRenewal(t *testing.T) {
	t.Parallel()
	b := setupOAuth(t)
	state, code := b.connect(t, "u1")
	if _, err := b.svc.FinishConnect(b.ctx, state, code, "u1"); err != nil {
		t.Fatal(err)
	}
	b.authz.Expire()
	if err := b.task(t); err != nil { // expired access token: refreshed once, retried
		t.Fatalf("after expiry: %v", err)
	}
	b.authz.Revoke()
	err := b.task(t)
	want := "The Salesforce connection needs to be renewed: open Settings, Credentials and press Connect again."
	if err == nil || !nodes.IsPermanent(err) || !strings.Contains(err.Error(), want) {
		t.Fatalf("revoked: %v", err)
	}
	v, _ := b.svc.GetCredential(b.ctx, b.id)
	if v.Connection.Status != channels.ConnectionNeedsRenewal || v.Connection.Message != want {
		t.Fatalf("view %+v", v.Connection)
	}
	state, code = b.connect(t, "u1")
	if _, err := b.svc.FinishConnect(b.ctx, state, code, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := b.task(t); err != nil {
		t.Fatalf("after renewing: %v", err)
	}
	if v, _ := b.svc.GetCredential(b.ctx, b.id); v.Connection.Status != channels.ConnectionConnected {
		t.Fatalf("renewed view %+v", v.Connection)
	}
}

// TestSecretUpdatesDoNotLoseWrites: two writers (two instances) change
// secrets of one credential; the compare-and-swap keeps both changes.
func TestSecretUpdatesDoNotLoseWrites(t *testing.T) {
	t.Parallel()
	b := setupOAuth(t)
	raw, _ := storage.GetCredential(b.store.Reader(), b.id)
	if err := b.store.Write(b.ctx, func(tx storage.Tx) error {
		ok, err := storage.SwapCredentialSecrets(tx, b.id, "not what is stored", "x", time.Now())
		if ok {
			t.Error("a swap from stale secrets succeeded")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if again, _ := storage.GetCredential(b.store.Reader(), b.id); again.Secrets != raw.Secrets {
		t.Fatal("a failed swap changed the secrets")
	}
}

// TestInstancesShareRefreshedTokens: two instances on one PostgreSQL
// database run steps at once on a connection whose token is about to
// expire. Each instance refreshes at most once, no write is lost (the
// compare-and-swap), every step succeeds, and the stored token works.
func TestInstancesShareRefreshedTokens(t *testing.T) {
	t.Parallel()
	b := setupOAuthOn(t, storagetest.PostgresDSN(t))
	b.authz.SetExpiresIn(60, 60)
	state, code := b.connect(t, "u1")
	if _, err := b.svc.FinishConnect(b.ctx, state, code, "u1"); err != nil {
		t.Fatal(err)
	}
	b.authz.SetExpiresIn(60, 3600)
	_, before := b.authz.Counts()
	other := b.newService(t, b.store)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		svc := b.svc
		if i%2 == 1 {
			svc = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc, err := svc.Account(b.ctx, b.id)
			if err == nil {
				_, err = acc.CRM.CreateTask(b.ctx, "k", nodes.TaskInput{Title: "Call"})
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, after := b.authz.Counts(); after-before < 1 || after-before > 2 {
		t.Fatalf("%d refreshes, want one per instance at most", after-before)
	}
	if err := b.task(t); err != nil || b.tasks.Load() != 9 {
		t.Fatalf("after: %v (%d tasks)", err, b.tasks.Load())
	}
}
