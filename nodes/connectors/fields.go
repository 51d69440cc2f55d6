package connectors

import (
	"errors"
	"html"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/journeyhq/journey/nodes"
)

// Text declares a plain credential field.
func Text(name, label string, required bool, desc string) nodes.CredentialField {
	return nodes.CredentialField{Name: name, Label: label, Required: required, Type: nodes.FieldString, Description: desc}
}

// Secret declares a credential field that is stored encrypted and never
// shown again.
func Secret(name, label string, required bool, desc string) nodes.CredentialField {
	return nodes.CredentialField{Name: name, Label: label, Secret: true, Required: required, Type: nodes.FieldString, Description: desc}
}

// BaseURL declares the optional field that points a vendor at another
// address (a mock, a sandbox, a regional host).
func BaseURL(desc string) nodes.CredentialField {
	f := Text("base_url", "API base URL", false, desc)
	f.Check = CheckURL
	return f
}

// CheckURL accepts an absolute http(s) address.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("is not an http(s) URL")
	}
	return nil
}

// CheckEmail accepts one email address.
func CheckEmail(s string) error {
	if _, err := mail.ParseAddress(s); err != nil || !strings.Contains(s, "@") {
		return errors.New("is not an email address")
	}
	return nil
}

// NumericID returns s when it is a vendor's numeric id (owners, stages),
// else "": the built-in owners and stages are names, which vendors refuse.
func NumericID(s string) string {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return ""
	}
	return s
}

// NoteHTML renders a note as the HTML CRMs store: escaped text with line
// breaks kept, and its source.
func NoteHTML(in nodes.NoteInput) string {
	body := strings.ReplaceAll(html.EscapeString(in.Body), "\n", "<br>")
	if in.Source != "" {
		body += "<br><br><i>Source: " + html.EscapeString(in.Source) + "</i>"
	}
	return body
}
