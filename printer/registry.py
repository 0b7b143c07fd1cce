"""Printer drivers by config `type`, imported only when configured."""

from __future__ import annotations

from drivers.registry import Registry
from printer.base import DocumentPrinter, ReceiptPrinter

RECEIPT_PRINTERS: Registry[ReceiptPrinter] = Registry("receipt printer", ReceiptPrinter)
RECEIPT_PRINTERS.register("escpos", "printer.escpos_printer:EscposPrinter")
RECEIPT_PRINTERS.register("cups-a4", "printer.a4_receipt:A4ReceiptPrinter")

DOCUMENT_PRINTERS: Registry[DocumentPrinter] = Registry("document printer", DocumentPrinter)
DOCUMENT_PRINTERS.register("simulated", "printer.sim_document:SimulatedDocumentPrinter")
DOCUMENT_PRINTERS.register("cups", "printer.cups_document:CupsDocumentPrinter")
