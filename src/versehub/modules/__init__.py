"""Built-in feature modules; each package exports a `module` (see core.modules.Module)."""
