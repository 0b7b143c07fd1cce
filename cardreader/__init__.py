"""Card readers: the e-KTP (or any contactless card) identifies a resident by its UID."""
