"""deis-store: see DESIGN.md §2. Not built yet; its entry point says so."""
