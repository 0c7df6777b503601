//go:build !race

package browsertest

// raceDetector reports whether the test binary was built with -race.
const raceDetector = false
