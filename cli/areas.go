package cli

import "github.com/spf13/cobra"

// areaCommands returns the top-level commands of the API areas beyond
// phones, jobs, servers and projects (images, objects, ...).
func (a *app) areaCommands() []*cobra.Command {
	cmds := []*cobra.Command{a.objectsCommand(), a.iamCommand(), a.imagesCommand(), a.enrollmentTokensCommand(), a.auditCommand(), a.overviewCommand(), a.faultsCommand()}
	cmds = append(cmds, a.serverAreaCommands()...)
	cmds = append(cmds, a.standInCommands()...)
	cmds = append(cmds, a.eventsCommand())
	return cmds
}
