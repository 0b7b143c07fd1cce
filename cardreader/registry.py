"""Card reader drivers by config `type`, imported only when configured."""

from __future__ import annotations

from cardreader.base import CardReader
from drivers.registry import Registry

CARD_READERS: Registry[CardReader] = Registry("card reader", CardReader)
CARD_READERS.register("simulated", "cardreader.simulated:SimulatedCardReader")
CARD_READERS.register("sam", "cardreader.sam:SamCardReader")
CARD_READERS.register("pcsc", "cardreader.pcsc:PcscCardReader")
CARD_READERS.register("serial", "cardreader.serial_reader:SerialCardReader")
CARD_READERS.register("evdev", "cardreader.evdev_reader:EvdevCardReader")
