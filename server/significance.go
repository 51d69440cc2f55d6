package server

import "math"

// Significance of an A/B split: a two-sided, pooled two-proportion z-test
// of a variant's conversion rate against the control's.
//
//	p1 = c1/n1, p2 = c2/n2, p = (c1+c2)/(n1+n2)
//	z  = (p2 - p1) / sqrt(p(1-p)(1/n1 + 1/n2))
//	confidence = 1 - P(|Z| >= |z|) = erf(|z|/√2)
//
// The normal approximation behind it only holds with enough contacts, so
// a comparison counts as having enough data when each side has at least
// minConversions conversions and minConversions non-conversions (the
// textbook n·p ≥ 5 and n·(1−p) ≥ 5 rule; at a 10% conversion rate that is
// 50 contacts per path).

// minConversions is the n·p ≥ 5 rule of the normal approximation.
const minConversions = 5

// winConfidence is the confidence at which a difference is called a win.
const winConfidence = 0.95

// zTest is the comparison of a variant (2) against the control (1).
type zTest struct {
	// Z is the test statistic; positive when the variant converts better.
	Z float64
	// Confidence is 1 minus the two-sided p-value, from 0 to 1.
	Confidence float64
	// Enough says whether both sides meet the minimum sample.
	Enough bool
}

// twoProportionZ compares c2 conversions of n2 contacts against c1 of n1.
// With no variation at all (both rates 0 or both 1) or an empty side,
// there is nothing to tell apart: Z 0, confidence 0.
func twoProportionZ(c1, n1, c2, n2 int64) zTest {
	t := zTest{Enough: enoughSample(c1, n1) && enoughSample(c2, n2)}
	if n1 <= 0 || n2 <= 0 {
		return t
	}
	p1, p2 := float64(c1)/float64(n1), float64(c2)/float64(n2)
	p := float64(c1+c2) / float64(n1+n2)
	se := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return t
	}
	t.Z = (p2 - p1) / se
	t.Confidence = math.Erf(math.Abs(t.Z) / math.Sqrt2)
	return t
}

// enoughSample is the n·p ≥ 5 and n·(1−p) ≥ 5 rule for one side.
func enoughSample(c, n int64) bool {
	return c >= minConversions && n-c >= minConversions
}

// minSamplePerPath is how many contacts each path needs before the test
// can say anything at the control's conversion rate p: enough for
// minConversions conversions and non-conversions. It is 0 when the rate
// is not known yet (no contacts or no conversions).
func minSamplePerPath(p float64) int64 {
	if p <= 0 || p >= 1 {
		return 0
	}
	q := math.Min(p, 1-p)
	return int64(math.Ceil(minConversions/q - 1e-9)) // the epsilon keeps 5/0.1 at 50
}
