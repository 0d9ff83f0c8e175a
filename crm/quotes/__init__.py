"""Products and quotes (报价): the catalogue, price lists, versioned quotes on deals, their PDF and sending.

Owns Product, PriceList, Quote and its lines. May import crm.deals and everything below it; deals do not
import quotes (a deal's "quote sent" requirement asks this app through a registered check).
"""
