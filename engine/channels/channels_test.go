package channels_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

const (
	smtpUser     = "mailer"
	smtpPassword = "pw-ULTRA-secret-4711"
	publicURL    = "https://journeys.example.com"
)

// inbox is an SMTP server in the test process that records what it gets.
type inbox struct {
	mu    sync.Mutex
	mails [][]byte
	rcpts []string
	addr  string
}

func (b *inbox) all() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.mails...)
}

type smtpSession struct {
	b      *inbox
	authed bool
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPassword {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *smtpSession) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.rcpts = append(s.b.rcpts, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.mails = append(s.b.mails, data)
	return nil
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

// startSMTP serves SMTP with STARTTLS (a self-signed certificate) and
// PLAIN auth on 127.0.0.1.
func startSMTP(t *testing.T) *inbox { return startSMTPWith(t, false) }

// startSMTPWith serves SMTP over implicit TLS when implicitTLS is set
// (port 465 style), else with STARTTLS.
func startSMTPWith(t *testing.T, implicitTLS bool) *inbox {
	t.Helper()
	b := &inbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = selfSigned(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicitTLS {
		l = tls.NewListener(l, srv.TLSConfig)
	}
	b.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return b
}

func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

type bundle struct {
	ctx    context.Context
	dbPath string
	store  *storage.Store
	svc    *channels.Service
	eng    *engine.Engine
	inbox  *inbox
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "app.db")
	store, err := storage.Open(ctx, "sqlite://"+dbPath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	svc, err := channels.New(channels.Config{Store: store, SecretKey: bytes.Repeat([]byte{9}, 32), PublicURL: publicURL,
		SMTPInsecureSkipVerify: true, SMTPAllowPrivate: true, SMTPTimeout: testwait.Scaled(10 * time.Second), Connectors: channels.VendorConnectors(publicURL, true)})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: nodes.Builtin(), Channels: svc})
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{ctx: ctx, dbPath: dbPath, store: store, svc: svc, eng: eng, inbox: startSMTP(t)}
}

func (b *bundle) smtpCredential(t *testing.T, password string) channels.CredentialView {
	t.Helper()
	host, port, _ := net.SplitHostPort(b.inbox.addr)
	p, _ := strconv.Atoi(port)
	v, err := b.svc.CreateCredential(b.ctx, channels.CredentialInput{Name: "Test SMTP", Kind: channels.KindSMTP, Fields: map[string]any{
		"host": host, "port": float64(p), "security": "starttls", "username": smtpUser, "password": password,
		"from_email": "news@example.com", "from_name": "Example News",
	}})
	if err != nil {
		t.Fatalf("create credential: %v", err)
	}
	return v
}

func TestCredentialsAreSealedAndNeverShown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := b.smtpCredential(t, smtpPassword)
	if len(v.SecretsSet) != 1 || v.SecretsSet[0] != "password" || v.Fields["password"] != nil {
		t.Fatalf("view = %+v, want the password only named in secrets_set", v)
	}
	res, err := b.svc.TestCredential(b.ctx, v.ID)
	if err != nil || !res.OK {
		t.Fatalf("test = %+v, %v; want ok", res, err)
	}
	// An update that leaves the password out keeps it.
	v2, err := b.svc.UpdateCredential(b.ctx, v.ID, channels.CredentialInput{Name: "Renamed", Fields: map[string]any{
		"host": v.Fields["host"], "port": v.Fields["port"], "username": smtpUser, "from_email": "news@example.com",
	}})
	if err != nil || v2.Name != "Renamed" || len(v2.SecretsSet) != 1 {
		t.Fatalf("update = %+v, %v", v2, err)
	}
	if res, _ := b.svc.TestCredential(b.ctx, v.ID); !res.OK {
		t.Fatalf("after an update without the password the test fails: %s", res.Message)
	}
	// Moving it to another host without the password is refused: the
	// stored password would go to whoever runs that host.
	_, err = b.svc.UpdateCredential(b.ctx, v.ID, channels.CredentialInput{Name: "Renamed", Fields: map[string]any{
		"host": "smtp.attacker.example", "port": v.Fields["port"], "username": smtpUser, "from_email": "news@example.com",
	}})
	var ie *channels.InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Message, "enter password again") {
		t.Fatalf("moving the host without the password: %v, want a refusal asking for the password", err)
	}
	if _, err := b.svc.UpdateCredential(b.ctx, v.ID, channels.CredentialInput{Name: "Renamed", Fields: map[string]any{
		"host": "smtp.example.org", "port": v.Fields["port"], "username": smtpUser, "password": "new-password", "from_email": "news@example.com",
	}}); err != nil {
		t.Fatalf("moving the host with the password: %v", err)
	}
	// A wrong password is reported, not stored in clear.
	bad := b.smtpCredential(t, "wrong-password-ZZZ")
	res, err = b.svc.TestCredential(b.ctx, bad.ID)
	if err != nil || res.OK || strings.Contains(res.Message, "wrong-password-ZZZ") {
		t.Fatalf("test with a wrong password = %+v, %v", res, err)
	}
	list, _ := b.svc.ListCredentials(b.ctx)
	if len(list) != 2 {
		t.Fatalf("%d credentials listed, want 2", len(list))
	}
	// Nothing on disk holds a secret in clear.
	if err := b.store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		raw, err := os.ReadFile(b.dbPath + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{smtpPassword, "wrong-password-ZZZ"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Fatalf("the database file %s holds the secret %q in clear", filepath.Base(b.dbPath+suffix), secret)
			}
		}
	}
}

func TestSMTPOverImplicitTLS(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.inbox = startSMTPWith(t, true)
	host, port, _ := net.SplitHostPort(b.inbox.addr)
	p, _ := strconv.Atoi(port)
	v, err := b.svc.CreateCredential(b.ctx, channels.CredentialInput{Name: "TLS", Kind: channels.KindSMTP, Fields: map[string]any{
		"host": host, "port": float64(p), "security": "tls", "username": smtpUser, "password": smtpPassword, "from_email": "news@example.com",
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.svc.TestCredential(b.ctx, v.ID)
	if err != nil || !res.OK {
		t.Fatalf("test over implicit TLS = %+v, %v", res, err)
	}
	snd, err := b.svc.Sender(b.ctx, nodes.ChannelEmail, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snd.Email.SendEmail(b.ctx, nodes.Email{MessageID: "m-1", To: "bo@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatalf("send over implicit TLS: %v", err)
	}
	if n := len(b.inbox.all()); n != 1 {
		t.Fatalf("%d mails received, want 1", n)
	}
	if _, err := b.svc.Sender(b.ctx, nodes.ChannelSMS, v.ID); err == nil || !nodes.IsPermanent(err) {
		t.Fatalf("an SMTP account used for SMS: %v, want a permanent error", err)
	}
}

func TestCredentialValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tt := range []struct {
		in   channels.CredentialInput
		want string
	}{
		{channels.CredentialInput{Name: "x", Kind: "fax"}, `"fax" is not a credential kind`},
		{channels.CredentialInput{Name: "", Kind: "hubspot", Fields: map[string]any{"access_token": "t"}}, "name"},
		{channels.CredentialInput{Name: "t", Kind: "twilio", Fields: map[string]any{"account_sid": "AB12", "auth_token": "x", "from": "+1"}}, "account_sid is not an account SID"},
		{channels.CredentialInput{Name: "s", Kind: "smtp", Fields: map[string]any{"host": "h", "port": "many", "from_email": "a@b.c"}}, "port must be a number"},
		{channels.CredentialInput{Name: "s", Kind: "smtp", Fields: map[string]any{"host": "h", "from_email": "a@b.c", "colour": "red"}}, "colour is not a field"},
		{channels.CredentialInput{Name: "m", Kind: "mailgun_webhook", Fields: map[string]any{}}, "signing_key is required"},
	} {
		_, err := b.svc.CreateCredential(b.ctx, tt.in)
		var ie *channels.InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Message, tt.want) {
			t.Errorf("%+v: error %v, want an input error about %q", tt.in, err, tt.want)
		}
	}
	if list, _ := b.svc.ListCredentials(b.ctx); len(list) != 0 {
		t.Fatalf("invalid credentials were stored: %+v", list)
	}
}

const emailFlow = `{
  "id": "welcome", "name": "Welcome",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "signup"}, "position": {"x":0,"y":0}},
    {"id": "mail", "type": "message.email", "params": {"credential": "CRED",
      "subject": "Welcome, {{ contact.first_name }}", "body": "Hi {{ contact.first_name }}, read the docs.",
      "html": "<html><body><p>Hi {{ contact.first_name }}, read <a href=\"https://example.com/docs?a=1&amp;b=2\">the docs</a>.</p></body></html>"},
      "position": {"x":0,"y":0}},
    {"id": "wait", "type": "wait.event", "params": {"event_type": "email.clicked", "timeout": "1d"}, "position": {"x":0,"y":0}},
    {"id": "tag", "type": "contact.tag", "params": {"add": ["clicked"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "mail"}, {"from": "mail", "port": "sent", "to": "wait"}, {"from": "wait", "port": "event", "to": "tag"}]
}`

// parts returns the decoded text and HTML parts of a multipart/alternative mail.
func parts(t *testing.T, m *mail.Message) (text, html string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return text, html
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		data, _ := io.ReadAll(body)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			text = string(data)
		case "text/html":
			html = string(data)
		}
	}
}

var trackLink = regexp.MustCompile(`href="` + regexp.QuoteMeta(publicURL) + `/t/([^"]+)"`)

func TestEmailOverSMTPWithTrackingAndUnsubscribe(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cred := b.smtpCredential(t, smtpPassword)
	f, err := flows.Decode([]byte(strings.Replace(emailFlow, "CRED", cred.ID, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Import(b.ctx, f, true); err != nil {
		t.Fatal(err)
	}
	ev, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "ana@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.Write(b.ctx, func(tx storage.Tx) error {
		return storagetest.Update(tx, &storage.Contact{}, "first_name", "Ana", "id = ?", ev.ContactID)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Drain(b.ctx); err != nil {
		t.Fatal(err)
	}
	mails := b.inbox.all()
	if len(mails) != 1 {
		t.Fatalf("%d mails received, want 1", len(mails))
	}
	m, err := mail.ReadMessage(bytes.NewReader(mails[0]))
	if err != nil {
		t.Fatal(err)
	}
	if from := m.Header.Get("From"); !strings.Contains(from, "news@example.com") || !strings.Contains(from, "Example News") {
		t.Errorf("From = %q", from)
	}
	if to := m.Header.Get("To"); !strings.Contains(to, "ana@example.com") {
		t.Errorf("To = %q", to)
	}
	if s := m.Header.Get("Subject"); s != "Welcome, Ana" {
		t.Errorf("Subject = %q", s)
	}
	unsub := m.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(unsub, "<"+publicURL+"/u/") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe = %q, List-Unsubscribe-Post = %q", unsub, m.Header.Get("List-Unsubscribe-Post"))
	}
	text, html := parts(t, m)
	if !strings.Contains(text, "Hi Ana, read the docs.") || !strings.Contains(text, "Unsubscribe: "+publicURL+"/u/") {
		t.Errorf("text part = %q", text)
	}
	if strings.Contains(html, "https://example.com/docs") || !strings.Contains(html, `<img src="`+publicURL+"/t/") ||
		!strings.Contains(html, `href="`+publicURL+`/u/`) {
		t.Errorf("html part = %q: want the link tracked, an open pixel and the unsubscribe link", html)
	}

	// The stored message says it was sent, with the Message-ID as provider id.
	ms, _, _ := storage.ListMessages(b.store.Reader(), storage.MessageQuery{})
	if len(ms) != 1 || ms[0].Status != storage.MessageSent || ms[0].ProviderID == nil ||
		*ms[0].ProviderID != m.Header.Get("Message-Id") {
		t.Fatalf("stored = %+v, Message-Id %q", ms, m.Header.Get("Message-Id"))
	}

	// A forged or altered token records nothing.
	click := trackLink.FindStringSubmatch(html)
	if click == nil {
		t.Fatalf("no tracked link in %q", html)
	}
	for _, bad := range []string{"nonsense", click[1] + "x", "x" + click[1], strings.Replace(click[1], ".", ".A", 1)} {
		if _, err := b.svc.Track(b.ctx, b.eng, bad); !errors.Is(err, channels.ErrBadToken) {
			t.Fatalf("token %q: %v, want ErrBadToken", bad, err)
		}
	}
	var n int64
	// (email.sent was recorded when the email went out.)
	_ = storagetest.Count(b.store.Reader(), &n, &storage.Event{}, "type LIKE ? AND type <> ?", "email.%", "email.sent")
	if n != 0 {
		t.Fatalf("bad tokens stored %d events", n)
	}

	// The click redirects to the original URL, records email.clicked and resumes the run.
	link, err := b.svc.Track(b.ctx, b.eng, click[1])
	if err != nil || link.URL != "https://example.com/docs?a=1&b=2" {
		t.Fatalf("click = %+v, %v", link, err)
	}
	if _, err := b.eng.Drain(b.ctx); err != nil {
		t.Fatal(err)
	}
	var tags []string
	_ = storagetest.Pluck(b.store.Reader(), &storage.ContactTag{}, "tag", &tags, storagetest.Query{})
	if len(tags) != 1 || tags[0] != "clicked" {
		t.Fatalf("tags = %v: the click did not resume the run", tags)
	}
	got, _ := storage.GetMessage(b.store.Reader(), ms[0].ID)
	if got.Status != storage.MessageClicked {
		t.Fatalf("status after the click = %s", got.Status)
	}

	// One-click unsubscribe withdraws email consent, once.
	token := strings.TrimSuffix(strings.TrimPrefix(unsub, "<"+publicURL+"/u/"), ">")
	for range 2 {
		if err := b.svc.Unsubscribe(b.ctx, b.eng, token); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := storage.GetContact(b.store.Reader(), ev.ContactID)
	if c.Consent != `{"email":false}` {
		t.Fatalf("consent = %s", c.Consent)
	}
	_ = storagetest.Count(b.store.Reader(), &n, &storage.Event{}, "type = ?", "email.unsubscribed")
	if n != 1 {
		t.Fatalf("%d email.unsubscribed events, want 1", n)
	}
	if err := b.svc.Unsubscribe(b.ctx, b.eng, click[1]); !errors.Is(err, channels.ErrBadToken) {
		t.Fatalf("a click token used to unsubscribe: %v, want ErrBadToken", err)
	}
}
