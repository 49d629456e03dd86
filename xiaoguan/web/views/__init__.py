"""Pages, one module per area. Views parse, call a service or a selector, and render; no business rules here."""
