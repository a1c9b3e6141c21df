"""store stage of the loop (see ARCHITECTURE.md)."""
