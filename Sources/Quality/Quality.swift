// Quality module.
