"""Statistical disclosure control: what of a count may be published."""
