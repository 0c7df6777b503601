package console

// serverRoutes registers the servers pages.
func (c *Console) serverRoutes() {}
