"""pipeline stage of the loop (see ARCHITECTURE.md)."""
