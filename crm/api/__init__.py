"""The HTTP API, version 1: assembles every app's router with one auth, one error shape and
keyset pagination. May import every app (it is an interface layer).
"""
