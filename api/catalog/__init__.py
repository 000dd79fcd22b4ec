"""Organisation units (a tree of any depth) and, later, vaccine products and dose rules."""
