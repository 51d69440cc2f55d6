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

// SMSCount is how carriers count an SMS text.
type SMSCount struct {
	// Length is the places the text uses: GSM characters (extension ones
	// twice), or UCS-2 units when it is Unicode.
	Length int
	// Segments is the number of parts it is sent in.
	Segments int
	// Unicode is true when a character outside the GSM alphabet makes the
	// whole text UCS-2.
	Unicode bool
	// PerSegment is the places a part holds at this length.
	PerSegment int
}

// SMSSegments counts an SMS text: 160 GSM characters fit in one part (153
// per part when split); any other character makes the whole text UCS-2,
// 70 in one part (67 when split).
func SMSSegments(text string) SMSCount {
	length := 0
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsm7, r):
			length++
		case strings.ContainsRune(gsm7Ext, r):
			length += 2
		default:
			c := parts(len(utf16.Encode([]rune(text))), 70, 67)
			c.Unicode = true
			return c
		}
	}
	return parts(length, 160, 153)
}

// parts counts the parts of a text of length n.
func parts(n, single, multi int) SMSCount {
	switch {
	case n == 0:
		return SMSCount{PerSegment: single}
	case n <= single:
		return SMSCount{Length: n, Segments: 1, PerSegment: single}
	}
	return SMSCount{Length: n, Segments: (n + multi - 1) / multi, PerSegment: multi}
}
