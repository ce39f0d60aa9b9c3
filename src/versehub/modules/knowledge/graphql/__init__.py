"""GraphQL of the knowledge module: types, batch loaders, queries and mutations."""
