package emailcheck

import "testing"

func TestSuggestDomain(t *testing.T) {
	t.Parallel()
	for domain, want := range map[string]string{
		"gmial.com":   "gmail.com",   // two letters swapped
		"gmai.com":    "gmail.com",   // one left out
		"gmaill.com":  "gmail.com",   // one too many
		"gmail.con":   "gmail.com",   // the ending
		"gmail.co":    "gmail.com",   // the ending cut short
		"yaho.com":    "yahoo.com",   // one left out
		"hotmial.com": "hotmail.com", // swapped
		"hotmal.con":  "hotmail.com", // two slips in a long name
		"outlok.com":  "outlook.com",
		"iclod.com":   "icloud.com",
		// Providers themselves, and domains far from any, are no typo.
		"gmail.com": "", "mail.com": "", "email.com": "", "me.com": "", "example.com": "", "acme.io": "",
		"gmx.de": "", "web.de": "", "company.com": "",
		// Two slips in a short name are too far to guess.
		"gmal.con": "",
	} {
		if got := suggestDomain(domain); got != want {
			t.Errorf("suggestDomain(%q) = %q, want %q", domain, got, want)
		}
	}
}

func TestSlips(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"abc", "abc", 2, 0},
		{"acb", "abc", 2, 1}, // a swap is one slip
		{"ab", "abc", 2, 1},
		{"xyz", "abc", 2, 3}, // past the limit: limit+1
		{"a", "abcdef", 2, 3},
	} {
		if got := slips(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("slips(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}

func TestDisposableDomainMatchesSubdomains(t *testing.T) {
	t.Parallel()
	for domain, want := range map[string]string{
		"mailinator.com": "mailinator.com", "eu.mailinator.com": "mailinator.com", "a.b.yopmail.com": "yopmail.com",
		"example.com": "", "com": "", "notmailinator.com": "notmailinator.com",
	} {
		if got := disposableDomain(domain); got != want {
			t.Errorf("disposableDomain(%q) = %q, want %q", domain, got, want)
		}
	}
}
