"""Printers: thermal receipt printers (ESC/POS) and A4 document printers."""
