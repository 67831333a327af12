"""Stripe transforms (JSONata): customers, invoices, payment intents and refunds."""
