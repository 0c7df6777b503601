package bench

import (
	"math"
	"slices"
	"time"
)

// Merge returns the latencies of every part in one sorted slice. The parts
// (one per worker) are not modified.
func Merge(parts ...[]time.Duration) []time.Duration {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	all := make([]time.Duration, 0, n)
	for _, p := range parts {
		all = append(all, p...)
	}
	slices.Sort(all)
	return all
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value such that at least p percent of
// the values are less than or equal to it. It returns 0 for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The epsilon keeps float error from pushing an exact rank (99.9% of
	// 1000 is 999) to the next one.
	rank := int(math.Ceil(p*float64(len(sorted))/100 - 1e-9))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Latency summarises a set of latencies, in milliseconds.
type Latency struct {
	Count  int     `json:"count"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// Summarize computes a Latency from sorted latencies.
func Summarize(sorted []time.Duration) Latency {
	l := Latency{Count: len(sorted)}
	if len(sorted) == 0 {
		return l
	}
	l.P50Ms = ms(Percentile(sorted, 50))
	l.P99Ms = ms(Percentile(sorted, 99))
	l.P999Ms = ms(Percentile(sorted, 99.9))
	l.MaxMs = ms(sorted[len(sorted)-1])
	return l
}

// ms converts d to milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
