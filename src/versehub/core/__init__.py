"""Platform services shared by every module. Imports no module."""
