package console

// imageRoutes registers the images pages.
func (c *Console) imageRoutes() {}
