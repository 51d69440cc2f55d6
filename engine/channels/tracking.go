package channels

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/journeyhq/journey/nodes"
)

// Link kinds inside a tracking token.
const (
	LinkOpen        = "o"
	LinkClick       = "c"
	LinkUnsubscribe = "u"
)

// ErrBadToken reports a tracking or unsubscribe token that was not made
// by this server (or was altered).
var ErrBadToken = errors.New("this link is not valid")

// Link is what a verified token says.
type Link struct {
	Kind      string
	MessageID string
	// URL is the destination of a click link.
	URL string
}

// sign makes a token: base64url(kind "|" message id "|" url) "." base64url(mac).
// The message id is a random UUID and the token is signed, so neither can
// be guessed or forged.
func (s *Service) sign(kind, messageID, dest string) string {
	payload := []byte(kind + "|" + messageID + "|" + dest)
	mac := hmac.New(sha256.New, s.linkKey)
	mac.Write(payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}

// Verify checks a token and returns what it says.
func (s *Service) Verify(token string) (Link, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 8192 {
		return Link{}, ErrBadToken
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return Link{}, ErrBadToken
	}
	mac := hmac.New(sha256.New, s.linkKey)
	mac.Write(payload)
	if subtle.ConstantTimeCompare(mac.Sum(nil)[:18], got) != 1 {
		return Link{}, ErrBadToken
	}
	parts := strings.SplitN(string(payload), "|", 3)
	if len(parts) != 3 {
		return Link{}, ErrBadToken
	}
	l := Link{Kind: parts[0], MessageID: parts[1], URL: parts[2]}
	switch l.Kind {
	case LinkOpen, LinkUnsubscribe:
	case LinkClick:
		if checkURL(l.URL) != nil {
			return Link{}, ErrBadToken
		}
	default:
		return Link{}, ErrBadToken
	}
	return l, nil
}

// URLs of the public tracking endpoints.
func (s *Service) trackURL(kind, id, dest string) string {
	return s.endpoint + "/t/" + s.sign(kind, id, dest)
}

// UnsubscribeURL is the one-click unsubscribe link of a message.
func (s *Service) UnsubscribeURL(id string) string {
	return s.endpoint + "/u/" + s.sign(LinkUnsubscribe, id, "")
}

var hrefPattern = regexp.MustCompile(`(?i)(<a\s[^>]*?href\s*=\s*["'])(https?://[^"']+)(["'])`)

// PrepareEmail implements nodes.Channels.
func (s *Service) PrepareEmail(id string, e *nodes.Email, track bool) {
	if e.Headers == nil {
		e.Headers = map[string]string{}
	}
	unsub := s.UnsubscribeURL(id)
	e.Headers["List-Unsubscribe"] = "<" + unsub + ">"
	e.Headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	if track && e.HTML != "" {
		e.HTML = hrefPattern.ReplaceAllStringFunc(e.HTML, func(m string) string {
			g := hrefPattern.FindStringSubmatch(m)
			return g[1] + s.trackURL(LinkClick, id, htmlUnescape(g[2])) + g[3]
		})
	}
	if e.HTML != "" {
		footer := `<p style="font-size:12px;color:#666"><a href="` + unsub + `">Unsubscribe</a></p>`
		if track {
			footer += `<img src="` + s.trackURL(LinkOpen, id, "") + `" width="1" height="1" alt="" style="display:none">`
		}
		if i := strings.LastIndex(strings.ToLower(e.HTML), "</body>"); i >= 0 {
			e.HTML = e.HTML[:i] + footer + e.HTML[i:]
		} else {
			e.HTML += "\n" + footer
		}
	}
	e.Text = strings.TrimRight(e.Text, "\n") + "\n\n--\nUnsubscribe: " + unsub + "\n"
}

func htmlUnescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }

func newID() string { return uuid.NewString() }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}
