"""The web site shell: base layout, navigation, home page, audit log and recycle bin screens.

An interface layer: may read any app's selectors and call any app's services.
"""
