"""Lead scoring: admin rules for fit and engagement, and a score learned from the company's history.

`rules` applies the scoring rules (with decay), `model` is a small pure-Python logistic
regression, `training` fits it on closed leads and keeps the held-out report, and `scorer`
combines them into one explained score per lead.
"""
