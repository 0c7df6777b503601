package engine

import "github.com/opencph/opencph"

// phoneOpRules returns the rules of phone operations beyond restart, reset
// and stop (which rules defines): property updates, ADB commands, data
// export and import, volume expansion, traffic import.
func phoneOpRules() map[cph.OpKind]opRule {
	return map[cph.OpKind]opRule{}
}
