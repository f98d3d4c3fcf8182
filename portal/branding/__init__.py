"""Branding: the employer's name, logo, colour, sign-off and contact on every page and
email a candidate, referee or pool member reads."""
