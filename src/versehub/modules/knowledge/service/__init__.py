"""Service functions of the knowledge module (REST, GraphQL, CLI and jobs call these)."""
