// HTTPClient module.
