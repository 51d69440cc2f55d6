package nodes

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Errors of the tidy helpers; each is data the user sent, so steps report
// them as permanent.
var (
	// ErrInvalidEmail is returned for text that is not a plausible email address.
	ErrInvalidEmail = errors.New("not a valid email address")
	// ErrInvalidPhone is returned for text that is not a valid phone number.
	ErrInvalidPhone = errors.New("not a valid phone number")
)

// TidyEmail trims and lower-cases an email address and checks that it is
// plausible: one address, a local part, and a domain with a dot. The empty
// string is returned as is.
func TidyEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", fmt.Errorf("%q is %w", s, ErrInvalidEmail)
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.ContainsAny(s, " \t\"") ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") {
		return "", fmt.Errorf("%q is %w", s, ErrInvalidEmail)
	}
	return s, nil
}

// TidyPhone returns a phone number in E.164 form (+34612345678). Numbers
// without a country code are read as numbers of region (an ISO 3166 code
// such as "US" or "ES"). The empty string is returned as is.
func TidyPhone(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	if region == "" {
		region = "US"
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%q is %w", s, ErrInvalidPhone)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// nameParticles stay lower-case inside a name ("Jan van der Berg").
var nameParticles = map[string]bool{
	"van": true, "der": true, "den": true, "de": true, "del": true, "della": true, "la": true, "le": true,
	"von": true, "zu": true, "da": true, "das": true, "do": true, "dos": true, "di": true, "du": true, "y": true,
}

// TidyName tidies a personal name: spaces collapsed, words in title case
// ("mARÍA o'neil" → "María O'Neil", "JEAN-PIERRE" → "Jean-Pierre"), name
// particles lower-case after the first letter ("van der berg" →
// "van der Berg"). A word that already looks deliberately cased, such as
// "McDonald" or "DeVito", is kept.
func TidyName(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		lower := strings.ToLower(w)
		switch {
		case nameParticles[lower] && len(words) > 1 && i < len(words)-1:
			words[i] = lower
		case deliberatelyCased(w):
			// keep
		default:
			words[i] = titleWord(lower)
		}
	}
	return strings.Join(words, " ")
}

// deliberatelyCased reports whether w starts upper-case and mixes cases
// inside, like "McDonald"; such words were typed with care.
func deliberatelyCased(w string) bool {
	first, _ := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(first) {
		return false
	}
	hasLower, innerUpper := false, false
	prev := first
	for i, r := range w {
		if i == 0 {
			continue
		}
		if unicode.IsLower(r) {
			hasLower = true
		}
		if unicode.IsUpper(r) && unicode.IsLetter(prev) {
			innerUpper = true
		}
		prev = r
	}
	return hasLower && innerUpper
}

// titleWord upper-cases the first letter of w and every letter after an
// apostrophe or hyphen (w is already lower-case).
func titleWord(w string) string {
	var b strings.Builder
	upperNext := true
	for _, r := range w {
		if upperNext && unicode.IsLetter(r) {
			b.WriteRune(unicode.ToUpper(r))
			upperNext = false
			continue
		}
		b.WriteRune(r)
		if r == '\'' || r == '’' || r == '-' {
			upperNext = true
		}
	}
	return b.String()
}

// SplitFullName splits "Ana María López" into a first name ("Ana") and a
// last name ("María López").
func SplitFullName(s string) (first, last string) {
	words := strings.Fields(s)
	if len(words) == 0 {
		return "", ""
	}
	return words[0], strings.Join(words[1:], " ")
}
