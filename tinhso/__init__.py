"""Tỉnh Số — the digital province."""
