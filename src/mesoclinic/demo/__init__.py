"""The demo clinic of domain.md §9: fictional people, illustrative products."""
