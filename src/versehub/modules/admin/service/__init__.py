"""What the admin pages do: keyword-only functions over the accounts services and core."""
