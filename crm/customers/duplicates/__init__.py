"""Duplicate detection (查重): normalised match keys, pairwise scoring, candidate lookup and scans."""
