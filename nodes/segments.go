package nodes

import (
	"strings"
	"unicode/utf16"
)

// gsm7 holds the characters of the GSM 03.38 basic set; gsm7Ext those of
// its extension table, which take two places each.
const (
	gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

// SMSSegments returns the length of an SMS text as carriers count it and
// the number of parts it is sent in: 160 GSM characters fit in one part
// (153 per part when split); any other character makes the whole text
// UCS-2, 70 per part (67 when split).
func SMSSegments(text string) (length, segments int) {
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsm7, r):
			length++
		case strings.ContainsRune(gsm7Ext, r):
			length += 2
		default:
			return parts(len(utf16.Encode([]rune(text))), 70, 67)
		}
	}
	return parts(length, 160, 153)
}

// parts counts the parts of a text of length n.
func parts(n, single, multi int) (int, int) {
	switch {
	case n == 0:
		return 0, 0
	case n <= single:
		return n, 1
	}
	return n, (n + multi - 1) / multi
}
