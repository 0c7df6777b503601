package console

// identityRoutes registers the access keys and enrollment tokens pages.
func (c *Console) identityRoutes() {}
