package emailcheck

import (
	_ "embed"
	"strings"

	"golang.org/x/net/idna"
)

// disposableList is the disposable-domain list; its header says where it
// comes from and when it was taken (.ci/update-disposable.sh refreshes it).
//
//go:embed disposable_domains.txt
var disposableList string

// disposable is disposableList as a set.
var disposable = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(disposableList, "\n") {
		line = strings.ToLower(strings.TrimSpace(line))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[line] = true
	}
	return m
}()

// DisposableCount is how many disposable domains the embedded list holds.
func DisposableCount() int { return len(disposable) }

// disposableDomain returns the listed domain that domain is, or is a
// subdomain of ("" when none).
func disposableDomain(domain string) string {
	for d := domain; d != ""; {
		if disposable[d] {
			return d
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok || !strings.Contains(rest, ".") {
			return "" // stop at the registrable part's parent (a TLD)
		}
		d = rest
	}
	return ""
}

// roles are local parts that name a function or a team, not a person:
// mail to them is read by several people, or by nobody (noreply).
var roles = map[string]bool{
	"abuse": true, "account": true, "accounts": true, "admin": true, "administrator": true, "billing": true,
	"careers": true, "compliance": true, "contact": true, "contactus": true, "customerservice": true,
	"do-not-reply": true, "donotreply": true, "enquiries": true, "enquiry": true, "feedback": true,
	"finance": true, "hello": true, "help": true, "helpdesk": true, "hostmaster": true, "hr": true,
	"info": true, "inquiries": true, "inquiry": true, "jobs": true, "legal": true, "mail": true,
	"mailer-daemon": true, "marketing": true, "media": true, "news": true, "newsletter": true,
	"no-reply": true, "noc": true, "noreply": true, "office": true, "orders": true, "postmaster": true,
	"press": true, "privacy": true, "recruitment": true, "reservations": true, "root": true, "sales": true,
	"security": true, "service": true, "staff": true, "support": true, "team": true, "webmaster": true,
}

// roleName is the local part without a "+tag" (sales+leads -> sales).
func roleName(local string) string {
	name, _, _ := strings.Cut(local, "+")
	return name
}

// roleAddress reports whether local names a role rather than a person.
func roleAddress(local string) bool { return roles[roleName(local)] }

// providers are the mailbox providers most addresses a chat captures are
// at; a domain one or two typing slips away from one of them is probably
// meant to be it.
var providers = []string{
	"gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.es", "yahoo.de", "yahoo.it",
	"ymail.com", "rocketmail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.es", "hotmail.it",
	"hotmail.de", "outlook.com", "outlook.es", "outlook.de", "live.com", "live.co.uk", "msn.com",
	"icloud.com", "me.com", "mac.com", "aol.com", "protonmail.com", "proton.me", "gmx.com", "gmx.de",
	"gmx.net", "web.de", "t-online.de", "mail.com", "email.com", "yandex.ru", "mail.ru", "inbox.ru",
	"zoho.com", "comcast.net", "verizon.net", "att.net", "btinternet.com", "sky.com", "orange.fr",
	"free.fr", "laposte.net", "wanadoo.fr", "libero.it", "qq.com", "163.com", "126.com", "naver.com",
}

var isProvider = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range providers {
		m[p] = true
	}
	return m
}()

// suggestDomain returns the provider domain that domain is probably a typo
// of, or "". Slips count as in the optimal string alignment distance (a
// swapped pair of letters is one slip): one for short domains, two from
// ten letters on. Ties go to the provider listed first.
func suggestDomain(domain string) string {
	if isProvider[domain] {
		return ""
	}
	best, bestDist := "", 3
	for _, p := range providers {
		limit := 1
		if len(p) >= 10 {
			limit = 2
		}
		d := slips(domain, p, limit)
		if d <= limit && d < bestDist {
			best, bestDist = p, d
		}
	}
	return best
}

// slips is the optimal string alignment distance between a and b, or
// limit+1 once it must exceed limit.
func slips(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	var buf [3 * 32]int // provider names are short: no allocation
	rows := buf[:]
	if n := 3 * (len(b) + 1); n > len(buf) {
		rows = make([]int, n)
	}
	prev2, prev, cur := rows[:len(b)+1], rows[len(b)+1:2*(len(b)+1)], rows[2*(len(b)+1):3*(len(b)+1)]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// parse splits an address and checks its form. ascii is the domain as DNS
// knows it (international names in their xn-- form). problem says, in
// plain words, what is wrong ("" when nothing is).
func parse(addr string) (local, domain, ascii, problem string) {
	local, domain, problem = parseParts(addr)
	if problem != "" {
		return "", "", "", problem
	}
	ascii = domain
	if !isASCII(domain) {
		a, err := idna.Lookup.ToASCII(domain)
		if err != nil {
			return "", "", "", "the domain " + domain + " is not a valid international domain name"
		}
		ascii = a
	}
	if problem := domainProblem(ascii); problem != "" {
		return "", "", "", problem
	}
	return local, domain, ascii, ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 127 {
			return false
		}
	}
	return true
}

// parseParts splits an address at its @ and checks the part before it.
func parseParts(addr string) (local, domain, problem string) {
	switch {
	case addr == "":
		return "", "", "the address is empty"
	case strings.ContainsAny(addr, " \t\r\n,;<>()[]\\\""):
		return "", "", "the address contains spaces or characters addresses cannot have (like , ; < > or quotes)"
	case !strings.Contains(addr, "@"):
		return "", "", "the address has no @"
	case strings.Count(addr, "@") > 1:
		return "", "", "the address has more than one @"
	}
	local, domain, _ = strings.Cut(addr, "@")
	switch {
	case local == "":
		return "", "", "there is nothing before the @"
	case len(local) > 64:
		return "", "", "the part before the @ is longer than 64 characters"
	case strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, ".."):
		return "", "", "the part before the @ has a dot at its start or end, or two dots in a row"
	case domain == "":
		return "", "", "there is no domain after the @"
	}
	for _, r := range local {
		if !atext(r) {
			return "", "", "the part before the @ has a character addresses cannot have: " + string(r)
		}
	}
	return local, domain, ""
}

// atext reports whether r may appear unquoted before the @ (RFC 5322,
// and RFC 6531's letters beyond ASCII).
func atext(r rune) bool {
	return r > 127 || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)
}

// domainProblem checks a domain name's form.
func domainProblem(domain string) string {
	if len(domain) > 253 {
		return "the domain after the @ is too long"
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "the domain " + domain + " has no dot: a domain looks like example.com"
	}
	for _, l := range labels {
		if l == "" {
			return "the domain " + domain + " has a dot at its start or end, or two dots in a row"
		}
		if len(l) > 63 {
			return "a part of the domain " + domain + " is longer than 63 characters"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "a part of the domain " + domain + " starts or ends with a hyphen"
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "the domain " + domain + " has a character domains cannot have: " + string(r)
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 || strings.Trim(tld, "0123456789") == "" {
		return "the domain " + domain + " does not end in a real ending like .com"
	}
	return ""
}
