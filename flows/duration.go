package flows

import "time"

// Duration is a length of time written like "90s", "48h", "3d" or "1d12h".
// In JSON it is a string; it marshals back to the shortest such form.
type Duration time.Duration

// ParseDuration parses "90s", "15m", "48h", "3d", "2w", and combinations
// like "1d12h". CONTRACT: implemented by the flows work.
func ParseDuration(s string) (time.Duration, error) { panic("todo") }
